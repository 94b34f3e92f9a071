"""HAPI routes: a dataset served by any HAPI 2.x/3.x server (CDAWeb, the hub's own data service ...).

The request goes through hapiclient, the HAPI project's reference client (binary when the server
offers it, CSV otherwise). The result is an ``xarray.Dataset`` like every other reader's: ``time``
as datetime64[ns] UTC, each parameter's ``fill`` masked as NaN, ``units`` and ``description`` in
attrs, vector parameters as ``(time, <name>_dim1)``; the server's ``info`` goes into attrs under
``hapi_*``. Connection failures, timeouts and server errors (HTTP 5xx, HAPI 1500) are retried a
few times with back-off, as GETs may safely be; request errors (HAPI 14xx, HTTP 4xx) are not.
"""

from __future__ import annotations

import re
import time

import numpy as np

from ...timerange import format_time, require_time
from ..errors import CorruptFile, ReadError, RemoteUnavailable, UnknownVariable

RETRIES = 3


def http_status(error: BaseException) -> int | None:
    """The HTTP status of the answer behind a hapiclient ``HAPIError``, None if there was no answer.

    hapiclient (0.3.x, ``hapiclient.util.urlopen``) raises only ``HAPIError(text)``; for an answer
    other than 200 the status is in that text as ``non-200 HTTP status (503)`` and nowhere else. This
    is the one place that reads it; ``tests/unit/test_hapi_reader.py`` fails if hapiclient changes it.
    """
    found = re.search(r"non-200 HTTP status \((\d{3})\)", str(error))
    return int(found[1]) if found else None


def transport_failed(error: BaseException) -> bool:
    """Whether hapiclient gave up without an answer: no connection, a timeout, a broken transfer.

    hapiclient raises its ``HAPIError`` while handling urllib3's exception, so that exception is the
    error's ``__context__``: a type, not a text.
    """
    import urllib3.exceptions as u

    cause = error.__context__
    return isinstance(cause, u.HTTPError) and not isinstance(cause, (u.LocationParseError, u.LocationValueError))


def _retryable(error: BaseException) -> bool:
    status = http_status(error)
    return transport_failed(error) or (status is not None and status >= 500)


def _hapi_call(server: str, dataset: str, *args, retries: int, backoff: float):
    """hapiclient's ``hapi(server, dataset, *args)`` with retries of what may be retried."""
    from hapiclient import hapi
    from hapiclient.util import HAPIError

    from ...data.hapi_client import cache_folder

    where = f"{server.rstrip('/')}/data?id={dataset}"
    # nothing is cached (the catalog has its own cache); the folder is named all the same, so that
    # nothing would go to hapiclient's default, a temp dir every account shares
    opts = {"logging": False, "usecache": False, "cache": False, "cachedir": str(cache_folder())}
    for attempt in range(1, retries + 1):
        try:
            return hapi(server, dataset, *args, **opts)
        except HAPIError as e:
            why = f"HAPI request failed after {attempt} attempt(s): {str(e).strip()}"
            if not _retryable(e):
                raise ReadError(where, why) from None
            if attempt == retries:
                raise RemoteUnavailable(where, why) from None
        except (ValueError, KeyError, IndexError) as e:  # a malformed answer hapiclient could not parse
            raise CorruptFile(where, f"malformed HAPI response ({type(e).__name__}: {e})") from None
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
    except Exception as e:
        raise CorruptFile(where, f"malformed HAPI response: unreadable Time values ({str(column[:1])[:60]}...: {e})"
                        ) from None


def read_hapi(server: str, dataset: str, start, stop, parameters: list[str] | None = None,
              retries: int = RETRIES, backoff: float = 0.5):
    """``parameters`` (default: all) of HAPI ``dataset`` on ``server`` in [start, stop).

    >>> read_hapi("https://cdaweb.gsfc.nasa.gov/hapi", "OMNI_HRO_1MIN", "2015-03-17", "2015-03-18",
    ...           ["SYM_H"])  # doctest: +SKIP
    """
    import xarray as xr

    t0, t1 = (format_time(require_time(t, what), "ms") + "Z" for t, what in ((start, "start"), (stop, "stop")))
    if parameters:  # HAPI wants them in the order of the dataset's info
        info = _hapi_call(server, dataset, retries=retries, backoff=backoff)
        order = [p["name"] for p in info.get("parameters", [])]
        unknown = sorted(set(parameters) - set(order))
        if unknown:
            raise UnknownVariable(f"{server.rstrip('/')}/info?id={dataset}",
                            f"has no parameter(s) {unknown} (it has: {', '.join(order[1:])})")
        parameters = [p for p in order if p in parameters]
    data, meta = _hapi_call(server, dataset, ",".join(parameters or []), t0, t1, retries=retries, backoff=backoff)
    params = meta.get("parameters") or []
    if not params or data is None or "Time" not in (data.dtype.names or ()):
        raise CorruptFile(f"{server}/data?id={dataset}", "malformed HAPI response: no Time parameter")
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
