"""The HAPI 3.1 protocol over the catalog, independent of any web framework.

Spec: https://github.com/hapi-server/data-specification (HAPI 3.1.0). Requests are dicts of query
parameters; answers are `Answer` (HTTP status, content type, body, HAPI code), the body bytes or,
for binary data, `BinaryRecords` that encode as they are sent. Every time-series dataset of the
catalog with a readable route is served (offline: those the sample folder has); its parameters are
the catalog's variables plus ``Time``; variables on another time axis of the product are a dataset
of their own, ``<id>@<time_axis>`` (`Served`). ``/info`` gives ``sampleStartDate``/``sampleStopDate``
where the hub has a sample file (else the catalog's ``example``), and a ``stopDate`` that changes
once a day for datasets still delivering. Error bodies name files, never the server's folders.

The official HAPI verifier passes on every dataset (tests/integration/test_hapi_verifier.py), with
these warnings left, each for a reason: titles longer than 40 characters (the archives' own titles,
kept as they are), ``@`` in the ids of second time axes (CDAWeb's convention for the same case), and
no gzip of data bodies (compressing on the service's event loop would hold small requests behind
large ones; a reverse proxy in front may compress).
"""

from __future__ import annotations

import email.utils
import json
import re
import threading
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ...catalog import Catalog, Entry
from ...catalog.errors import NoData, ReadError, RemoteUnavailable
from ...catalog.model import Variable
from ...catalog.read import sample_files, stations_of
from ...catalog.readers import open_file
from ...timerange import ONE_DAY, TimeError, format_span, parse_duration, require_time, resolve_open_end
from .binary import TIME_LENGTH, BinaryRecords, TimeStringCache, iso_times

HAPI_VERSION = "3.1"
#: records a sample range holds at least (where the file has them): a day, or more at a long cadence
SAMPLE_RECORDS = 12
READABLE_FORMATS = {"cdf", "netcdf", "hdf5", "fits", "csv", "zarr"}

# HAPI status codes and their messages (spec 3.1, section 4.2)
OK, OK_NO_DATA = 1200, 1201
STATUS = {
    1200: "OK", 1201: "OK - no data for time range", 1400: "user input error", 1401: "unknown API parameter name",
    1402: "error in start time", 1403: "error in stop time", 1404: "start time equal to or after stop time",
    1405: "time outside valid range", 1406: "unknown dataset id", 1407: "unknown dataset parameter",
    1408: "too much time or data requested", 1409: "unsupported output format", 1410: "unsupported include value",
    1411: "out of order or duplicate parameters", 1500: "internal server error", 1501: "upstream request error",
}
HTTP_FOR = {1406: 404, 1500: 500, 1501: 502}


class Answer(NamedTuple):
    """What an endpoint answers: the HTTP status, the content type, the body and the HAPI status code."""

    http: int
    content_type: str
    body: Any
    code: int = OK

    @property
    def reason(self) -> str:
        """The HTTP status line's text: the HAPI code and its message, as clients look for them there."""
        return f"HAPI {self.code} {STATUS[self.code]}" if self.code < 1400 else f"HAPI error {self.code}: {STATUS[self.code]}"


#: absolute paths in a message: a client learns the file's name, never the server's folders
_FOLDERS = re.compile(r"(?<![\w:/.])/(?:[^\s/'\"]+/)+")


def public_text(message: str) -> str:
    """``message`` without the folders of the absolute paths in it (URLs are left as they are).

    >>> public_text("/srv/state/samples/wind/wi_h0_mfi_20150317_v05.cdf: truncated; see https://cdaweb.gsfc.nasa.gov/x/")
    'wi_h0_mfi_20150317_v05.cdf: truncated; see https://cdaweb.gsfc.nasa.gov/x/'
    """
    return _FOLDERS.sub("", message)


class HAPIError(Exception):
    def __init__(self, code: int, detail: str = ""):
        self.code, self.detail = code, public_text(detail)
        super().__init__(f"{code} {STATUS[code]}{': ' + self.detail if self.detail else ''}")

    def answer(self) -> Answer:
        body = {"HAPI": HAPI_VERSION, "status": status(self.code, self.detail)}
        return Answer(HTTP_FOR.get(self.code, 400), "application/json", json.dumps(body).encode(), self.code)


def status(code: int, detail: str = "") -> dict:
    """A HAPI status object; an error's message starts as the spec's does (``HAPI error 1406: unknown dataset id``)."""
    message = STATUS[code] if code < 1400 else f"HAPI error {code}: {STATUS[code]}"
    return {"code": code, "message": message + (f": {detail}" if detail else "")}


def _json(obj: dict) -> Answer:
    return Answer(200, "application/json", json.dumps({"HAPI": HAPI_VERSION, "status": status(OK), **obj}).encode())


def _check_params(query: dict, allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise HAPIError(1401, f"{', '.join(unknown)} (allowed here: {', '.join(sorted(allowed))})")


@dataclass(frozen=True)
class Served:
    """One HAPI dataset: the variables of a catalog entry on one time axis. An entry whose variables
    all share the product's main time axis is one dataset under its own id; the variables on another
    axis (``time_axis`` in the catalog) are the dataset ``<id>@<time_axis>``."""

    id: str
    entry: Entry
    variables: tuple[Variable, ...]
    cadence: str

    @property
    def title(self) -> str:
        axis = self.variables[0].time_axis
        return self.entry.title + (f" ({axis} time axis: {', '.join(v.name for v in self.variables)})" if axis else "")

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)

    def read(self, start, stop, names: list[str]):
        return self.entry.read(start, stop, names or [v.name for v in self.variables])


def _served(entry: Entry) -> list[Served]:
    axes: dict[str | None, list[Variable]] = {None: []}
    for v in entry.variables:
        axes.setdefault(v.time_axis, []).append(v)
    return [Served(entry.id if axis is None else f"{entry.id}@{axis}", entry, tuple(vs),
                   entry.cadence if axis is None else vs[0].cadence or "")
            for axis, vs in axes.items() if vs]


@dataclass
class HAPIServer:
    catalog: Catalog
    title: str = "spacehub HAPI data service"
    contact: str = "the administrators of this hub"
    time_cache_bytes: int = 256 << 20  # formatted times kept for repeated requests (32 bytes a record)
    max_values: int = 20_000_000  #: values one data request may ask for (settings data_service.max_values)
    max_span_days: float = 366  #: days one request may span where the dataset has no cadence

    def __post_init__(self) -> None:
        self.time_strings = TimeStringCache(self.time_cache_bytes)
        self._samples: dict[str, tuple[np.datetime64, np.datetime64] | None] = {}
        self._samples_lock = threading.Lock()
        #: when this service opened the catalog: the metadata's Last-Modified (an HTTP date)
        self.opened = email.utils.formatdate(usegmt=True)
        # decided once: the catalog does not change while the service runs
        # station networks (a `station` dimension) are left out: HAPI parameters are per time only
        # offline, only what the sample folder has: the archives cannot be reached
        self._served = {d.id: d for e in self.catalog if e.kind == "timeseries" and not stations_of(e) and any(
            r["kind"] in ("sample", "files") and (r.get("format") in READABLE_FORMATS or r.get("layout"))
            for r in e.routes) and (not e.context.is_offline() or sample_files(e)) for d in _served(e)}

    def sample_range(self, dataset: Served) -> tuple[np.datetime64, np.datetime64] | None:
        """A short range with data to ask for first (HAPI's ``sampleStartDate``/``sampleStopDate``):
        the first day of records of the first sample file this hub has of ``dataset``, else the
        catalog's ``example``; None where it has neither. Found once per dataset (reading that file)."""
        with self._samples_lock:
            if dataset.id in self._samples:
                return self._samples[dataset.id]
        found = None
        files = sample_files(dataset.entry)
        route = dataset.entry.route("sample")
        if files and route is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # said when the data itself is asked for
                    times = open_file(files[0], route["format"], [v.name for v in dataset.variables],
                                      layout=route.get("layout")).time.values
            except (ReadError, OSError):
                times = np.array([], "datetime64[ns]")
            times = times[~np.isnat(times)]
            if times.size:
                first = times.min().astype("datetime64[ms]")
                last = times.max().astype("datetime64[ms]") + np.timedelta64(1, "ms")
                cadence = parse_duration(dataset.cadence) or np.timedelta64(0, "s")
                found = (first, min(last, first + max(ONE_DAY, SAMPLE_RECORDS * cadence)))
        if found is None and dataset.entry.example is not None:  # the archive's: where the catalog says it has data
            found = dataset.entry.example
        with self._samples_lock:
            self._samples[dataset.id] = found
        return found

    @staticmethod
    def _stop(entry: Served) -> np.datetime64:
        """The dataset's end; for one still delivering, the start of today (UTC): the same in every
        answer of a day, not a new "now" in each."""
        return entry.entry.stop if entry.entry.stop is not None else resolve_open_end(None).astype("datetime64[D]").astype(
            "datetime64[ns]")

    def served(self) -> list[Served]:
        return list(self._served.values())

    def _entry(self, query: dict) -> Served:
        dataset = query.get("dataset") or query.get("id")  # `id` is the HAPI 2 name, still accepted
        if not dataset:
            raise HAPIError(1400, "the dataset parameter is required")
        if dataset not in self._served:
            raise HAPIError(1406, dataset)
        return self._served[dataset]

    # -- endpoints ----------------------------------------------------------------------------------
    def about(self, query: dict):
        _check_params(query, set())
        return _json({"id": "spacehub", "title": self.title, "contact": self.contact,
                      "description": "Every time series of the spacehub mission catalog, over HAPI."})

    def capabilities(self, query: dict):
        _check_params(query, set())
        return _json({"outputFormats": ["csv", "binary"]})

    def catalog_list(self, query: dict):
        _check_params(query, set())
        return _json({"catalog": [{"id": e.id, "title": e.title} for e in self.served()]})

    def info(self, query: dict):
        _check_params(query, {"dataset", "id", "parameters"})
        entry = self._entry(query)
        names = self._parameters(entry, query.get("parameters"))
        return _json(self._info(entry, names))

    def data(self, query: dict):
        _check_params(query, {"dataset", "id", "parameters", "start", "stop", "time.min", "time.max", "format",
                              "include"})
        entry = self._entry(query)
        names = self._parameters(entry, query.get("parameters"))
        start = self._time(query.get("start") or query.get("time.min"), 1402, "start")
        stop = self._time(query.get("stop") or query.get("time.max"), 1403, "stop")
        if stop <= start:
            raise HAPIError(1404, f"start {query.get('start') or query.get('time.min')} >= stop")
        if not entry.entry.overlaps(start, stop):
            raise HAPIError(1405, f"{entry.id} covers {format_span(entry.entry.start, entry.entry.stop, 's')}")
        self._check_size(entry, names, start, stop)
        fmt = query.get("format", "csv")
        if fmt not in ("csv", "binary"):
            raise HAPIError(1409, fmt)
        include = query.get("include")
        if include not in (None, "header"):
            raise HAPIError(1410, include)
        variables = [n for n in names if n != "Time"]
        try:
            ds = entry.read(start, stop, variables)
            code = OK
        except NoData:
            ds, code = None, OK_NO_DATA
        except (RemoteUnavailable, OSError) as e:  # the archive could not be reached
            raise HAPIError(1501, str(e)) from None
        except ReadError as e:
            raise HAPIError(1500, str(e)) from None
        if ds is not None and ds.time.size == 0:
            code = OK_NO_DATA
        header = b""
        if include == "header":
            info = {"HAPI": HAPI_VERSION, "status": status(code), **self._info(entry, names), "format": fmt}
            header = "".join(f"#{line}\n" for line in json.dumps(info, indent=1).splitlines()).encode()
        ctype = "text/csv" if fmt == "csv" else "application/octet-stream"
        if code == OK_NO_DATA:
            return Answer(200, ctype, header, OK_NO_DATA)
        if fmt == "csv":
            return Answer(200, ctype, header + encode_csv(ds, variables))
        return Answer(200, ctype, binary_records(ds, variables, header, self.time_strings, entry.id))

    def values_asked(self, query: dict) -> int:
        """About how many values a data request asks for (0 where it cannot say: a bad request,
        or a dataset without a cadence): how the service decides which requests are large."""
        try:
            entry = self._entry(query)
            names = self._parameters(entry, query.get("parameters"))
            start = self._time(query.get("start") or query.get("time.min"), 1402, "start")
            stop = self._time(query.get("stop") or query.get("time.max"), 1403, "stop")
        except HAPIError:
            return 0
        return self._size(entry, names, start, stop)[0]

    # -- helpers --------------------------------------------------------------------------------------
    def _size(self, entry: Served, names: list[str], start: np.datetime64, stop: np.datetime64) -> tuple[int, int, int]:
        """(values, records, values per record) of a request, over the part the dataset covers;
        records 0 for a dataset without a regular cadence."""
        first = max(start, entry.entry.start)
        last = min(stop, resolve_open_end(entry.entry.stop))
        cadence = parse_duration(entry.cadence)
        if cadence is None or last <= first:
            return 0, 0, 0
        records = int((last - first) // cadence) + 1
        per_record = sum(max(1, len(entry.variable(n).components or ())) for n in names[1:]) or 1
        return records * per_record, records, per_record

    def _check_size(self, entry: Served, names: list[str], start: np.datetime64, stop: np.datetime64) -> None:
        """HAPI 1408 for a request past the service's limits, before anything is read."""
        values, records, per_record = self._size(entry, names, start, stop)
        first, last = max(start, entry.entry.start), min(stop, resolve_open_end(entry.entry.stop))
        if values > self.max_values:
            days = (last - first) / ONE_DAY * self.max_values / values
            raise HAPIError(1408, f"this asks for about {values:,} values ({records:,} records of {entry.id} at "
                                  f"{entry.cadence}, {per_record} value(s) each); this service answers at most "
                                  f"{self.max_values:,} values per request: ask for at most {days:,.1f} days at once, "
                                  "or fewer parameters")
        span_days = (stop - start) / ONE_DAY
        if records == 0 and span_days > self.max_span_days:
            raise HAPIError(1408, f"this asks for {span_days:,.1f} days of {entry.id}, which has no regular cadence; "
                                  f"this service answers at most {self.max_span_days:g} days per request")

    def _parameters(self, entry: Served, requested: str | None) -> list[str]:
        order = ["Time"] + [v.name for v in entry.variables]
        if not requested:
            return order
        names = requested.split(",")
        if "" in names:
            raise HAPIError(1407, f"an empty parameter name in parameters={requested!r}: give names separated by "
                                  "commas, e.g. " + ",".join(order[1:3]))
        unknown = [n for n in names if n not in order]
        if unknown:
            raise HAPIError(1407, ", ".join(unknown))
        if len(set(names)) != len(names) or [order.index(n) for n in names] != sorted(order.index(n) for n in names):
            raise HAPIError(1411, f"give them in the order of /info: {', '.join(order)}")
        return names if names[0] == "Time" else ["Time"] + names

    @staticmethod
    def _time(value: str | None, code: int, what: str) -> np.datetime64:
        if not value:
            raise HAPIError(code, f"{what} is required")
        try:
            return require_time(value, what)
        except TimeError as e:
            raise HAPIError(code, str(e)) from None  # names the value and what would work

    def _info(self, entry: Served, names: list[str]) -> dict:
        params: list[dict[str, Any]] = [{"name": "Time", "type": "isotime", "units": "UTC", "fill": None, "length": TIME_LENGTH}]
        for n in names[1:]:
            v = entry.variable(n)
            # read() has already turned the product's fills and invalid values into NaN
            p: dict[str, Any] = {"name": n, "type": "double", "units": v.units or None, "fill": "NaN",
                                 "description": v.description}
            if v.components:
                p["size"] = [len(v.components)]
            params.append(p)
        info = {"parameters": params, "startDate": _iso(entry.entry.start), "stopDate": _iso(self._stop(entry)),
                "description": entry.entry.description.strip(), "x_catalog_id": entry.entry.id}
        sample = self.sample_range(entry)
        if sample:
            info["sampleStartDate"], info["sampleStopDate"] = map(_iso, sample)
        if entry.cadence and entry.cadence != "event":
            info["cadence"] = entry.cadence
        if entry.entry.citation:
            info["citation"] = entry.entry.citation + (f" doi:{entry.entry.doi}" if entry.entry.doi else "")
        if entry.entry.homepage:
            info["resourceURL"] = entry.entry.homepage
        return info


def _iso(t) -> str:
    return np.datetime_as_string(np.datetime64(t, "ms"), unit="ms") + "Z"


def _ms(ds) -> np.ndarray:
    """The record times as int64 milliseconds since 1970 (HAPI times carry milliseconds)."""
    return ds.time.values.astype("datetime64[ms]").view(np.int64)


def binary_records(ds, names: list[str], header: bytes = b"", time_strings: TimeStringCache | None = None,
                   key: str = "") -> BinaryRecords:
    """The HAPI binary body of ``names`` in ``ds``, encoded while it is sent (see `BinaryRecords`):
    per record the time as 24 ASCII bytes, then each parameter as little-endian IEEE doubles (spec
    section 3.7.6); NaN stands for missing values.

    With ``time_strings`` the formatted times come from that cache (under ``key``) where it has them.
    """
    ms = _ms(ds)
    times = time_strings.strings(key, ms) if time_strings is not None else iso_times(ms)
    return BinaryRecords(times, [ds[name].values for name in names], header)


#: records formatted per step of `encode_csv`: each numpy call holds the GIL for its whole length,
#: so a step is kept short enough (a few ms) for the service's event loop to answer in between
CSV_STEP = 16384


def encode_csv(ds, names: list[str]) -> bytes:
    """HAPI CSV: one record per line; missing values are NaN, the declared fill."""
    times = iso_times(_ms(ds))
    data = [np.asarray(ds[name].values, dtype=np.float64) for name in names]
    data = [values.reshape(len(values), -1) for values in data]
    pieces = []
    for first in range(0, len(times), CSV_STEP):
        step = slice(first, first + CSV_STEP)
        lines: np.ndarray = times[step].astype(str)
        for values in data:
            for col in values[step].T:
                lines = np.char.add(np.char.add(lines, ","), np.char.mod("%.9g", col))
        pieces.append("\n".join(lines.tolist()) + "\n")
    return "".join(pieces).encode()
