"""The HAPI 3.1 protocol over the catalog, independent of any web framework.

Spec: https://github.com/hapi-server/data-specification (HAPI 3.1.0). Requests are dicts of query
parameters; answers are (HTTP status, content type, body), the body bytes or, for binary data,
`BinaryRecords` that encode as they are sent. Every time-series dataset of the catalog
with a readable route is served; its parameters are the catalog's variables plus ``Time``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...catalog import Catalog, Entry
from ...catalog.errors import NoData, ReadError, RemoteUnavailable
from ...catalog.read import stations_of
from ...timerange import ONE_DAY, TimeError, format_span, parse_duration, require_time, resolve_open_end
from .binary import TIME_LENGTH, BinaryRecords, TimeStringCache, iso_times

HAPI_VERSION = "3.1"
READABLE_FORMATS = {"cdf", "netcdf", "hdf5", "fits", "csv", "zarr"}

# HAPI status codes (spec section 4.2)
OK, OK_NO_DATA = 1200, 1201
STATUS = {
    1200: "OK", 1201: "OK - no data for time range", 1400: "Bad request - user input error",
    1401: "Bad request - unknown API parameter name", 1402: "Bad request - error in start time",
    1403: "Bad request - error in stop time", 1404: "Bad request - start time equal to or after stop time",
    1405: "Bad request - time outside valid range", 1406: "Bad request - unknown dataset id",
    1407: "Bad request - unknown dataset parameter", 1408: "Bad request - too much time or data requested",
    1409: "Bad request - unsupported output format", 1410: "Bad request - unsupported include value",
    1411: "Bad request - out of order or duplicate parameters", 1500: "Internal server error",
    1501: "Internal server error - upstream request error",
}
HTTP_FOR = {1406: 404, 1500: 500, 1501: 502}


class HAPIError(Exception):
    def __init__(self, code: int, detail: str = ""):
        self.code, self.detail = code, detail
        super().__init__(f"{code} {STATUS[code]}{': ' + detail if detail else ''}")

    def answer(self) -> tuple[int, str, bytes]:
        body = {"HAPI": HAPI_VERSION, "status": status(self.code, self.detail)}
        return HTTP_FOR.get(self.code, 400), "application/json", json.dumps(body).encode()


def status(code: int, detail: str = "") -> dict:
    return {"code": code, "message": STATUS[code] + (f": {detail}" if detail else "")}


def _json(obj: dict) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps({"HAPI": HAPI_VERSION, "status": status(OK), **obj}).encode()


def _check_params(query: dict, allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise HAPIError(1401, f"{', '.join(unknown)} (allowed here: {', '.join(sorted(allowed))})")


@dataclass
class HAPIServer:
    catalog: Catalog
    title: str = "spacehub HAPI data service"
    contact: str = "the administrators of this hub"
    time_cache_bytes: int = 256 << 20  # formatted times kept for repeated requests (32 bytes a record)
    max_values: int = 20_000_000  #: values one data request may ask for (settings data_service.max_values)
    max_span_days: float = 366  #: days one request may span where the dataset has no cadence

    def __post_init__(self):
        self.time_strings = TimeStringCache(self.time_cache_bytes)
        # decided once: the catalog does not change while the service runs
        # station networks (a `station` dimension) are left out: HAPI parameters are per time only
        self._served = {e.id: e for e in self.catalog if e.kind == "timeseries" and not stations_of(e) and any(
            r["kind"] in ("sample", "files") and (r.get("format") in READABLE_FORMATS or r.get("layout"))
            for r in e.routes)}

    def served(self) -> list[Entry]:
        return list(self._served.values())

    def _entry(self, query: dict) -> Entry:
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
        if not entry.overlaps(start, stop):
            raise HAPIError(1405, f"{entry.id} covers {format_span(entry.start, entry.stop, 's')}")
        self._check_size(entry, names, start, stop)
        fmt = query.get("format", "csv")
        if fmt not in ("csv", "binary"):
            raise HAPIError(1409, fmt)
        include = query.get("include")
        if include not in (None, "header"):
            raise HAPIError(1410, include)
        variables = [n for n in names if n != "Time"]
        try:
            ds = entry.read(start, stop, variables or None)
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
            info = self._info(entry, names)
            info["status"] = status(code)
            info["format"] = fmt
            header = "".join(f"#{line}\n" for line in json.dumps(info, indent=1).splitlines()).encode()
        if code == OK_NO_DATA:
            return 200, "text/csv" if fmt == "csv" else "application/octet-stream", header
        if fmt == "csv":
            return 200, "text/csv", header + encode_csv(ds, variables)
        return 200, "application/octet-stream", binary_records(ds, variables, header, self.time_strings, entry.id)

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
    def _size(self, entry: Entry, names: list[str], start: np.datetime64, stop: np.datetime64) -> tuple[int, int, int]:
        """(values, records, values per record) of a request, over the part the dataset covers;
        records 0 for a dataset without a regular cadence."""
        first = max(start, entry.start)
        last = min(stop, resolve_open_end(entry.stop))
        cadence = parse_duration(entry.cadence)
        if cadence is None or last <= first:
            return 0, 0, 0
        records = int((last - first) // cadence) + 1
        per_record = sum(max(1, len(entry.variable(n).components or ())) for n in names[1:]) or 1
        return records * per_record, records, per_record

    def _check_size(self, entry: Entry, names: list[str], start: np.datetime64, stop: np.datetime64) -> None:
        """HAPI 1408 for a request past the service's limits, before anything is read."""
        values, records, per_record = self._size(entry, names, start, stop)
        first, last = max(start, entry.start), min(stop, resolve_open_end(entry.stop))
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

    def _parameters(self, entry: Entry, requested: str | None) -> list[str]:
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

    def _info(self, entry: Entry, names: list[str]) -> dict:
        params: list[dict[str, Any]] = [{"name": "Time", "type": "isotime", "units": "UTC", "fill": None, "length": TIME_LENGTH}]
        for n in names[1:]:
            v = entry.variable(n)
            # read() has already turned the product's fills and invalid values into NaN
            p: dict[str, Any] = {"name": n, "type": "double", "units": v.units or None, "fill": "NaN",
                                 "description": v.description}
            if v.components:
                p["size"] = [len(v.components)]
            params.append(p)
        info = {"parameters": params, "startDate": _iso(entry.start), "stopDate": _iso(resolve_open_end(entry.stop)),
                "description": entry.description.strip(), "x_catalog_id": entry.id}
        if entry.cadence and entry.cadence != "event":
            info["cadence"] = entry.cadence
        if entry.citation:
            info["citation"] = entry.citation + (f" doi:{entry.doi}" if entry.doi else "")
        if entry.homepage:
            info["resourceURL"] = entry.homepage
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
