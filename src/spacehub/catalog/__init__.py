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
         offline: bool | None = None, own: bool | None = None) -> Catalog:
    """The catalog of all datasets in ``folder`` (default: the project's ``catalogs/``), read with the
    sample folder, shared cache and offline switch given, or else those the hub published to this
    process. This function is the edge: it alone asks :mod:`spacehub.environment`; the catalog, its
    readers and the cache are handed what they use (:class:`ReadContext`).

    With the default folder, the person's own catalog files come too (``~/catalogs/*.yaml``, in the
    same form; ``own=False`` leaves them out, as the hub's data service does): their datasets are
    searched, read and offered by the widgets like the hub's. A file there that is not valid, or
    that reuses an id of the hub's, is left out with a warning saying where and why.

    The cache fetches only URLs that this catalog's routes name, so a catalog of one's own folder
    reads its archives through the hub's cache too.
    """
    from .. import environment

    catalog = Catalog.from_dir(folder or CATALOG_DIR)
    if folder is None and own is not False:
        for entry in _own_entries(environment.own_catalog_dir(), catalog):
            catalog.add(entry)
    allows = catalog.allows

    def hub_cache():
        root, size = environment.cache_location()
        return environment.shared_cache(root, size, allows)

    return catalog.with_context(ReadContext(
        sample_dir=Path(samples) if samples is not None else environment.sample_dir,
        cache=cache if cache is not None else hub_cache,
        offline=environment.offline if offline is None else offline, home=environment.home()))


def _own_entries(folder: Path, hub: Catalog) -> list[Entry]:
    """The entries of the catalog files in ``folder``; a file that cannot be used is warned about and left out."""
    import warnings

    from .. import SpacehubWarning
    from .files import catalog_files

    entries: list[Entry] = []
    for path in catalog_files(folder) if folder.is_dir() else []:
        try:
            found = read_catalog_file(path)
            taken = [e.id for e in found if e.id in hub or e.id in {x.id for x in entries}]
            if taken:
                raise CatalogError(path, taken[0], "", "this id is taken (by the hub's catalog or another of your "
                                                       "files): choose another")
        except CatalogError as e:
            warnings.warn(f"your catalog file is left out: {e}", SpacehubWarning, stacklevel=3)
            continue
        entries.extend(found)
    return entries


__all__ = ["CATALOG_DIR", "QUANTITIES", "BadRange", "Catalog", "CatalogError", "CorruptFile", "Entry", "NoData",
           "ReadContext",
           "OutsideCoverage", "ReadError", "RemoteUnavailable", "UnknownDataset", "UnknownVariable", "Variable",
           "open", "parse_time", "read_catalog_dir", "read_catalog_file"]
