"""Times and time ranges parsed once: ISO 8601 and HAPI's day-of-year forms, offsets to UTC, the span
datetime64[ns] can hold (never wrapped), NaT refused; overlaps, intersect, split, open ends, display."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import spacehub.catalog
from spacehub.timerange import (
    TimeError,
    TimeRange,
    format_range,
    format_span,
    format_time,
    parse_time,
    require_time,
    resolve_open_end,
)


def ns(text: str) -> np.datetime64:
    return np.datetime64(text, "ns")


@pytest.mark.parametrize("value, expected", [
    ("2015-03-17", "2015-03-17T00:00"),
    ("2015-03-17T04:45", "2015-03-17T04:45"),
    ("2015-03-17 04:45:30.5", "2015-03-17T04:45:30.5"),
    ("2015-03-17T04:45:00Z", "2015-03-17T04:45"),
    ("2015-03-17T06:45+02:00", "2015-03-17T04:45"),
    ("2015-03-16T23:45-05:00", "2015-03-17T04:45"),
    ("2015-076", "2015-03-17T00:00"),
    ("2015-076T12:00Z", "2015-03-17T12:00"),
    ("2016-366", "2016-12-31T00:00"),
    ("2015-03-17T04:45:00.123456789Z", "2015-03-17T04:45:00.123456789"),
    (dt.datetime(2015, 3, 17, 4, 45), "2015-03-17T04:45"),
    (dt.datetime(2015, 3, 17, 6, 45, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2015-03-17T04:45"),
    (dt.date(2015, 3, 17), "2015-03-17T00:00"),
    (np.datetime64("2015-03-17T04:45"), "2015-03-17T04:45"),
    (pd.Timestamp("2015-03-17T04:45"), "2015-03-17T04:45"),
    (pd.Timestamp("2015-03-16T23:45", tz="America/New_York"), "2015-03-17T03:45"),
])
def test_time_forms_in_utc(value, expected):
    t = parse_time(value)
    assert t == ns(expected) and t.dtype == np.dtype("datetime64[ns]")


@pytest.mark.parametrize("value", ["2599-10-05", "1600-01-01", "2599-283", np.datetime64("2599-10-05"),
                                   dt.datetime(2600, 1, 1), "2262-06-01"])
def test_dates_datetime64_ns_cannot_hold_are_refused(value):
    with pytest.raises(TimeError, match=r"start .* is outside 1678-01-01 \.\. 2262-04-11, the dates a "
                                        r"datetime64\[ns\] can hold: use a date in that span"):
        parse_time(value, "start")


@pytest.mark.parametrize("value", [np.datetime64("NaT"), pd.NaT])
def test_nat_refused(value):
    with pytest.raises(TimeError, match="stop is NaT"):
        parse_time(value, "stop")


@pytest.mark.parametrize("value, why", [
    ("last tuesday", "start 'last tuesday' is not a time: use ISO 8601"),
    ("2015-366", "day of year 366 does not exist in 2015"),
    ("2015-03-17T25:00", "no such time of day"),
    (17, "start 17 is not a time"),
])
def test_not_times_explained(value, why):
    with pytest.raises(TimeError, match=why):
        parse_time(value, "start")


def test_open_and_required_ends():
    assert parse_time(None) is None and parse_time("") is None
    with pytest.raises(TimeError, match="stop is required"):
        require_time(None, "stop")
    with pytest.raises(TimeError, match="start is required"):
        TimeRange(None, "2015-03-17")


def test_range_checked_once():
    r = TimeRange("2015-076", "2015-03-18T00:00Z")
    assert (r.start, r.stop) == (ns("2015-03-17"), ns("2015-03-18"))
    assert r.duration == np.timedelta64(1, "D")
    with pytest.raises(TimeError, match="stop 2015-03-17 must be after start 2015-03-18"):
        TimeRange("2015-03-18", "2015-03-17")
    with pytest.raises(TimeError, match="must be after"):
        TimeRange("2015-03-17", "2015-03-17")
    with pytest.raises(AttributeError):
        r.start = ns("2015-01-01")  # a value: frozen


def test_overlaps_intersect_contains():
    storm = TimeRange("2015-03-17", "2015-03-19")
    assert storm.overlaps(TimeRange("2015-03-18T12:00", "2015-03-20"))
    assert not storm.overlaps(TimeRange("2015-03-19", "2015-03-20"))  # half-open: they only touch
    assert storm.intersect(TimeRange("2015-03-18T12:00", "2015-03-20")) == TimeRange("2015-03-18T12:00", "2015-03-19")
    assert storm.intersect(TimeRange("2015-03-19", "2015-03-20")) is None
    assert storm.contains("2015-03-17") and not storm.contains("2015-03-19")


def test_split_into_days_and_steps():
    r = TimeRange("2015-03-17T12:00", "2015-03-19T06:00")
    assert [str(p) for p in r.split("D")] == ["[2015-03-17T12:00:00, 2015-03-18)", "[2015-03-18, 2015-03-19)",
                                              "[2015-03-19, 2015-03-19T06:00:00)"]
    pieces = list(r.split(np.timedelta64(20, "h")))
    assert [p.duration for p in pieces] == [np.timedelta64(20, "h"), np.timedelta64(20, "h"), np.timedelta64(2, "h")]
    assert pieces[0].start == r.start and pieces[-1].stop == r.stop
    assert len(list(r.split(dt.timedelta(days=7)))) == 1
    with pytest.raises(TimeError, match="must be positive"):
        list(r.split(np.timedelta64(0, "h")))


def test_open_end_means_now():
    before = np.datetime64("now", "s")
    cover = TimeRange.coverage("1981-01-01", None)
    assert before <= cover.stop <= np.datetime64("now", "s")
    assert resolve_open_end(ns("2002-01-01")) == ns("2002-01-01")
    assert TimeRange.coverage("2001-01-01", "2002-01-01").stop == ns("2002-01-01")


def test_one_format_for_display():
    assert format_time(ns("2015-03-17")) == "2015-03-17"
    assert format_time(ns("2015-03-17T04:45")) == "2015-03-17T04:45:00"
    assert format_time(ns("2015-03-17T04:45:00.25")) == "2015-03-17T04:45:00.25"
    assert format_time(ns("2015-03-17"), "s") == "2015-03-17T00:00:00"
    assert format_time(ns("2015-03-17T04:45"), "D") == "2015-03-17"
    assert format_time(None) == "now"
    assert format_span(ns("1981-01-01"), None) == "1981-01-01 .. now"
    assert format_range(ns("2015-03-17"), ns("2015-03-18T12:00")) == "[2015-03-17, 2015-03-18T12:00:00)"
    assert repr(TimeRange("2015-03-17", "2015-03-18")) == "TimeRange('2015-03-17', '2015-03-18')"


def test_parse_time_still_importable_from_the_catalog():
    assert spacehub.catalog.parse_time is parse_time
