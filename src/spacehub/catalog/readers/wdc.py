"""The WDC exchange format of hourly geomagnetic indices (layout ``wdc-hourly``): Dst and the
auroral electrojet indices AE, AL, AO, AU as WDC Kyoto and its mirrors distribute them.

One 120-character record per index and day (WDC Kyoto, "Dst index format" and "AE index hourly
format", https://wdc.kugi.kyoto-u.ac.jp/dstae/format/dstformat.html and aehformat.html):

========  ====  ===============================================================================
columns   form  content
========  ====  ===============================================================================
1-3       A3    index name: ``DST``, ``AE``, ``AL``, ``AO`` or ``AU`` (blank-padded)
4-5       I2    year, last two digits
6-7       I2    month
8         A1    ``*``
9-10      I2    day
11-12     A2    blanks, or ``RR`` for quick-look values
13        A1    ``X``
14        A1    version: 0 quick-look, 1 provisional, 2 final, 3 and up corrected final (or blank)
15-16     I2    century: ``19`` or blank for 19xx, ``20`` from 2000
17-20     I4    base value, in 100 nT
21-116    24I4  the 24 hourly values, nT, 9999 missing; the first for 00-01 UT
117-120   I4    daily mean, nT, 9999 missing
========  ====  ===============================================================================

An index value is 100 x base + the field (the base is 0 for Dst; AE files use it for large values).
Fields may touch (``-100-120``, ``99999999``), so records are cut by column, never split on spaces.
Each hour's value is the mean over the hour and is time-stamped at its start, as the WDC Kyoto
pages (``kyoto-wdc-html``) and OMNI are. A record that breaks the layout is a `CorruptFile` naming
the file, the line and the column.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import CorruptFile, UnknownVariable

#: index names of the records -> the variable names the readers give them
INDICES = {"DST": "Dst", "AE": "AE", "AL": "AL", "AO": "AO", "AU": "AU"}
RECORD_LENGTH = 120
MISSING = 9999
VERSIONS = {"0": "quick-look", "1": "provisional", "2": "final", " ": "final"}
#: a record's start: what `sniff` recognises the layout by
RECORD_START = re.compile(r"^(DST|AE |AL |AO |AU )\d{4}\*[ \d]\d")


def open_wdc_hourly(path: str | Path, variables: list[str] | None = None):
    """A file of WDC hourly index records as an ``xarray.Dataset``: one hourly variable per index in
    it (``Dst``, ``AE``, ``AL``, ``AO``, ``AU``; nT, missing as NaN), time-stamped at each hour's
    start; ``attrs["versions"]`` of each says which versions its days are (final, provisional, ...).

    >>> ds = open_wdc_hourly("dst2203.for.request")  # doctest: +SKIP
    >>> ds.Dst.attrs["units"]  # doctest: +SKIP
    'nT'
    """
    import xarray as xr

    path = Path(path)
    days: dict[str, dict[np.datetime64, tuple[int, np.ndarray, str]]] = {}
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        name, day, values, version = _record(path, number, line.rstrip("\r\n"))
        seen = days.setdefault(name, {})
        if day in seen:
            raise CorruptFile(path, f"line {number}: {name} of {day} again (first on line {seen[day][0]}): a file "
                                    "gives each index and day once")
        seen[day] = (number, values, version)
    if not days:
        raise CorruptFile(path, "no records: not a WDC hourly index file (records start like 'DST1503*01')")
    names = list(variables) if variables else list(days)
    missing = [n for n in names if n not in days]
    if missing:
        raise UnknownVariable(path, f"has no index {missing} (it gives: {', '.join(days)})")
    first = min(min(d) for d in days.values())
    last = max(max(d) for d in days.values())
    ndays = int((last - first) / np.timedelta64(1, "D")) + 1
    time = first.astype("datetime64[ns]") + np.arange(ndays * 24) * np.timedelta64(1, "h")
    data = {}
    for name in names:
        hourly = np.full((ndays, 24), np.nan)
        for day, (_, values, _) in days[name].items():
            hourly[int((day - first) / np.timedelta64(1, "D"))] = values
        versions = sorted({v for _, _, v in days[name].values()})
        data[name] = ("time", hourly.reshape(-1), {"units": "nT", "long_name": f"{name} index, hourly mean",
                                                   "versions": ", ".join(versions)})
    ds = xr.Dataset(data, coords={"time": ("time", time, {"standard_name": "time"})})
    ds.attrs.update({"source_files": [str(path)], "layout": "wdc-hourly",
                     "time_stamp": "start of the hour the value is the mean of"})
    return ds


def _record(path: Path, number: int, line: str) -> tuple[str, np.datetime64, np.ndarray, str]:
    """(variable name, day, 24 hourly values with NaN for missing, version) of one record."""
    def bad(column: str, why: str) -> CorruptFile:
        return CorruptFile(path, f"line {number}, {column}: {why} (a WDC hourly index record: 'DSTyymm*dd', "
                                 "'RR' or blanks, 'X', version, century, base, 24 values and the daily mean in "
                                 f"4 columns each, {RECORD_LENGTH} characters)")

    if not line.isascii():
        raise bad("characters", "not ASCII")
    name = line[0:3].strip()
    if name not in INDICES:
        raise bad("columns 1-3", f"index {line[0:3]!r} is none of {', '.join(INDICES)}")
    if len(line.rstrip()) != RECORD_LENGTH:
        raise bad("length", f"{len(line.rstrip())} characters")
    if line[7] != "*" or line[12] != "X" or line[10:12] not in ("  ", "RR") or not (line[13].isdigit() or line[13] == " "):
        raise bad("columns 8-14", f"{line[7:14]!r} is not '*dd  Xv' or '*ddRRXv' (v the version digit)")
    century = line[14:16]
    fields = {"year": line[3:5], "month": line[5:7], "day": line[8:10], "century": century if century.strip() else "19"}
    try:
        n = {key: int(text) for key, text in fields.items()}
        day = np.datetime64(f"{n['century'] * 100 + n['year']:04d}-{n['month']:02d}-{n['day']:02d}", "D")
    except ValueError:
        raise bad("columns 4-16", f"no date in year {line[3:5]!r}, month {line[5:7]!r}, day {line[8:10]!r}, "
                                  f"century {century!r}") from None
    cells = [line[16 + 4 * i: 20 + 4 * i] for i in range(26)]  # base, 24 hours, daily mean
    try:
        base, *hours, _mean = (int(c) for c in cells)
    except ValueError:
        at = next(i for i, c in enumerate(cells) if not re.fullmatch(r" *-?[0-9]+", c))
        raise bad(f"columns {17 + 4 * at}-{20 + 4 * at}", f"{cells[at]!r} is not a number") from None
    raw = np.array(hours, dtype=np.float64)
    values = np.where(raw == MISSING, np.nan, base * 100.0 + raw)
    return INDICES[name], day, values, VERSIONS.get(line[13], f"corrected final ({line[13]})")
