"""File-template routes: which archive files cover [start, stop).

A template names one file per period with strftime codes inside ``{time:...}``, e.g.
``{time:%Y}/omni_hro_1min_{time:%Y%m}01_v01.cdf`` with period ``month``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

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


def route_patterns(entries: Iterable) -> list[re.Pattern]:
    """Regexes of every remote URL the catalog's routes can name (file templates, HAPI servers)."""
    patterns = []
    for entry in entries:
        for route in entry.routes:
            if route["kind"] == "files":
                patterns.append(re.compile(_template_regex(route["url"]) + r"\Z"))
                if "{version}" in route["url"]:  # its folder: listed to find the latest version
                    patterns.append(re.compile(_template_regex(route["url"].rsplit("/", 1)[0] + "/") + r"\Z"))
            elif route["kind"] == "hapi":
                patterns.append(re.compile(re.escape(route["server"].rstrip("/")) + r"/.*\Z"))
    return patterns


def _template_regex(template: str) -> str:
    out, pos = [], 0
    for m in re.finditer(r"\{(time:[^}]*|version)\}", template):
        out.append(re.escape(template[pos:m.start()]))
        out.append(r"[A-Za-z0-9._-]+?" if m.group(1) == "version" else _strftime_regex(m.group(1)[5:]))
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return "".join(out)


def _strftime_regex(fmt: str) -> str:
    codes = {"Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{2}", "d": r"\d{2}", "H": r"\d{2}", "M": r"\d{2}",
             "S": r"\d{2}", "j": r"\d{3}", "b": r"[A-Za-z]{3}", "B": r"[A-Za-z]+", "e": r"[ \d]\d", "%": "%"}
    return re.sub(r"%-?(.)|([^%]+)", lambda m: codes.get(m.group(1), ".+?") if m.group(1) else re.escape(m.group(2)), fmt)


@dataclass(frozen=True)
class URLAllowlist:
    """A predicate on URLs: whether one of ``patterns`` (regexes of a catalog's routes) matches it.

    A value (hashable, equal for the same routes), so one cache per folder serves every opening of
    the same catalog.
    """

    patterns: tuple[str, ...]

    def __call__(self, url: str) -> bool:
        return any(p.match(url) for p in _compiled(self.patterns))


@cache
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern]:
    return [re.compile(p) for p in patterns]
