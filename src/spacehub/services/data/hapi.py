"""The HAPI 3.1 protocol over the catalog, independent of any web framework.

Spec: https://github.com/hapi-server/data-specification (HAPI 3.1.0). Requests are dicts of query
parameters; answers are (HTTP status, content type, body). Every time-series dataset of the catalog
with a readable route is served; its parameters are the catalog's variables plus ``Time``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import numpy as np

from ...catalog import Catalog, Entry
from ...catalog.read import stations_of
from ...catalog.readers import ReadError

HAPI_VERSION = "3.1"
TIME_LENGTH = 24  # "YYYY-MM-DDTHH:MM:SS.sssZ"
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

    def __post_init__(self):
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
            raise HAPIError(1405, f"{entry.id} covers {str(entry.start)[:19]} .. "
                                  f"{'now' if entry.stop is None else str(entry.stop)[:19]}")
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
        except ReadError as e:
            if "no local data" in str(e) or "no data of" in str(e):
                ds, code = None, OK_NO_DATA
            else:
                raise HAPIError(1500, str(e)) from None
        except OSError as e:  # the archive could not be reached
            raise HAPIError(1501, str(e)) from None
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
        body = encode_csv(ds, variables) if fmt == "csv" else encode_binary(ds, variables)
        return 200, "text/csv" if fmt == "csv" else "application/octet-stream", header + body

    # -- helpers --------------------------------------------------------------------------------------
    def _parameters(self, entry: Entry, requested: str | None) -> list[str]:
        order = ["Time"] + [v.name for v in entry.variables]
        if not requested:
            return order
        names = [n for n in requested.split(",") if n]
        unknown = [n for n in names if n not in order]
        if unknown:
            raise HAPIError(1407, ", ".join(unknown))
        if len(set(names)) != len(names) or [order.index(n) for n in names] != sorted(order.index(n) for n in names):
            raise HAPIError(1411, f"give them in the order of /info: {', '.join(order)}")
        return names if names[0] == "Time" else ["Time"] + names

    @staticmethod
    def _time(value, code: int, what: str) -> np.datetime64:
        if not value:
            raise HAPIError(code, f"{what} is required")
        try:
            return np.datetime64(value.rstrip("Z"), "ns")
        except ValueError:
            raise HAPIError(code, f"{value!r} is not a HAPI (ISO 8601) time") from None

    def _info(self, entry: Entry, names: list[str]) -> dict:
        params = [{"name": "Time", "type": "isotime", "units": "UTC", "fill": None, "length": TIME_LENGTH}]
        for n in names[1:]:
            v = entry.variable(n)
            # read() has already turned the product's fills and invalid values into NaN
            p = {"name": n, "type": "double", "units": v.units or None, "fill": "NaN", "description": v.description}
            if v.components:
                p["size"] = [len(v.components)]
            params.append(p)
        stop = entry.stop if entry.stop is not None else np.datetime64("now")
        info = {"parameters": params, "startDate": _iso(entry.start), "stopDate": _iso(stop),
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


def _times(ds) -> np.ndarray:
    """HAPI times "YYYY-MM-DDTHH:MM:SS.sssZ" as an array of 24-byte strings.

    Built with integer arithmetic: ``np.datetime_as_string`` on every record costs ~0.5 s per
    million, more than everything else the service does; dates are formatted once per distinct day.
    """
    ms = ds.time.values.astype("datetime64[ms]").astype(np.int64)
    n = len(ms)
    out = np.empty((n, TIME_LENGTH), dtype=np.uint8)
    day, rest = np.divmod(ms, 86_400_000)
    days, inverse = np.unique(day, return_inverse=True)
    dates = np.frombuffer("".join(np.datetime_as_string(days.astype("datetime64[D]"))).encode(), np.uint8)
    out[:, :10] = dates.reshape(-1, 10)[inverse]
    second, msec = np.divmod(rest, 1000)
    out[:, 11:19] = _CLOCK()[second]  # "HH:MM:SS" looked up by second of day
    out[:, 20:23] = _MILLIS()[msec]
    for col, char in ((10, "T"), (19, "."), (23, "Z")):
        out[:, col] = ord(char)
    return out.view(f"S{TIME_LENGTH}").reshape(n)


@cache
def _CLOCK() -> np.ndarray:
    s = np.arange(86_400)
    text = "".join(f"{h:02d}:{m:02d}:{x:02d}" for h, m, x in zip(s // 3600, s // 60 % 60, s % 60))
    return np.frombuffer(text.encode(), np.uint8).reshape(86_400, 8)


@cache
def _MILLIS() -> np.ndarray:
    return np.frombuffer("".join(f"{i:03d}" for i in range(1000)).encode(), np.uint8).reshape(1000, 3)


def encode_binary(ds, names: list[str]) -> bytes:
    """HAPI binary: per record the time as 24 ASCII bytes, then each parameter as little-endian
    IEEE doubles (spec section 3.7.6); NaN stands for missing values."""
    n = ds.time.size
    fields = [("Time", f"S{TIME_LENGTH}")]
    for name in names:
        shape = ds[name].shape[1:]
        fields.append((name, "<f8", shape) if shape else (name, "<f8"))
    rec = np.empty(n, dtype=fields)
    rec["Time"] = _times(ds)
    for name in names:
        rec[name] = ds[name].values
    return rec.tobytes()


def encode_csv(ds, names: list[str]) -> bytes:
    """HAPI CSV: one record per line; missing values are NaN, the declared fill."""
    columns = [_times(ds).astype(str)]
    for name in names:
        values = np.asarray(ds[name].values, dtype=np.float64)
        for col in (values.reshape(len(values), -1).T if values.ndim > 1 else [values]):
            columns.append(np.char.mod("%.9g", col))
    lines = columns[0]
    for col in columns[1:]:
        lines = np.char.add(np.char.add(lines, ","), col)
    return ("\n".join(lines.tolist()) + "\n").encode() if len(lines) else b""
