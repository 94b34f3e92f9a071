"""The gallery: notebooks published on the hub, re-run to check they reproduce, browsed and cited.

:func:`publish` and :func:`entries` from a notebook or a terminal of one's server; the service itself
is :mod:`spacehub.gallery.app` (``python -m spacehub.gallery``, started by the hub).
"""

from .client import GalleryError, entries, publish

__all__ = ["GalleryError", "entries", "publish"]
