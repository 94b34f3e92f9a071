"""Text products, by layout (a route's ``layout``).

``gfz-kp-text``: GFZ Potsdam's Kp_ap_since_1932.txt (https://kp.gfz.de/en/data): ``#`` header lines,
then per 3-hour interval ``YYYY MM DD hh.h hh._m days days_m Kp ap D``; Kp in decimal thirds,
-1 for missing Kp and ap, D = 1 definitive / 0 nowcast. Time-stamped at the interval's start.

``kyoto-wdc-html``: WDC Kyoto's monthly index pages (Dst final, provisional, real-time; e.g.
https://wdc.kugi.kyoto-u.ac.jp/dst_final/201503/index.html). Inside ``<pre>``: a title line with the
month and year, then one line per day: the day number and 24 hourly values in fixed-width fields
that may touch ("-100-120", "99999999"), 9999 for missing. The value of hour column h is the mean over
[h-1, h) UT; it is time-stamped at the hour's start, as OMNI does.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from . import ReadError

MONTHS = {m: i + 1 for i, m in enumerate(
    ["JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER",
     "DECEMBER"])}
_NUMBER = re.compile(r"-?\d+")


def open_text(path: str | Path, layout: str | None, variables: list[str] | None = None):
    if layout == "kyoto-wdc-html":
        return open_kyoto_wdc(path, variables)
    if layout == "gfz-kp-text":
        return open_gfz_kp(path, variables)
    raise ReadError(path, f"text files need a known layout (route `layout`), got {layout!r}")


def open_kyoto_wdc(path: str | Path, variables: list[str] | None = None, fill: int = 9999):
    import xarray as xr

    path = Path(path)
    text = path.read_text(errors="replace")
    pre = re.search(r"<pre[^>]*>(.*?)</pre>", text, re.S | re.I)
    body = pre.group(1) if pre else text
    title = re.search(r"\b(" + "|".join(MONTHS) + r")\s+(\d{4})\b", body.upper())
    if not title:
        raise ReadError(path, "no 'MONTH YEAR' title: not a WDC Kyoto monthly index page")
    year, month = int(title.group(2)), MONTHS[title.group(1)]
    first = np.datetime64(f"{year:04d}-{month:02d}", "D")
    ndays = int(((np.datetime64(f"{year:04d}-{month:02d}", "M") + 1).astype("datetime64[D]") - first).astype(int))
    values = np.full((ndays, 24), np.nan)
    seen = set()
    for line in body.splitlines():
        if [int(x) for x in _NUMBER.findall(line)] == list(range(1, 25)):
            continue  # the hour header
        m = re.match(r"\s*(\d{1,2})\s+(-?\d.*)$", line)
        if not m or not (1 <= int(m.group(1)) <= ndays):
            continue
        day = int(m.group(1))
        numbers = _fixed_width_hours(line) or [int(x) for x in _NUMBER.findall(m.group(2))]
        if len(numbers) != 24:
            if day in seen or len(numbers) < 24:
                raise ReadError(path, f"day {day}: {len(numbers)} hourly values, expected 24 (page cut or damaged?)")
            continue
        seen.add(day)
        row = np.array(numbers, dtype=float)
        row[row == fill] = np.nan
        values[day - 1] = row
    if not seen:
        raise ReadError(path, "no day lines with 24 hourly values found")
    t = first.astype("datetime64[ns]") + np.arange(ndays * 24) * np.timedelta64(1, "h")
    name = "Dst" if not variables else variables[0]
    ds = xr.Dataset({name: ("time", values.reshape(-1), {"units": "nT"})}, coords={"time": t})
    ds.attrs["source_files"] = [str(path)]
    return ds


def _fixed_width_hours(line: str) -> list[int] | None:
    """The 24 values of a day line read as Kyoto writes them: a 2-character day, a space, then three
    groups of eight 4-character fields separated by a space. Fields may touch ("99999999" is two
    missing hours), which is why they are cut by position, not split on spaces."""
    line = line.rstrip()
    if len(line) < 3 + 3 * 32 + 2:
        return None
    fields = [line[start + 4 * i: start + 4 * i + 4] for start in (3, 36, 69) for i in range(8)]
    try:
        return [int(f) for f in fields]
    except ValueError:
        return None


def open_gfz_kp(path: str | Path, variables: list[str] | None = None):
    import xarray as xr

    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 10:
            raise ReadError(path, f"line {number}: {len(parts)} columns, expected 10 "
                                  "(YYYY MM DD hh.h hh._m days days_m Kp ap D)")
        try:
            y, m, d = int(parts[0]), int(parts[1]), int(parts[2])
            hour = float(parts[3])
            rows.append((np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "ns") + np.timedelta64(int(round(hour * 3600)), "s"),
                         float(parts[7]), float(parts[8]), int(parts[9])))
        except ValueError as e:
            raise ReadError(path, f"line {number}: {e}") from None
    if not rows:
        raise ReadError(path, "no data lines: not a GFZ Kp file")
    t, kp, ap, flag = map(np.array, zip(*rows))
    kp[kp < 0] = np.nan
    ap[ap < 0] = np.nan
    ds = xr.Dataset({"Kp": ("time", kp), "ap": ("time", ap, {"units": "nT"}), "D": ("time", flag)},
                    coords={"time": t.astype("datetime64[ns]")})
    if variables:
        ds = ds[variables]
    ds.attrs["source_files"] = [str(path)]
    return ds
