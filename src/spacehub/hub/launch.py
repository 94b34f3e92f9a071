"""Start the hub or a user's server without compiling a grammar nobody uses.

``python -m spacehub.hub.launch jupyterhub|jupyterhub-singleuser [ARGS...]`` runs that program.

jsonschema is imported first without ``rfc3987_syntax``, a grammar that costs each start about
1.5 s (hub) to 3 s (user server) of CPU and serves no schema any of them uses: see
:mod:`spacehub.config.jsonschema_`. Kernels are separate processes and unaffected.
"""

from __future__ import annotations

import importlib
import sys

from ..config.jsonschema_ import import_jsonschema

PROGRAMS = {
    "jupyterhub": "jupyterhub.app",
    "jupyterhub-singleuser": "jupyterhub.singleuser",
}


def main(argv: list[str] | None = None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in PROGRAMS:
        raise SystemExit(f"usage: python -m spacehub.hub.launch {{{'|'.join(PROGRAMS)}}} [ARGS...]")
    name, *args = argv
    import_jsonschema()  # before the program imports it: see spacehub.config.jsonschema_
    sys.argv = [name, *args]
    return importlib.import_module(PROGRAMS[name]).main()


if __name__ == "__main__":
    sys.exit(main())
