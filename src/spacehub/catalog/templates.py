"""File-template routes: which archive files cover [start, stop).

A template names one file per period with strftime codes inside ``{time:...}``, e.g.
``{time:%Y}/omni_hro_1min_{time:%Y%m}01_v01.cdf`` with period ``month``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np


def period_start(t: datetime, period: str) -> datetime:
    """Start of the period that contains ``t``."""
    if period == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    if period == "day":
        return t.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "halfyear":
        return t.replace(month=1 if t.month < 7 else 7, day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "year":
        return t.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    raise ValueError(f"unknown period {period!r}")


def next_period(t: datetime, period: str) -> datetime:
    if period == "hour":
        return t + timedelta(hours=1)
    if period == "day":
        return t + timedelta(days=1)
    months = {"month": 1, "halfyear": 6, "year": 12}[period]
    m = t.month - 1 + months
    return t.replace(year=t.year + m // 12, month=m % 12 + 1)


def period_starts(start: np.datetime64, stop: np.datetime64, period: str) -> list[datetime]:
    """Starts of the periods that overlap [start, stop)."""
    t0 = _to_datetime(start)
    t1 = _to_datetime(stop)
    out, t = [], period_start(t0, period)
    while t < t1:
        out.append(t)
        t = next_period(t, period)
    return out


def render(template: str, t: datetime | None = None, version: str = "") -> str:
    return template.format(time=t, version=version) if t is not None else template.format(version=version)


def files_for(template: str, period: str, start: np.datetime64, stop: np.datetime64, version: str = "") -> list[str]:
    """The file names (or URLs) of ``template`` covering [start, stop)."""
    if period == "once":
        return [render(template, None, version)]
    return [render(template, t, version) for t in period_starts(start, stop, period)]


def latest_version(file_url: str, listing: str) -> str | None:
    """The highest ``{version}`` of ``file_url`` (time already filled in) among the file names in a
    folder's HTML ``listing``, or None if the folder has no such file."""
    import re

    name = file_url.rsplit("/", 1)[-1]
    before, _, after = name.partition("{version}")
    pattern = re.compile(re.escape(before) + r"([A-Za-z0-9._-]+?)" + re.escape(after) + r"(?=[\"'<\s])")
    versions = set(pattern.findall(listing))
    if not versions:
        return None
    # natural order: v2-2-0 < v2-10-0
    return max(versions, key=lambda v: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", v)])


def _to_datetime(t: np.datetime64) -> datetime:
    return np.asarray(t).astype("datetime64[us]").item()
