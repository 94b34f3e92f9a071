"""HAPI routes: a dataset served by any HAPI 2.x/3.x server (CDAWeb, the hub's own data service ...).

The request goes through hapiclient, the HAPI project's reference client (binary when the server
offers it, CSV otherwise). The result is an ``xarray.Dataset`` like every other reader's: ``time``
as datetime64[ns] UTC, each parameter's ``fill`` masked as NaN, ``units`` and ``description`` in
attrs, vector parameters as ``(time, <name>_dim1)``; the server's ``info`` goes into attrs under
``hapi_*``. Connection failures, timeouts and server errors (HTTP 5xx, HAPI 1500) are retried a
few times with back-off, as GETs may safely be; request errors (HAPI 14xx) are not.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from . import ReadError

RETRIES = 3
_RETRYABLE = ("non-200 HTTP status (5", "Connection error", "Connection timeout", "Failed to connect",
              "Read timeout", "1500")


def _hapi_call(server: str, dataset: str, *args, retries: int, backoff: float):
    """hapiclient's ``hapi(server, dataset, *args)`` with retries of what may be retried."""
    from hapiclient import hapi
    from hapiclient.util import HAPIError

    opts = {"logging": False, "usecache": False, "cache": False, "cachedir": tempfile.gettempdir()}
    for attempt in range(1, retries + 1):
        try:
            return hapi(server, dataset, *args, **opts)
        except HAPIError as e:
            message = str(e).strip()
            if attempt == retries or not any(k in message for k in _RETRYABLE):
                raise ReadError(f"{server.rstrip('/')}/data?id={dataset}",
                                f"HAPI request failed after {attempt} attempt(s): {message}") from None
        except (ValueError, KeyError, IndexError) as e:  # a malformed answer hapiclient could not parse
            raise ReadError(f"{server.rstrip('/')}/data?id={dataset}",
                            f"malformed HAPI response ({type(e).__name__}: {e})") from None
        time.sleep(backoff * 2 ** (attempt - 1))


def _times(column: np.ndarray, where: str) -> np.ndarray:
    try:
        text = np.char.rstrip(np.char.decode(column, "ascii") if column.dtype.kind == "S" else column.astype(str), "Z")
        try:
            times = text.astype("datetime64[ns]")
        except ValueError:  # day-of-year times (YYYY-DOY...) are valid HAPI; hapiclient converts those
            from hapiclient import hapitime2datetime

            times = np.array([np.datetime64(t.replace(tzinfo=None), "ns") for t in hapitime2datetime(column)])
        if np.isnat(times).any():
            raise ValueError("empty time values")
        return times
    except Exception as e:  # noqa: BLE001 - whatever the bytes were, they were not HAPI times
        raise ReadError(where, f"malformed HAPI response: unreadable Time values ({str(column[:1])[:60]}...: {e})"
                        ) from None


def read_hapi(server: str, dataset: str, start, stop, parameters: list[str] | None = None,
              retries: int = RETRIES, backoff: float = 0.5):
    """``parameters`` (default: all) of HAPI ``dataset`` on ``server`` in [start, stop).

    >>> read_hapi("https://cdaweb.gsfc.nasa.gov/hapi", "OMNI_HRO_1MIN", "2015-03-17", "2015-03-18",
    ...           ["SYM_H"])  # doctest: +SKIP
    """
    import xarray as xr

    t0, t1 = (str(np.datetime64(t, "ms")) + "Z" for t in (start, stop))
    if parameters:  # HAPI wants them in the order of the dataset's info
        info = _hapi_call(server, dataset, retries=retries, backoff=backoff)
        order = [p["name"] for p in info.get("parameters", [])]
        unknown = sorted(set(parameters) - set(order))
        if unknown:
            raise ReadError(f"{server.rstrip('/')}/info?id={dataset}",
                            f"has no parameter(s) {unknown} (it has: {', '.join(order[1:])})")
        parameters = [p for p in order if p in parameters]
    data, meta = _hapi_call(server, dataset, ",".join(parameters or []), t0, t1, retries=retries, backoff=backoff)
    params = meta.get("parameters") or []
    if not params or data is None or "Time" not in (data.dtype.names or ()):
        raise ReadError(f"{server}/data?id={dataset}", "malformed HAPI response: no Time parameter")
    variables = {}
    for p in params[1:]:
        name = p["name"]
        values = np.asarray(data[name])
        if values.dtype.kind in "fiu":
            values = values.astype("float64")
            fill = p.get("fill")
            if fill not in (None, "", "NaN", "nan"):
                values[values == float(fill)] = np.nan
        dims = ("time",) + tuple(f"{name}_dim{i}" for i in range(1, values.ndim))
        attrs = {k: v for k, v in (("units", p.get("units") or ""), ("description", p.get("description") or ""),
                                   ("hapi_fill", p.get("fill"))) if v is not None}
        variables[name] = (dims, values, attrs)
    ds = xr.Dataset(variables, coords={"time": _times(data["Time"], f"{server.rstrip('/')}/data?id={dataset}")})
    ds.attrs.update({"hapi_server": server, "hapi_dataset": dataset, "hapi_version": meta.get("HAPI", ""),
                     "hapi_start": t0, "hapi_stop": t1})
    for key in ("resourceURL", "citation", "contact", "description"):
        if meta.get(key):
            ds.attrs[f"hapi_{key}"] = meta[key]
    return ds
