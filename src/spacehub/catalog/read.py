"""``Entry.read(start, stop)``: the dataset's data in [start, stop) as one xarray.Dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import __version__
from .catalog import parse_time
from .model import Entry
from .readers import ReadError, open_file
from .templates import files_for


def check_range(entry: Entry, start, stop) -> tuple[np.datetime64, np.datetime64]:
    """[start, stop) as datetime64, or a ValueError that says what is wrong and what would work."""
    t0, t1 = parse_time(start, "start"), parse_time(stop, "stop")
    if t0 is None or t1 is None:
        raise ValueError(f"{entry.id}: give both start and stop, e.g. read('2015-03-17', '2015-03-18')")
    if t1 <= t0:
        raise ValueError(f"{entry.id}: stop {stop} must be after start {start}")
    if not entry.overlaps(t0, t1):
        end = "now" if entry.stop is None else str(entry.stop)[:19]
        raise ValueError(f"{entry.id}: [{start}, {stop}) is outside its coverage {str(entry.start)[:19]} .. {end}")
    return t0, t1


def read_entry(entry: Entry, start, stop, variables: list[str] | None = None, sample_dir: Path | None = None):
    """Read ``variables`` (default: all catalogued ones) of ``entry`` in [start, stop)."""
    import xarray as xr

    t0, t1 = check_range(entry, start, stop)
    names = list(variables) if variables else [v.name for v in entry.variables]
    for n in names:
        entry.variable(n)  # KeyError naming the dataset and its variables
    route = entry.route("sample")
    if route is None:
        raise ReadError(entry.id, "reading from the remote archive is not available yet; this dataset has no "
                                  "offline sample route")
    if sample_dir is None:
        from ..data import sample_dir as default_sample_dir

        sample_dir = default_sample_dir()
    wanted = files_for(route["path"], route.get("period", "once"), t0, t1)
    files = [Path(sample_dir) / f for f in wanted if (Path(sample_dir) / f).exists()]
    if not files:
        raise ReadError(Path(sample_dir) / wanted[0],
                        f"no sample data of {entry.id} for [{start}, {stop}): run `spacehub data sample`")
    parts = [open_file(f, route["format"], names) for f in files]
    ds = xr.concat(parts, dim="time", data_vars="all", coords="minimal", join="outer",
                   combine_attrs="drop") if len(parts) > 1 else parts[0]
    ds = ds.sel(time=slice(t0, t1 - np.timedelta64(1, "ns")))
    for v in entry.variables:
        if v.name in ds:
            ds[v.name].attrs.setdefault("units", v.units)
            ds[v.name].attrs.setdefault("description", v.description)
    ds.attrs.update({
        "dataset_id": entry.id, "title": entry.title, "mission": entry.mission, "citation": entry.citation,
        "doi": entry.doi, "licence": entry.licence,
        "provenance_route": f"sample:{route['path']}", "provenance_files": [str(f) for f in files],
        "provenance_versions": f"spacehub {__version__}",
        "time_range": f"[{str(t0)[:26]}, {str(t1)[:26]})",
    })
    if files and "synthetic" in parts[0].attrs:
        ds.attrs["synthetic"] = parts[0].attrs["synthetic"]
    return ds
