"""Data on this hub: the offline sample data (real products' layouts) and, later, the shared cache."""

from __future__ import annotations

import os
from pathlib import Path


def hapi_server() -> str:
    """The hub's HAPI server URL for a HAPI client in a notebook of this hub.

    hapiclient cannot send headers, so the server's own token (``JUPYTERHUB_API_TOKEN``) travels as
    a path segment, which the data service accepts in place of the header:

    >>> from hapiclient import hapi                                   # doctest: +SKIP
    >>> data, meta = hapi(spacehub.data.hapi_server(), "omni_hro_1min", "SYM_H",
    ...                   "2015-03-17T00:00:00Z", "2015-03-19T00:00:00Z")  # doctest: +SKIP
    """
    base = os.environ.get("SPACEHUB_HAPI_URL")
    if not base:
        raise RuntimeError("SPACEHUB_HAPI_URL is not set: this is not a notebook server of a spacehub")
    token = os.environ.get("JUPYTERHUB_API_TOKEN")
    return base[: -len("/hapi")] + f"/t/{token}/hapi" if token and base.endswith("/hapi") else base


def sample_dir() -> Path:
    """Folder of the offline sample data: ``$SPACEHUB_SAMPLE_DATA``, else ``<state_dir>/sample-data``
    of the hub's settings."""
    env = os.environ.get("SPACEHUB_SAMPLE_DATA")
    if env:
        return Path(env)
    from ..config import load_settings

    return Path(load_settings().state_dir) / "sample-data"
