"""One catalog of mission data: ``spacehub.catalog.open()`` gives every dataset in ``catalogs/*.yaml``."""

from __future__ import annotations

from pathlib import Path

from ..timerange import parse_time
from .catalog import QUANTITIES, Catalog
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


def open(folder: str | Path | None = None) -> Catalog:
    """The catalog of all datasets in ``folder`` (default: the project's ``catalogs/``)."""
    return Catalog.from_dir(folder or CATALOG_DIR)


__all__ = ["CATALOG_DIR", "QUANTITIES", "BadRange", "Catalog", "CatalogError", "CorruptFile", "Entry", "NoData",
           "OutsideCoverage", "ReadError", "RemoteUnavailable", "UnknownDataset", "UnknownVariable", "Variable",
           "open", "parse_time", "read_catalog_dir", "read_catalog_file"]
