"""Fuzzing the edges: settings files, catalog files, time strings and the widgets' text fields get a
value or the project's own error saying what is wrong and where, never another exception, and fast.

The inputs are in `tests/fuzzing.py` (shared with `benchmarks/fuzz_inputs.py`). Runs are
derandomized, so CI sees the same cases every time; every input that once escaped is an explicit
`@example` here.
"""

import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from fuzzing import (
    CATALOG_TEXT,
    EXPLORED,
    SETTINGS_TEXT,
    TIME_TEXT,
    WIDGET_TEXT,
    check_catalog,
    check_explorer_fields,
    check_settings,
    check_time,
    fuzzed_explorer,
    shipped_catalogs,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import spacehub.catalog as catalog
from spacehub.widgets import explorer

CASES = 1000
FUZZ = settings(max_examples=CASES, deadline=dt.timedelta(seconds=2), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: a "billion laughs": 10 levels of 10 aliases, 10**10 strings when walked as a tree
BOMB = "\n".join(["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                 + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]) + "\n"
_FOLDER = tempfile.TemporaryDirectory(prefix="spacehub-fuzz-")  # hypothesis runs many cases per test call
FOLDER = Path(_FOLDER.name)


@FUZZ
@given(SETTINGS_TEXT)
@example(BOMB)
@example("auth:\n  admin_users: [" + ", ".join(["a"] * 1_000_000) + "]\n")  # 31 s before: now refused by size
@example('state_dir: "a\\0b"\n')  # escaped as ValueError (embedded null byte) from Path.resolve
@example("spawner: {memory_gib: 1.0e+300}\n")  # escaped as OverflowError from the GiB -> bytes conversion
@example("state_dir: 2015-13-01\n")  # escaped as ValueError from YAML's date
@example("1: x\nzz: y\n")  # two unknown keys of different types: escaped as TypeError while sorting them
@example("hub: {port: " + "9" * 5000 + "}\n")  # escaped as ValueError (int digits limit)
@example("a: &a [*a]\n")  # a value containing itself
@example("state_dir: ~nosuchuser/state\n")  # escaped as RuntimeError from Path.expanduser (found by the benchmark)
@example(b"mode: d\xe9mo\n".decode("latin-1"))
def test_settings_files(text):
    check_settings(text, FOLDER)


@FUZZ
@given(CATALOG_TEXT)
@example(BOMB)  # 144 s and 5.6 GB in `spacehub catalog validate` before
@example("mission: X\ndomain: solar\ndatasets:\n  123: {title: t}\n")  # an integer id: TypeError later
@example(shipped_catalogs()["sj10.yaml"].replace("start: ", "start: 2015-13-01 #", 1))  # month 13: ValueError
@example(shipped_catalogs()["sj10.yaml"].replace("start: ", "start: \uff12\uff10\uff11\uff15-01-01 #", 1))
def test_catalog_files(text):
    check_catalog(text, FOLDER)


@FUZZ
@given(TIME_TEXT, TIME_TEXT)
@example("2015-13-01", "2015-00-10")
@example("2015-400", "99999-01-01")
@example("\u0662\u0660\u0661\u0665-03-17", "2015-03-17\x00")
@example("2" * 100_000, "\x00" * 10_000)  # messages of 100 KB before: the input is cut short now
def test_time_strings(start, stop):
    check_time(start, stop)


@pytest.mark.parametrize("value", [
    np.datetime64(2**62, "as"), np.datetime64(12345, "ps"),  # OverflowError from numpy's unit conversion
    np.datetime64(2**62, "Y"), np.datetime64(-(2**62), "M"),
    dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-23))),  # OverflowError from astimezone
    dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=23))), float("nan"), b"2015-03-17",
])
def test_time_values_of_any_kind(value):
    check_time(value, value)


@pytest.fixture(scope="module")
def ui():
    return fuzzed_explorer(FOLDER)


@FUZZ
@given(st.sampled_from(EXPLORED), WIDGET_TEXT, WIDGET_TEXT, WIDGET_TEXT)
@example("omni_hro_1min", "2262-04-10T23:59", "2262-04-10", "")  # its suggestion wrapped round to 1677
@example("omni_hro_1min", "2015-13-01", "\x00", "\x00")
@example("ac_h0_mfi", "1816-03-18", "2195-09-12", "")  # read every daily file name of 379 years: 2.5 s
def test_explorer_fields(ui, dataset_id, start, stop, search):
    check_explorer_fields(ui, dataset_id, start, stop, search)


def test_explorer_shows_bad_first_values_instead_of_raising():
    cat = catalog.open(samples=FOLDER / "no-samples", offline=True)
    ui = explorer(cat, dataset_id="omni_hro_1min", start="2015-13-01", stop="tomorrow", backend="matplotlib")
    assert not ui.time_range.model.valid
    assert ui.time_range.message.text == (
        "start '2015-13-01' is not a time (month 13 does not exist: months are 01 .. 12): use ISO 8601, e.g. "
        "2015-03-17 or 2015-03-17T04:45; stop 'tomorrow' is not a time: use ISO 8601, e.g. 2015-03-17 or "
        "2015-03-17T04:45")


@pytest.mark.parametrize("name", ["settings", "catalog"])
def test_alias_bomb_refused_in_milliseconds_naming_file_and_line(tmp_path, name):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    started = time.perf_counter()
    with pytest.raises(ValueError) as refused:
        if name == "settings":
            from spacehub.config import load_settings
            load_settings(path)
        else:
            catalog.read_catalog_file(path)
    assert time.perf_counter() - started < 0.5
    assert str(refused.value).startswith(f"{path}:5: ")
    assert "more than 20,000 YAML nodes (aliases counted as what they repeat)" in str(refused.value)
