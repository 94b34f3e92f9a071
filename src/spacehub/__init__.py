"""spacehub: a shared JupyterHub research environment for space-science big data."""

__version__ = "0.1.0"


class SpacehubWarning(UserWarning):
    """Warnings raised by spacehub itself (turned into errors in the test suite)."""


def open_file(path_or_url, variables=None, *, format=None, layout=None, lazy=False):
    """Open one file (a path or an http(s) URL) of any format spacehub reads as an ``xarray.Dataset``:
    see `spacehub.files.open_file`."""
    from .files import open_file as _open_file

    return _open_file(path_or_url, variables, format=format, layout=layout, lazy=lazy)
