"""One catalog of mission data: ``spacehub.catalog.open()`` gives every dataset in ``catalogs/*.yaml``."""

from __future__ import annotations

from pathlib import Path

from ..timerange import parse_time
from .catalog import QUANTITIES, Catalog
from .context import ReadContext
from .errors import (
    BadRange,
    CorruptFile,
    NoData,
    OutsideCoverage,
    ReadError,
    RemoteUnavailable,
    UnknownDataset,
    UnknownVariable,
)
from .files import CATALOG_DIR, CatalogError, read_catalog_dir, read_catalog_file
from .model import Entry, Variable


def open(folder: str | Path | None = None, *, samples: str | Path | None = None, cache=None,
         offline: bool | None = None) -> Catalog:
    """The catalog of all datasets in ``folder`` (default: the project's ``catalogs/``), read with the
    sample folder, shared cache and offline switch given, or else those the hub published to this
    process. This function is the edge: it alone asks :mod:`spacehub.environment`; the catalog, its
    readers and the cache are handed what they use (:class:`ReadContext`).

    The cache fetches only URLs that this catalog's routes name, so a catalog of one's own folder
    reads its archives through the hub's cache too.
    """
    from .. import environment

    catalog = Catalog.from_dir(folder or CATALOG_DIR)
    allows = catalog.allows

    def hub_cache():
        root, size = environment.cache_location()
        return environment.shared_cache(root, size, allows)

    return catalog.with_context(ReadContext(
        sample_dir=Path(samples) if samples is not None else environment.sample_dir,
        cache=cache if cache is not None else hub_cache,
        offline=environment.offline if offline is None else offline))


__all__ = ["CATALOG_DIR", "QUANTITIES", "BadRange", "Catalog", "CatalogError", "CorruptFile", "Entry", "NoData",
           "ReadContext",
           "OutsideCoverage", "ReadError", "RemoteUnavailable", "UnknownDataset", "UnknownVariable", "Variable",
           "open", "parse_time", "read_catalog_dir", "read_catalog_file"]
