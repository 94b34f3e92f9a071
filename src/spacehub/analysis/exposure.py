"""Exposure of event data: the good time and the live time of an event file in a UTC range.

An event file (OGIP/GSFC, as HEASoft writes them) records when the instrument took data (its ``GTI``
table) and how long it was live (``LIVETIME``, else ``EXPOSURE``): a flux is counts over live time
(and acceptance), and a time range that cuts a file needs the live time of its part, which a
multi-file read cannot keep (each file has its own ``LIVETIME``). Per file of a read::

    live_s = live_time(path, start, stop)["live_time_s"]

and the sum over the files is the exposure of :func:`spacehub.analysis.spectra.flux_spectrum`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..catalog.readers.fits_time import GoodTimeIntervals


def live_time(path: str | Path, start: str | np.datetime64 | None = None,
              stop: str | np.datetime64 | None = None) -> dict:
    """Good time and live time of an OGIP event file, whole or in [start, stop) (UTC).

    The file's ``GTI`` table and live-time keyword are read with
    :func:`spacehub.catalog.readers.fits.read_gti` (a ``ReadError`` names the file when they are
    missing or broken); see :func:`live_time_of_gti` for the rest.

    Parameters
    ----------
    path : str or Path
        An event file with a ``GTI`` extension (OGIP/GSFC, as HEASoft writes them).
    start, stop : str or datetime64, optional
        The range in UTC; the whole file when left out.

    Returns
    -------
    dict
        ``good_time_s``, ``live_time_s``, ``file_good_time_s`` (all of the file's GTI),
        ``dead_time_corrected`` and ``keyword`` (``LIVETIME``, ``EXPOSURE`` or None).
    """
    from ..catalog.readers.fits import read_gti

    return live_time_of_gti(read_gti(path), start, stop)


def live_time_of_gti(gti: GoodTimeIntervals, start: str | np.datetime64 | None = None,
                     stop: str | np.datetime64 | None = None) -> dict:
    """Good time and live time of good time intervals, whole or in [start, stop) (UTC).

    The good time is the overlap of [start, stop) with the intervals. The live time is the recorded
    live time times the fraction of the good time inside the range, i.e. the dead time is taken as
    spread evenly over the good time; without a recorded live time, live time = good time
    (``"dead_time_corrected": False``).

    Examples
    --------
    >>> from spacehub.catalog.readers.fits_time import GoodTimeIntervals, TimeSystem
    >>> tt = TimeSystem("TT", "s", ("mjd", 58000.0, 0.0), "LOCAL")
    >>> gti = GoodTimeIntervals(np.array([0.0, 7200.0]), np.array([3600.0, 10800.0]), tt, "LIVETIME", 6000.0)
    >>> r = live_time_of_gti(gti, stop=tt.to_utc(np.array([9000.0]))[0])  # an hour and a half of the two
    >>> round(r["good_time_s"], 3), round(r["live_time_s"], 3), r["file_good_time_s"]
    (5400.0, 4500.0, 7200.0)
    """
    lo, hi, recorded = gti.start_s, gti.stop_s, gti.recorded_live_time_s
    t0, t1 = -np.inf, np.inf
    if start is not None or stop is not None:
        secs = gti.system.from_utc(np.array([x for x in (start, stop) if x is not None], "datetime64[ns]"))
        t0 = secs[0] if start is not None else -np.inf
        t1 = secs[-1] if stop is not None else np.inf
        if not t1 > t0:
            raise ValueError(f"stop {stop} must be after start {start}")
    total = float(np.sum(hi - lo))
    inside = float(np.clip(np.minimum(hi, t1) - np.maximum(lo, t0), 0.0, None).sum())
    live = inside if recorded is None else (recorded * inside / total if total > 0 else 0.0)
    return {"good_time_s": inside, "live_time_s": live, "file_good_time_s": total,
            "dead_time_corrected": recorded is not None, "keyword": gti.live_time_keyword}
