"""spacehub: a shared JupyterHub research environment for space-science big data."""

__version__ = "0.1.0"


class SpacehubWarning(UserWarning):
    """Warnings raised by spacehub itself (turned into errors in the test suite)."""
