"""``Entry.read(start, stop)``: the dataset's data in [start, stop) as one xarray.Dataset."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import SpacehubWarning, __version__
from ..timerange import TimeError, format_range, format_span, parse_time, resolve_open_end
from .errors import BadRange, NoData, OutsideCoverage
from .readers import ReadError, open_file
from .templates import files_for, latest_version

if TYPE_CHECKING:  # Entry.read calls this module: the type alone, no import back
    from .model import Entry


def check_range(entry: Entry, start, stop) -> tuple[np.datetime64, np.datetime64]:
    """[start, stop) as datetime64, or a `BadRange` / `OutsideCoverage` that says what is wrong and what would work."""
    try:
        t0, t1 = parse_time(start, "start"), parse_time(stop, "stop")
    except TimeError as e:
        raise BadRange(entry.id, str(e)) from None
    if t0 is None or t1 is None:
        raise BadRange(entry.id, "give both start and stop, e.g. read('2015-03-17', '2015-03-18')")
    if t1 <= t0:
        raise BadRange(entry.id, f"stop {stop} must be after start {start}")
    if not entry.overlaps(t0, t1):
        raise OutsideCoverage(entry.id, f"[{start}, {stop}) is outside its coverage "
                                        f"{format_span(entry.start, entry.stop, 's')}")
    return t0, t1


class PartialSampleCoverage(SpacehubWarning):
    """The sample data hold only some of the files of a read's range: one line, naming the count and the
    first missing file; the full list is ``missing_files`` here and in the dataset's attrs."""

    def __init__(self, dataset_id: str, t0: np.datetime64, t1: np.datetime64, wanted: int, missing: list[str]):
        self.dataset_id, self.missing_files = dataset_id, missing
        super().__init__(f"sample data covers {wanted - len(missing)} of {wanted} files of {dataset_id} in "
                         f"{format_range(t0, t1, 'auto')}; first missing: {Path(missing[0]).name}; the "
                         f"{len(missing)} missing are listed in ds.attrs['missing_files']")


def _local_files(entry: Entry, t0, t1, sample_dir: Path | None, station: str | None = None):
    """The sample route, the sample files of [t0, t1) there are, and those missing (paths in the sample folder)."""
    route = entry.route("sample")
    if route is None:
        return None, [], []
    sample_dir = sample_dir or entry.context.samples()
    if sample_dir is None:
        return route, [], []
    template = route["path"].replace("{station}", station) if station else route["path"]
    wanted = files_for(template, route.get("period", "once"), t0, t1)
    there = {f: (Path(sample_dir) / f).exists() for f in wanted}
    found = [Path(sample_dir) / f for f in wanted if there[f]]
    missing = [f for f in wanted if not there[f]]
    if found and missing:
        warnings.warn(PartialSampleCoverage(entry.id, t0, t1, len(wanted), missing), stacklevel=4)
    return route, found, missing if found else []


def _own_files(entry: Entry, t0, t1):
    """The `local` route and its files of [t0, t1) on this machine (``~/`` is the reader's home)."""
    route = entry.route("local")
    if route is None:
        return None, []
    template = route["path"]
    if template.startswith("~/"):
        home = entry.context.home
        if home is None:
            raise ReadError(entry.id, f"the path {template} is in a home folder: open the catalog with "
                                      "spacehub.catalog.open() to read it")
        template = str(home / template[2:])
    wanted = files_for(template, route.get("period", "once"), t0, t1)
    return route, [Path(f) for f in wanted if Path(f).is_file()]


def sample_files(entry: Entry, sample_dir: Path | None = None) -> list[Path]:
    """The sample files of ``entry`` in the sample folder, in the order of their names (none
    without a sample route or folder)."""
    route = entry.route("sample")
    sample_dir = sample_dir or entry.context.samples()
    if route is None or sample_dir is None:
        return []
    pattern = re.sub(r"\{[^}]*\}", "*", route["path"])
    return sorted(Path(sample_dir).glob(pattern))


def _remote_files(entry: Entry, t0, t1, cache, station: str | None = None):
    """The archive's files for [t0, t1), fetched once per hub through the shared cache."""
    route = entry.route("files")
    if route is None:
        return None, []
    if entry.context.is_offline():
        raise NoData(route["url"], f"no local data of {entry.id} for {format_range(t0, t1, 's')} and remote "
                                      "reads are off (SPACEHUB_OFFLINE): run `spacehub data sample`, or unset "
                                      "SPACEHUB_OFFLINE to read from the archive")
    from ..data.cache import FetchError

    cache = cache or entry.context.shared_cache()
    if cache is None:
        raise NoData(route["url"], f"{entry.id}: no shared cache to fetch the archive's files through: open "
                                   "the catalog with spacehub.catalog.open() (the hub's cache) or pass cache=")
    files = []
    latest = route.get("version") == "latest"
    template = route["url"].replace("{station}", station) if station else route["url"]
    for url in files_for(template, route["period"], t0, t1, "{version}" if latest else route.get("version", "")):
        try:
            if latest:  # the archive's folder says which version is current
                version = latest_version(url, cache.listing(url.rsplit("/", 1)[0] + "/"))
                if version is None:
                    continue
                url = url.replace("{version}", version)
            files.append(cache.fetch(url))
        except FetchError as e:
            if e.status != 404:
                raise
            # archives have holes: a missing day (or folder) is a gap, not an error
    return route, files


def _read_hapi(entry: Entry, t0, t1, names: list[str]):
    from .readers.hapi import read_hapi

    route = entry.route("hapi")
    assert route is not None  # read_entry asks only entries with a HAPI route
    if entry.context.is_offline():
        raise NoData(route["server"], f"no local data of {entry.id} for {format_range(t0, t1, 's')} and "
                                         "remote reads are off (SPACEHUB_OFFLINE): run `spacehub data sample`, or "
                                         "unset SPACEHUB_OFFLINE to read from the HAPI server")
    ds = read_hapi(route["server"], route["id"], t0, t1, names)
    return route, ds


ROUTE_ORDER = ("sample", "local", "files", "hapi")


def stations_of(entry: Entry) -> list[str]:
    """The stations of a ground network's dataset (routes with a ``{station}`` placeholder)."""
    return next((list(r["stations"]) for r in entry.routes if r.get("stations")), [])


def _read_stations(entry: Entry, start, stop, variables, stations, **options):
    import xarray as xr

    known = stations_of(entry)
    if not known:
        raise ValueError(f"{entry.id} is not a station network: leave out `stations`")
    chosen = known if stations in (None, "all") else [stations] if isinstance(stations, str) else list(stations)
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise ValueError(f"{entry.id} has no station(s) {unknown} (it has: {', '.join(known)})")
    if isinstance(stations, str):  # one station: no station dimension
        return read_entry(entry, start, stop, variables, station=stations, **options)
    parts = [read_entry(entry, start, stop, variables, station=s, **options) for s in chosen]
    ds = xr.concat(parts, dim="station", data_vars="all", coords="different", compat="equals", join="outer",
                   combine_attrs="drop_conflicts")
    for name in ds.data_vars:  # concat keeps only what all stations agree on
        ds[name].attrs = {**parts[0][name].attrs, **ds[name].attrs}
    ds.attrs["provenance_files"] = [f for p in parts for f in p.attrs["provenance_files"]]
    missing = [f for p in parts for f in p.attrs.get("missing_files", [])]
    ds.attrs.pop("missing_files", None)
    if missing:
        ds.attrs["missing_files"] = missing
    return ds


def read_entry(entry: Entry, start=None, stop=None, variables: list[str] | None = None,
               sample_dir: Path | None = None, cache=None, lazy: bool = False, route: str | None = None,
               stations=None, station: str | None = None):
    """Read ``variables`` (default: all catalogued ones) of ``entry`` in [start, stop).

    The routes are tried in order — local sample files, the archive's files through the hub's shared
    cache, a HAPI server — unless ``route`` names one. Tables that are not time series (published
    spectra) are read whole when start and stop are left out. With ``lazy=True`` file reads are
    dask-backed, one chunk per file and variable: nothing is read until computed, and a Dask cluster
    reads in parallel.

    Variables on several of the product's time axes (Wind MFI's 1-min and 3-s field) come back as
    an ``xarray.DataTree``, one group per axis named after its time variable (``tree["Epoch3"]``).
    """
    import xarray as xr

    if station is None and (stations is not None or stations_of(entry)):
        # a station network: one dataset with a `station` dimension (default: every station)
        return _read_stations(entry, start, stop, variables, stations, sample_dir=sample_dir, cache=cache,
                              lazy=lazy, route=route)
    if route is not None and route not in ROUTE_ORDER:
        raise ValueError(f"{entry.id}: route must be one of {', '.join(ROUTE_ORDER)}, not {route!r}")
    if route is not None and entry.route(route) is None:
        have = ", ".join(r["kind"] for r in entry.routes)
        raise ValueError(f"{entry.id} has no {route!r} route (it has: {have})")
    if start is None and stop is None and entry.kind != "timeseries":
        t0 = entry.start
        t1 = resolve_open_end(entry.stop) + np.timedelta64(1, "D")
    else:
        t0, t1 = check_range(entry, start, stop)
    # files are looked for only where the dataset has data: a range reaching decades past its
    # coverage would otherwise check (or fetch) a file per day of them
    f0 = max(t0, entry.start)
    f1 = max(f0 + np.timedelta64(1, "ns"), min(t1, resolve_open_end(entry.stop) + np.timedelta64(1, "D")))
    names = list(variables) if variables else [v.name for v in entry.variables]
    for n in names:
        entry.variable(n)  # KeyError naming the dataset and its variables
    used, files, missing, kind, ds = None, [], [], None, None
    for kind in ([route] if route else ROUTE_ORDER):
        if kind == "sample":
            used, files, missing = _local_files(entry, f0, f1, sample_dir, station)
        elif kind == "local" and entry.route("local") is not None:
            used, files = _own_files(entry, f0, f1)
        elif kind == "files" and entry.route("files") is not None:
            used, files = _remote_files(entry, f0, f1, cache, station)
        elif kind == "hapi" and entry.route("hapi") is not None:
            used, ds = _read_hapi(entry, f0, f1, names)
        if files or ds is not None:
            break
    if not files and ds is None:
        if used is None:
            raise ReadError(entry.id, "no route spacehub can read yet (sample, archive files or HAPI); see "
                                      f"`spacehub catalog show {entry.id}`")
        where = used.get("path") or used.get("url")
        said = {"sample": ": run `spacehub data sample`", "local": " in its files on this machine"}
        raise NoData(where, f"no data of {entry.id} for [{start}, {stop})" + said.get(used["kind"], " in the archive"))
    assert used is not None  # a route was read: the checks above raise otherwise
    if ds is None:
        parts = [open_file(f, used["format"], names, lazy=lazy, layout=used.get("layout"),
                           default_variables=not variables) for f in files]
        if isinstance(parts[0], xr.DataTree):  # variables on several time axes: a group per axis
            groups = {path: _finish(entry, _concat([p[path].to_dataset() for p in parts]), t0, t1)
                      for path in parts[0].groups if path != "/"}
            tree = xr.DataTree.from_dict({"/": parts[0].to_dataset(), **groups})
            tree.attrs.update(_provenance(entry, kind, used, files, t0, t1))
            return tree
        ds = _concat(parts)
    ds = _finish(entry, ds, t0, t1)
    ds.attrs.update(_provenance(entry, kind, used, files, t0, t1))
    if missing:  # the files of the range the sample data lack (the warning names the first)
        ds.attrs["missing_files"] = missing
    return ds


def _concat(parts: list):
    """The Datasets of consecutive files as one, along time, with the first one's attributes."""
    import xarray as xr

    if len(parts) == 1:
        return parts[0]
    ds = xr.concat(parts, dim="time", data_vars="all", coords="minimal", join="outer", combine_attrs="drop")
    for name in ds.variables:  # concat dropped the per-variable attrs (units, time scale ...)
        if name in parts[0].variables:
            ds[name].attrs = {**parts[0][name].attrs, **ds[name].attrs}
    for key in ("synthetic", "notes", "time_variable"):  # kept through the concat of several files
        if key in parts[0].attrs:
            ds.attrs[key] = parts[0].attrs[key]
    return ds


def _finish(entry: Entry, ds, t0, t1):
    """``ds`` cut to [t0, t1), its variables with the catalog's units and descriptions where the file has none."""
    if "time" in ds.dims and ds.time.size and not (ds.time.values[0] >= t0 and ds.time.values[-1] < t1):
        # (a file inside the range is kept as is: pandas would check 10^6 times for order first)
        ds = ds.sel(time=slice(t0, t1 - np.timedelta64(1, "ns")))
    for v in entry.variables:
        if v.name in ds:
            ds[v.name].attrs.setdefault("units", v.units)
            ds[v.name].attrs.setdefault("description", v.description)
    return ds


def _provenance(entry: Entry, kind, used: dict, files: list, t0, t1) -> dict:
    """What a read says about itself (attrs): the dataset, how to cite it, the route and files read."""
    where = used.get("path") or used.get("url") or f"{used.get('server')}?id={used.get('id')}"
    return {
        "dataset_id": entry.id, "title": entry.title, "mission": entry.mission, "citation": entry.citation,
        "doi": entry.doi, "licence": entry.licence,
        "provenance_route": f"{kind}:{where}",
        "provenance_files": [str(f) for f in files] or [where],
        "provenance_versions": f"spacehub {__version__}",
        "time_range": f"{format_range(t0, t1, 'us')}",
    }
