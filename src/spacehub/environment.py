"""The edge: what the hub published to this process (a user's server, a service, the CLI).

The deployment plan (:mod:`spacehub.deploy`) puts the sample folder, the shared cache and its size,
the offline switch and the HAPI service's URL into the environment of servers and services; outside
a hub the settings file says the same. This module is the one place that reads them; the catalog,
its readers and the cache are handed what they need.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from .deploy.names import CACHE_DIR_ENV, CACHE_GIB_ENV, HAPI_URL_ENV, OFFLINE_ENV, SAMPLE_DATA_ENV


def offline(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether remote reads are off (``SPACEHUB_OFFLINE``)."""
    return environ.get(OFFLINE_ENV, "") not in ("", "0")


def sample_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Folder of the offline sample data: ``$SPACEHUB_SAMPLE_DATA``, else the settings' state dir."""
    if environ.get(SAMPLE_DATA_ENV):
        return Path(environ[SAMPLE_DATA_ENV])
    from .config import load_settings

    return load_settings().state_dir / "sample-data"


def home() -> Path:
    """The home folder of the person running this process (where a `local` route's ``~/`` points)."""
    return Path.home()


def own_catalog_dir() -> Path:
    """The person's own catalog files: ``~/catalogs`` (read by `spacehub.catalog.open` besides the hub's)."""
    return home() / "catalogs"


def cache_location(environ: Mapping[str, str] = os.environ) -> tuple[Path, int]:
    """The shared cache's folder and size in bytes: ``$SPACEHUB_CACHE_DIR`` / ``$SPACEHUB_CACHE_GIB``
    (published to servers and the data service), else the settings' ``cache`` section."""
    root, gib = environ.get(CACHE_DIR_ENV), environ.get(CACHE_GIB_ENV)
    if root and gib:
        return Path(root), int(float(gib) * 2**30)
    from .config import load_settings

    settings = load_settings()
    return Path(root) if root else settings.cache.dir, int(float(gib) * 2**30) if gib else settings.cache.size


@cache
def shared_cache(root: Path, max_bytes: int, allowed: Callable[[str], bool]):
    """One :class:`~spacehub.data.cache.SharedCache` per folder, size and allowlist in this process.

    Where this process may not write ``root`` (isolated mode: the hub's cache is filled by the
    hub's account only), files found there are read from there and the others are downloaded into
    the user's own cache, ``~/.cache/spacehub`` (0700).
    """
    from .data.cache import SharedCache

    if root.is_dir() and not os.access(root / "data", os.W_OK):
        own = Path.home() / ".cache" / "spacehub"
        own.mkdir(parents=True, exist_ok=True, mode=0o700)
        return SharedCache(own, max_bytes=max_bytes, allowed=allowed, shared=[root])
    return SharedCache(root, max_bytes=max_bytes, allowed=allowed)


def hapi_server(environ: Mapping[str, str] = os.environ) -> str:
    """The URL of this hub's HAPI service, as the hub published it to a notebook server (no token)."""
    base = environ.get(HAPI_URL_ENV)
    if not base:
        raise RuntimeError(f"{HAPI_URL_ENV} is not set: this is not a notebook server of a spacehub")
    return base


def server_token(environ: Mapping[str, str] = os.environ) -> str | None:
    """The token JupyterHub gave this notebook server (``JUPYTERHUB_API_TOKEN``), None outside a hub."""
    return environ.get("JUPYTERHUB_API_TOKEN") or None
