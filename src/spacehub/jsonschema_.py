"""jsonschema, imported without its slowest optional format checker.

jsonschema loads every optional format checker it finds at import; ``rfc3987_syntax`` alone builds
a lark grammar for ~1.4 s, paid by `spacehub up`, the hub and the gateway at every start. spacehub's
schemas use no ``iri`` format (the only one it serves), so the module is hidden while jsonschema is
first imported and restored afterwards for anyone else.
"""

import sys

_hide = "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules
if _hide:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
try:
    import jsonschema
finally:
    if _hide:
        del sys.modules["rfc3987_syntax"]

Draft202012Validator = jsonschema.Draft202012Validator

__all__ = ["Draft202012Validator"]
