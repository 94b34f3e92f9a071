"""One catalog of mission data: ``spacehub.catalog.open()`` gives every dataset in ``catalogs/*.yaml``."""

from __future__ import annotations

from pathlib import Path

from .catalog import QUANTITIES, Catalog, parse_time
from .files import CATALOG_DIR, CatalogError, read_catalog_dir, read_catalog_file
from .model import Entry, Variable


def open(folder: str | Path | None = None) -> Catalog:  # noqa: A001 - mirrors intake.open_catalog
    """The catalog of all datasets in ``folder`` (default: the project's ``catalogs/``)."""
    return Catalog.from_dir(folder or CATALOG_DIR)


__all__ = ["CATALOG_DIR", "QUANTITIES", "Catalog", "CatalogError", "Entry", "Variable", "open", "parse_time",
           "read_catalog_dir", "read_catalog_file"]
