"""CSV tables: published data products that are tables (flux points, event lists, station lists).

Lines starting with ``#`` are the table's own notes (citation, fit results) and go into the
dataset's ``notes`` attribute; the first other line names the columns. A column called ``time``
(any case) becomes the ``time`` coordinate (datetime64); otherwise rows are indexed by ``row``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CorruptFile, UnknownVariable


def open_csv(path, variables=None):
    import pandas as pd
    import xarray as xr

    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            notes = [line[1:].strip() for line in f if line.startswith("#")]
        table = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise CorruptFile(path, f"not a readable CSV table ({e})") from None
    if variables:
        missing = [v for v in variables if v not in table.columns]
        if missing:
            raise UnknownVariable(path, f"has no column(s) {missing} (it has: {', '.join(table.columns)})")
    time_col = next((c for c in table.columns if c.lower() == "time"), None)
    numeric = table.drop(columns=[time_col] if time_col else [])
    bad = [c for c in numeric.columns if numeric[c].dtype == object]
    if bad:
        first = f" (first row: {table.iloc[0].to_dict()})" if len(table) else ""
        raise CorruptFile(path, f"column(s) {bad} are not numbers{first}")
    if time_col:
        times = pd.to_datetime(table[time_col], utc=True, errors="coerce")
        if times.isna().any():
            line = int(times.isna().to_numpy().argmax()) + 2  # header line + 1-based
            raise CorruptFile(path, f"unreadable time {table[time_col].iloc[line - 2]!r} in data row {line - 1}")
        ds = xr.Dataset({c: ("time", numeric[c].to_numpy()) for c in numeric.columns},
                        coords={"time": times.dt.tz_localize(None).to_numpy().astype("datetime64[ns]")})
    else:
        ds = xr.Dataset({c: ("row", numeric[c].to_numpy()) for c in numeric.columns})
    if variables:
        ds = ds[[v for v in variables if v != time_col]]
    ds.attrs["notes"] = "\n".join(notes)
    return ds
