"""The catalog as an intake 2 catalog, for people who already work with ``intake``.

    >>> cat = spacehub.catalog.open().to_intake()            # doctest: +SKIP
    >>> cat["omni_hro_1min"].read(start="2015-03-17", stop="2015-03-18")  # doctest: +SKIP
    >>> spacehub.catalog.export_intake("spacehub.yaml"); intake.open_catalog("spacehub.yaml")  # doctest: +SKIP

Each entry is a :class:`SpacehubReader` that calls ``Entry.read``: one code path, whichever face is used.
"""

from __future__ import annotations

from pathlib import Path

from intake.readers.entry import Catalog as IntakeCatalog
from intake.readers.readers import BaseReader

from ..timerange import format_time


class SpacehubReader(BaseReader):
    """Read one spacehub dataset in [start, stop) as an ``xarray.Dataset``."""

    imports = {"spacehub", "xarray"}
    output_instance = "xarray:Dataset"

    def _read(self, dataset_id: str, start=None, stop=None, variables=None, catalog_dir: str | None = None, **kw):
        import spacehub.catalog

        return spacehub.catalog.open(catalog_dir)[dataset_id].read(start, stop, variables, **kw)


def to_intake(catalog, catalog_dir: str | Path | None = None) -> IntakeCatalog:
    """An intake 2 catalog with one reader per entry of ``catalog``."""
    out = IntakeCatalog(metadata={"description": "spacehub mission data catalog"})
    for e in catalog:
        out[e.id] = SpacehubReader(
            dataset_id=e.id, catalog_dir=str(catalog_dir) if catalog_dir else None,
            metadata={"title": e.title, "mission": e.mission, "domain": e.domain, "kind": e.kind,
                      "start": format_time(e.start, "s"), "stop": None if e.stop is None else format_time(e.stop, "s"),
                      "variables": [v.name for v in e.variables], "citation": e.citation, "doi": e.doi},
        )
    return out


def export_intake(catalog, path: str | Path, catalog_dir: str | Path | None = None) -> Path:
    """Write ``catalog`` as an intake 2 YAML catalog file."""
    path = Path(path)
    to_intake(catalog, catalog_dir).to_yaml_file(str(path))
    return path
