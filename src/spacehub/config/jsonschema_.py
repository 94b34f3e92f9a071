"""jsonschema, imported without its slowest optional format checker (the one copy of this shortcut).

jsonschema loads every optional format checker it finds at import. One of them, ``rfc3987_syntax``
(installed for jupyter-events), builds a lark grammar at import time: about 1.4 s of CPU for
`spacehub up`, the hub and the gateway, and 3 s for each user server (``benchmarks/RESULTS.md``),
paid at every start and by every one of 40 students spawning at once. It serves only the ``iri`` /
``iri-reference`` formats, which no schema of spacehub, JupyterHub, Jupyter Server, JupyterLab or
jupyter-events uses: imported with it hidden, jsonschema simply does not register those two
formats. The module is restored afterwards for anyone who imports it directly.

>>> import sys
>>> "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None
False
"""

import sys


def import_jsonschema():
    """``import jsonschema`` with ``rfc3987_syntax`` hidden if jsonschema is not imported yet."""
    hide = "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules
    if hide:
        sys.modules["rfc3987_syntax"] = None  # None in sys.modules: importing it fails at once
    try:
        import jsonschema
    finally:
        if hide:
            del sys.modules["rfc3987_syntax"]
    return jsonschema


Draft202012Validator = import_jsonschema().Draft202012Validator

__all__ = ["Draft202012Validator", "import_jsonschema"]
