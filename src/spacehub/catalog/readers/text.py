"""Text products, by layout (a route's ``layout``); ``wdc-hourly``, the WDC exchange format of hourly
Dst and AE indices, in :mod:`.wdc`.

``gfz-kp-text``: GFZ Potsdam's Kp_ap_since_1932.txt (https://kp.gfz.de/en/data): ``#`` header lines,
then per 3-hour interval ``YYYY MM DD hh.h hh._m days days_m Kp ap D``; Kp in decimal thirds,
-1 for missing Kp and ap, D = 1 definitive / 0 nowcast. Time-stamped at the interval's start.

``kyoto-wdc-html``: WDC Kyoto's monthly index pages (Dst final, provisional, real-time; e.g.
https://wdc.kugi.kyoto-u.ac.jp/dst_final/201503/index.html). Inside ``<pre>``: a title line with the
month and year, then one line per day: the day number and 24 hourly values in fixed-width fields
that may touch ("-100-120", "99999999"), 9999 for missing. The value of hour column h is the mean over
[h-1, h) UT; it is time-stamped at the hour's start, as OMNI does.

``iaga2002``: the IAGA-2002 exchange format of geomagnetic observatories and variometer chains
(INTERMAGNET, the Chinese Meridian Project; https://www.ncei.noaa.gov/services/world-data-system/
v-dat-working-group/iaga-2002-data-exchange-format). Records of 70 characters: twelve header records
(`` Label`` in column 2, value from column 25, ``|`` in column 70), `` #`` comment records, the data
header (``DATE TIME DOY`` then four columns named IAGA code + element, e.g. ``BMTH``), then one data
record per sample: ``YYYY-MM-DD hh:mm:ss.sss DOY`` and four values. 99999 marks missing values,
88888 an element that is not recorded. Elements D and I are in minutes of arc, all others in nT.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import CorruptFile, ReadError, UnknownVariable

MONTHS = {m: i + 1 for i, m in enumerate(
    ["JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER",
     "DECEMBER"])}
_NUMBER = re.compile(r"-?\d+")


def open_text(path: str | Path, layout: str | None, variables: list[str] | None = None):
    if layout == "kyoto-wdc-html":
        return open_kyoto_wdc(path, variables)
    if layout == "gfz-kp-text":
        return open_gfz_kp(path, variables)
    if layout == "iaga2002":
        return open_iaga2002(path, variables)
    if layout == "wdc-hourly":
        from .wdc import open_wdc_hourly

        return open_wdc_hourly(path, variables)
    raise ReadError(path, f"text files need a known layout (route `layout`), got {layout!r}")


def open_kyoto_wdc(path: str | Path, variables: list[str] | None = None, fill: int = 9999):
    import xarray as xr

    path = Path(path)
    text = path.read_text(errors="replace")
    pre = re.search(r"<pre[^>]*>(.*?)</pre>", text, re.S | re.I)
    body = pre.group(1) if pre else text
    title = re.search(r"\b(" + "|".join(MONTHS) + r")\s+(\d{4})\b", body.upper())
    if not title:
        raise CorruptFile(path, "no 'MONTH YEAR' title: not a WDC Kyoto monthly index page")
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
                raise CorruptFile(path, f"day {day}: {len(numbers)} hourly values, expected 24 (page cut or damaged?)")
            continue
        seen.add(day)
        row = np.array(numbers, dtype=float)
        row[row == fill] = np.nan
        values[day - 1] = row
    if not seen:
        raise CorruptFile(path, "no day lines with 24 hourly values found")
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
    """GFZ Potsdam's Kp files, in either of their layouts: ``Kp_ap_since_1932.txt`` (a line per 3-hour
    interval: ``YYYY MM DD hh.h hh._m days days_m Kp ap D``) or ``Kp_ap_Ap_SN_F107_*.txt`` (a line per
    day: ``YYYY MM DD days days_m Bsr dB Kp1..Kp8 ap1..ap8 Ap SN F10.7obs F10.7adj D``). Both give
    ``Kp``, ``ap`` and the definitive flag ``D`` every 3 hours, at the start of each interval;
    -1 (missing) becomes NaN."""
    import xarray as xr

    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) not in (10, 28):
            raise CorruptFile(path, f"line {number}: {len(parts)} columns, expected 10 "
                                  "(YYYY MM DD hh.h hh._m days days_m Kp ap D) or 28 (YYYY MM DD days days_m Bsr dB "
                                  "Kp1..Kp8 ap1..ap8 Ap SN F10.7obs F10.7adj D)")
        try:
            day = np.datetime64(f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}", "ns")
            if len(parts) == 10:
                hour = float(parts[3])
                rows.append((day + np.timedelta64(int(round(hour * 3600)), "s"), float(parts[7]), float(parts[8]),
                             int(parts[9])))
            else:
                rows += [(day + np.timedelta64(3 * i, "h"), float(parts[7 + i]), float(parts[15 + i]), int(parts[27]))
                         for i in range(8)]
        except ValueError as e:
            raise CorruptFile(path, f"line {number}: {e}") from None
    if not rows:
        raise CorruptFile(path, "no data lines: not a GFZ Kp file")
    t, kp, ap, flag = map(np.array, zip(*rows))
    kp[kp < 0] = np.nan
    ap[ap < 0] = np.nan
    ds = xr.Dataset({"Kp": ("time", kp), "ap": ("time", ap, {"units": "nT"}), "D": ("time", flag)},
                    coords={"time": t.astype("datetime64[ns]")})
    if variables:
        ds = ds[variables]
    ds.attrs["source_files"] = [str(path)]
    return ds


#: IAGA-2002 fill values: missing data, and an element the station does not record
IAGA_MISSING, IAGA_NOT_RECORDED = 99999.0, 88888.0
#: units of the IAGA-2002 elements (D and I as angles, the field components as intensities)
IAGA_UNITS = {"D": "arcmin", "I": "arcmin", "H": "nT", "X": "nT", "Y": "nT", "Z": "nT", "E": "nT", "F": "nT",
              "G": "nT", "S": "nT"}
#: IAGA-2002 header labels (as lower case: producers capitalise them differently, "IAGA CODE")
_IAGA_HEADER = ("source of data", "station name", "iaga code", "geodetic latitude", "geodetic longitude",
                "elevation", "reported", "sensor orientation", "digital sampling", "data interval type",
                "data type", "publication date")


def open_iaga2002(path: str | Path, variables: list[str] | None = None):
    """One IAGA-2002 file as an ``xarray.Dataset``: one variable per element (``H``, ``D``, ``Z``,
    ``F``, ...; fills as NaN, units in attrs), the header in attrs, and the station as scalar
    coordinates (``station``, ``latitude``, ``longitude``) so that files of several stations
    concatenate along a ``station`` dimension.

    >>> ds = open_iaga2002("MOH_MAG01_GMD_L21_01D_20150317000000.txt", ["H"])  # doctest: +SKIP
    >>> ds.H.attrs["units"], str(ds.station.values)  # doctest: +SKIP
    ('nT', 'MOH')
    """
    import xarray as xr

    path = Path(path)
    lines = path.read_text(errors="replace").splitlines()
    header, comments, columns, first = _iaga_header(path, lines)
    rows = [(number, line.split()) for number, line in enumerate(lines[first:], first + 1) if line.strip()]
    if not rows:
        raise CorruptFile(path, "no data records after the DATE TIME DOY header line")
    for number, fields in rows:
        if len(fields) != 3 + len(columns):
            raise CorruptFile(path, f"line {number}: {len(fields)} fields, expected {3 + len(columns)} "
                                  f"(DATE TIME DOY {' '.join(columns)})")
    t = _iaga_times(path, rows)
    values = _iaga_values(path, rows)
    # 99999 (missing) and 88888 (not recorded); no element reaches them in nT or minutes of arc
    values[values >= IAGA_NOT_RECORDED] = np.nan
    elements = [c[-1].upper() for c in columns]
    names = list(variables) if variables else elements
    missing = [n for n in names if n not in elements]
    if missing:
        raise UnknownVariable(path, f"has no element(s) {missing} (it reports: {', '.join(elements)})")
    data = {n: ("time", values[:, elements.index(n)],
                {"units": IAGA_UNITS.get(n, ""), "long_name": f"{header.get('iaga_code', '')}{n}".strip()})
            for n in names}
    coords = {"time": t, "station": header.get("iaga_code", path.stem)}
    for key, name in (("geodetic_latitude", "latitude"), ("geodetic_longitude", "longitude")):
        if key in header:
            coords[name] = ((), _header_number(path, header, key), {"units": "degree"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(header)
    ds.attrs["comments"] = comments
    ds.attrs["source_files"] = [str(path)]
    return ds


def _iaga_header(path: Path, lines: list[str]) -> tuple[dict, list[str], list[str], int]:
    """(header fields, comments, data column names, index of the first data record)."""
    if not lines or lines[0][1:24].strip() != "Format" or "IAGA-2002" not in lines[0][24:].upper():
        raise CorruptFile(path, "line 1: not an IAGA-2002 file (expected ' Format                 IAGA-2002 ... |')")
    header: dict[str, str] = {}
    comments: list[str] = []
    for number, line in enumerate(lines[1:], 2):
        if line.startswith("DATE"):
            columns = line.rstrip(" |").split()[3:]
            if line.split()[:3] != ["DATE", "TIME", "DOY"] or len(columns) != 4:
                raise CorruptFile(path, f"line {number}: data header must be 'DATE TIME DOY' and four element "
                                      f"columns, got {line.strip()!r}")
            return header, comments, columns, number
        if line[1:2] == "#":
            comments.append(line[2:].rstrip(" |").strip())
            continue
        if not line.startswith(" ") or not line.rstrip().endswith("|"):
            raise CorruptFile(path, f"line {number}: not a header record (IAGA-2002 header records start with a "
                                  f"space and end with '|'), got {line.strip()[:40]!r}")
        label = " ".join(line[1:24].lower().split())
        if label not in _IAGA_HEADER:
            raise CorruptFile(path, f"line {number}: unknown header record {line[1:24].strip()!r} (IAGA-2002 "
                                  f"labels: {', '.join(_IAGA_HEADER)})")
        header[label.replace(" ", "_")] = line[24:].rstrip(" |").strip()
    raise CorruptFile(path, "no 'DATE TIME DOY' data header line: the file is cut or not IAGA-2002")


def _iaga_times(path: Path, rows: list[tuple[int, list[str]]]) -> np.ndarray:
    stamps = [f"{f[0]}T{f[1]}" for _, f in rows]
    try:
        t = np.array(stamps, dtype="datetime64[ns]")
    except ValueError:
        for (number, fields), stamp in zip(rows, stamps):
            try:
                np.datetime64(stamp, "ns")
            except ValueError:
                raise CorruptFile(path, f"line {number}: bad date/time {fields[0]} {fields[1]!r} "
                                      "(expected YYYY-MM-DD hh:mm:ss.sss)") from None
        raise
    doy = (t.astype("datetime64[D]") - t.astype("datetime64[Y]")).astype(int) + 1
    for (number, fields), expected in zip(rows, doy):
        if not fields[2].isdigit() or int(fields[2]) != expected:
            raise CorruptFile(path, f"line {number}: day of year {fields[2]!r} does not match the date {fields[0]} "
                                  f"(day {expected})")
    back = np.flatnonzero(np.diff(t) <= np.timedelta64(0, "ns"))
    if back.size:
        raise CorruptFile(path, f"line {rows[back[0] + 1][0]}: time {stamps[back[0] + 1]} does not follow "
                              f"{stamps[back[0]]} (records must increase in time)")
    return t


def _iaga_values(path: Path, rows: list[tuple[int, list[str]]]) -> np.ndarray:
    try:
        return np.array([f[3:] for _, f in rows], dtype=float)
    except ValueError:
        for number, fields in rows:
            for value in fields[3:]:
                try:
                    float(value)
                except ValueError:
                    raise CorruptFile(path, f"line {number}: {value!r} is not a number") from None
        raise


def _header_number(path: Path, header: dict, key: str) -> float:
    try:
        return float(header[key])
    except ValueError:
        raise CorruptFile(path, f"header {key.replace('_', ' ')}: {header[key]!r} is not a number") from None
