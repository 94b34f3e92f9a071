"""Start the hub or a user's server without compiling a grammar nobody uses.

``python -m spacehub.hub.launch jupyterhub|jupyterhub-singleuser [ARGS...]`` runs that program.

jsonschema imports every optional format checker it finds. One of them, ``rfc3987_syntax``
(installed for jupyter-events), builds a lark grammar at import time: about 1.5 s of CPU for the
hub and 3 s for each user server (``benchmarks/RESULTS.md``), paid at every start and by every one
of 40 students spawning at once. It serves only the ``iri`` / ``iri-reference`` formats, which no
schema of JupyterHub, Jupyter Server, JupyterLab or jupyter-events uses; hidden, jsonschema simply
does not register those two formats. Kernels are separate processes and unaffected.
"""

from __future__ import annotations

import importlib
import sys

PROGRAMS = {
    "jupyterhub": "jupyterhub.app",
    "jupyterhub-singleuser": "jupyterhub.singleuser",
}


def main(argv: list[str] | None = None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in PROGRAMS:
        raise SystemExit(f"usage: python -m spacehub.hub.launch {{{'|'.join(PROGRAMS)}}} [ARGS...]")
    name, *args = argv
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    sys.argv = [name, *args]
    return importlib.import_module(PROGRAMS[name]).main()


if __name__ == "__main__":
    sys.exit(main())
