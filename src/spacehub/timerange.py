"""Times and time ranges: parsed and checked once, at the edge, then passed on as values.

Every time here is UTC as ``datetime64[ns]``. That type holds 1677-09-21 .. 2262-04-11 only; numpy
silently wraps dates outside it (``np.datetime64("2599-10-05", "ns")`` is a date in 2015), so such
dates are refused here with a message instead. HAPI's forms are accepted (HAPI 3.1 spec section
3.7.1): calendar and day-of-year dates (``2015-03-17``, ``2015-076``), with an optional time and a
``Z`` or ``+hh:mm`` offset (converted to UTC).

>>> TimeRange("2015-076", "2015-03-18T00:00Z")
TimeRange('2015-03-17', '2015-03-18')
>>> parse_time("2599-10-05")
Traceback (most recent call last):
...
spacehub.timerange.TimeError: time '2599-10-05' is outside 1678-01-01 .. 2262-04-11, the dates a datetime64[ns] \
can hold: use a date in that span
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import isleap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

#: the span of dates datetime64[ns] holds, to whole days
EARLIEST = np.datetime64("1678-01-01", "ns")
LATEST = np.datetime64("2262-04-11", "ns")
ONE_DAY = np.timedelta64(1, "D")

#: numpy's units of time, for display and for splitting a range
Unit = Literal["Y", "M", "D", "h", "m", "s", "ms", "us", "ns"]

_CLOCK = r"(?:[T ](?P<h>\d{2})(?::?(?P<m>\d{2})(?::?(?P<s>\d{2})(?P<f>\.\d{1,9})?)?)?)?"
_ZONE = r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?"
# ASCII digits only: \d would take any script's digits ('٢٠١٥'), which numpy does not read
_CALENDAR = re.compile(r"(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})" + _CLOCK + ")?)?" + _ZONE,
                       re.IGNORECASE | re.ASCII)
_ORDINAL = re.compile(r"(?P<y>\d{4})-(?P<doy>\d{3})" + _CLOCK + _ZONE, re.IGNORECASE | re.ASCII)
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EXAMPLE = "use ISO 8601, e.g. 2015-03-17 or 2015-03-17T04:45"


class TimeError(ValueError):
    """A value that is not a usable time, or a range whose stop is not after its start."""


def parse_time(value: object, what: str = "time") -> np.datetime64 | None:
    """``value`` (ISO 8601 text, datetime, date, datetime64 or pandas Timestamp) as UTC datetime64[ns].

    None and "" give None (an open end); NaT, text that is not a time, and dates outside 1678 .. 2262
    raise `TimeError` naming ``what``.

    >>> parse_time("2015-03-17T06:45+02:00", "start")
    np.datetime64('2015-03-17T04:45:00.000000000')
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        t = _parse_text(value.strip(), what)
    elif isinstance(value, np.datetime64):
        t = _from_datetime64(value, what)
    elif isinstance(value, dt.datetime):  # pandas Timestamp included
        if str(value) == "NaT":  # pandas.NaT is a datetime too
            raise TimeError(f"{what} is NaT (not a time): give a time, {_EXAMPLE}")
        if value.tzinfo is not None:
            try:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:  # within a day of year 1 or 9999: far outside the span anyway
                raise TimeError(f"{what} {value} is outside {format_time(EARLIEST)} .. {format_time(LATEST)}, "
                                "the dates a datetime64[ns] can hold: use a date in that span") from None
        t = _from_datetime64(np.datetime64(value.isoformat(), "us"), what)
    elif isinstance(value, dt.date):
        t = _from_datetime64(np.datetime64(value.isoformat(), "D"), what)
    else:
        raise TimeError(f"{what} {_shown(value)} is not a time: {_EXAMPLE}")
    return t


def _shown(value: object, most: int = 40) -> str:
    """``value`` for a message: its repr, cut short in the middle when long."""
    text = repr(value)
    return text if len(text) <= most else f"{text[:most - 10]}...{text[-6:]} ({len(str(value)):,} characters)"


def require_time(value: object, what: str = "time") -> np.datetime64:
    """`parse_time` where a time is required: None is refused too."""
    t = parse_time(value, what)
    if t is None:
        raise TimeError(f"{what} is required: {_EXAMPLE}")
    return t


def _from_datetime64(value: np.datetime64, what: str) -> np.datetime64:
    if np.isnat(value):
        raise TimeError(f"{what} is NaT (not a time): give a time, {_EXAMPLE}")
    if np.datetime_data(value.dtype)[0] in ("ps", "fs", "as"):  # within 107 days of 1970: nanoseconds hold
        value = value.astype("datetime64[ns]")  # them, and numpy cannot convert these units to days or years
    # numpy wraps silently when a unit change overflows: the year first (coarser, so it cannot wrap)
    year = int(value.astype("datetime64[Y]").astype(np.int64)) + 1970
    day = value.astype("datetime64[D]") if 1000 < year < 3000 else np.datetime64("0001-01-01", "D")
    _check_span(day, str(np.datetime_as_string(value)), what)
    return value.astype("datetime64[ns]")


def _check_span(day: np.datetime64, shown: str, what: str) -> None:
    """Refuse a ``day`` (datetime64[D]: it holds any year, so this check cannot wrap) outside the span."""
    if not EARLIEST.astype("datetime64[D]") <= day < LATEST.astype("datetime64[D]"):
        raise TimeError(f"{what} {shown!r} is outside {format_time(EARLIEST)} .. {format_time(LATEST)}, "
                        "the dates a datetime64[ns] can hold: use a date in that span")


def _parse_text(text: str, what: str) -> np.datetime64:
    ordinal, calendar = _ORDINAL.fullmatch(text), _CALENDAR.fullmatch(text)
    match = ordinal or calendar
    if match is None:
        raise TimeError(f"{what} {_shown(text)} is not a time: {_EXAMPLE}")
    year = int(match["y"])
    try:
        if ordinal:
            doy = int(match["doy"])
            if not 1 <= doy <= 365 + isleap(year):
                raise ValueError(f"day of year {doy} does not exist in {year}")
            day = np.datetime64(f"{year:04d}-01-01", "D") + np.timedelta64(doy - 1, "D")
        else:
            month, mday = int(match["mo"] or 1), int(match["d"] or 1)
            if not 1 <= month <= 12:
                raise ValueError(f"month {month} does not exist: months are 01 .. 12")
            days = _MONTH_DAYS[month - 1] + (month == 2 and isleap(year))
            if not 1 <= mday <= days:
                raise ValueError(f"{year:04d}-{month:02d} has days 01 .. {days}, not {match['d']}")
            day = np.datetime64(f"{year:04d}-{month:02d}-{mday:02d}", "D")
        _check_span(day, text, what)
        clock = [int(match[k] or 0) for k in ("h", "m", "s")]
        if clock[0] > 23 or clock[1] > 59 or clock[2] > 60:
            raise ValueError(f"no such time of day {match['h']}:{match['m'] or '00'}:{match['s'] or '00'}")
        nanoseconds = round(float(match["f"] or 0) * 1e9)
        t = (day.astype("datetime64[ns]") + np.timedelta64(clock[0] * 3600 + clock[1] * 60 + clock[2], "s")
             + np.timedelta64(nanoseconds, "ns"))
    except TimeError:
        raise
    except ValueError as e:
        raise TimeError(f"{what} {_shown(text)} is not a time ({e}): {_EXAMPLE}") from None
    zone = (match["zone"] or "Z").upper()
    if zone != "Z":  # local time = UTC + offset
        digits = zone[1:].replace(":", "")
        offset = np.timedelta64(int(digits[:2]) * 60 + int(digits[2:] or 0), "m")
        t = t - offset if zone[0] == "+" else t + offset
    return _from_datetime64(t, what)


def parse_duration(text: str) -> np.timedelta64 | None:
    """An ISO 8601 duration (a catalog cadence such as ``PT1M``) as timedelta64; None if it is not one.

    >>> parse_duration("PT1M"), parse_duration("event")
    (np.timedelta64(60000000000,'ns'), None)
    """
    if not text or not text.startswith("P"):
        return None
    import pandas as pd

    try:
        span = pd.Timedelta(text).to_timedelta64().astype("timedelta64[ns]")
    except ValueError:
        return None
    return span if span > np.timedelta64(0, "ns") else None


def now() -> np.datetime64:
    """The current UTC time to the second, as datetime64[ns]."""
    return np.datetime64("now", "s").astype("datetime64[ns]")


def resolve_open_end(stop: np.datetime64 | None) -> np.datetime64:
    """``stop``, or now where it is open: a dataset still delivering has data up to now, none from the future."""
    return now() if stop is None else stop


def format_time(t: np.datetime64 | None, unit: Unit | Literal["auto"] = "auto") -> str:
    """``t`` as ISO 8601 text for display; None (an open end) as ``now``.

    ``unit`` is ``"D"``, ``"s"``, ``"us"`` ... or ``"auto"``: the date alone at midnight, else to
    the second, with the fraction only where there is one.

    >>> format_time(np.datetime64("2015-03-17T04:45:00.250"))
    '2015-03-17T04:45:00.25'
    >>> format_time(np.datetime64("2015-03-17T00:00"))
    '2015-03-17'
    """
    if t is None:
        return "now"
    if unit != "auto":
        return str(np.datetime_as_string(t, unit=unit))
    unit_of_t = np.datetime_data(t.dtype)[0]
    if unit_of_t in ("Y", "M", "W", "D", "h", "m"):  # seconds hold any year: no conversion can wrap here
        t = t.astype("datetime64[s]")
    text = str(np.datetime_as_string(t))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.endswith("T00:00:00"):
        return text[:10]
    return text


def format_span(start: np.datetime64, stop: np.datetime64 | None, unit: Unit | Literal["auto"] = "auto") -> str:
    """A coverage for display: ``2015-03-17 .. 2015-04-01``, or ``1981-01-01 .. now`` for an open end."""
    return f"{format_time(start, unit)} .. {format_time(stop, unit)}"


def format_range(start: np.datetime64, stop: np.datetime64, unit: Unit | Literal["auto"] = "auto") -> str:
    """A half-open range for display: ``[2015-03-17, 2015-03-18T12:00:00)``."""
    return f"[{format_time(start, unit)}, {format_time(stop, unit)})"


@dataclass(frozen=True, init=False)
class TimeRange:
    """The half-open UTC interval [start, stop): both ends required, stop after start.

    >>> r = TimeRange("2015-03-17", "2015-03-19")
    >>> r.contains("2015-03-18T12:00"), r.overlaps(TimeRange("2015-03-19", "2015-03-20"))
    (True, False)
    >>> [str(d) for d in r.split("D")]
    ['[2015-03-17, 2015-03-18)', '[2015-03-18, 2015-03-19)']
    """

    start: np.datetime64
    stop: np.datetime64

    def __init__(self, start: object, stop: object):
        t0, t1 = require_time(start, "start"), require_time(stop, "stop")
        if t1 <= t0:
            raise TimeError(f"stop {format_time(t1)} must be after start {format_time(t0)}")
        object.__setattr__(self, "start", t0)
        object.__setattr__(self, "stop", t1)

    @classmethod
    def coverage(cls, start: object, stop: object | None) -> TimeRange:
        """A dataset's coverage, its open end (``stop`` None) read as now."""
        t0 = require_time(start, "start")
        return cls(t0, resolve_open_end(parse_time(stop, "stop")))

    @property
    def duration(self) -> np.timedelta64:
        return self.stop - self.start

    def contains(self, t: object) -> bool:
        """Whether the time ``t`` is in [start, stop)."""
        return bool(self.start <= require_time(t) < self.stop)

    def overlaps(self, other: TimeRange) -> bool:
        """Whether the two ranges share any instant."""
        return bool(self.start < other.stop and other.start < self.stop)

    def intersect(self, other: TimeRange) -> TimeRange | None:
        """The part both ranges share, or None if they do not overlap."""
        if not self.overlaps(other):
            return None
        return TimeRange(max(self.start, other.start), min(self.stop, other.stop))

    def split(self, step: Unit | np.timedelta64 | dt.timedelta) -> Iterator[TimeRange]:
        """Consecutive pieces of ``step`` (``"D"``, ``"h"``, or a timedelta), the last one cut at stop.

        A unit step (``"D"``) cuts at whole units (midnights), so pieces line up with daily files.
        """
        if isinstance(step, str):
            if step not in get_args(Unit):
                raise TimeError(f"split step {step!r} is not a unit of time: use one of {', '.join(get_args(Unit))}, "
                                "or a timedelta")
            edge = self.start.astype(f"datetime64[{step}]").astype("datetime64[ns]")
            delta = np.timedelta64(1, step).astype("timedelta64[ns]")
        else:
            edge, delta = self.start, np.timedelta64(step).astype("timedelta64[ns]")
        if delta <= np.timedelta64(0, "ns"):
            raise TimeError(f"split step {step!r} must be positive")
        t0 = self.start
        while t0 < self.stop:
            edge = edge + delta
            t1 = min(edge, self.stop)
            if t1 > t0:
                yield TimeRange(t0, t1)
                t0 = t1

    def __str__(self) -> str:
        return format_range(self.start, self.stop)

    def __repr__(self) -> str:
        return f"TimeRange({format_time(self.start)!r}, {format_time(self.stop)!r})"


__all__ = ["EARLIEST", "LATEST", "TimeError", "TimeRange", "format_range", "format_span", "format_time", "now",
           "parse_time", "require_time", "resolve_open_end"]
