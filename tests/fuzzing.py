"""Inputs that try to break spacehub's edges, for `tests/unit/test_fuzz_inputs.py` and
`benchmarks/fuzz_inputs.py`: settings files, catalog files, time strings and widget text.

Each target has a hypothesis strategy of inputs and a ``check_*`` function that feeds one input to
spacehub and returns ``"accepted"`` or ``"refused"``. It fails (AssertionError, or the exception
itself) when an input escapes as anything but the project's own error type, or when a refusal does
not say what is wrong and where (file, line, key).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from spacehub.catalog import Catalog, CatalogError, read_catalog_file
from spacehub.catalog.files import catalog_files
from spacehub.config import DEFAULT_SETTINGS_FILE, SettingsError, load_settings
from spacehub.config.settings import schema as settings_schema
from spacehub.timerange import TimeError, TimeRange, parse_time, require_time

# --- building blocks ---------------------------------------------------------------------------

#: text that means something to YAML, spliced into documents
YAML_PIECES = ["&a ", "*a", "&b [*a, *a, *a, *a]", ": ", "- ", "{", "}", "[", "]", ",", "? ", "!!binary ",
               "!!int ", "!!float ", "!!timestamp ", "!!set ", "!!omap ", "!!python/object/apply:os.system ",
               "<<: *a", "\t", "\x00", "\ufeff", "---\n", "...\n", "%YAML 1.1\n", '"', "'", "#", "|\n  ",
               ">-\n  ", "\n", "  ", "1: ", "yes: ", "2015-13-01", "0x1F", "1e999", ".nan", "~", "null",
               "9" * 5000, "\\u0000", "\u0662\u0660\u0661\u0665"]

#: times that look almost right: every field at and past its edge
TIME_PIECES = st.from_regex(re.compile(
    r"\A[0-9\u0660-\u0669]{1,6}(-[0-9]{1,3}(-[0-9]{1,3})?)?([T ][0-9]{1,3}(:[0-9]{1,3}(:[0-9]{1,3}(\.[0-9]{1,12})?)?)?)?"
    r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?\Z"))
ODD_TEXT = st.sampled_from(["", " ", "\x00", "2015-03-17\x00", "\u0662\u0660\u0661\u0665-03-17", "2015-13-01",
                            "2015-00-10", "2015-02-29", "2016-02-30", "2015-000", "2015-400", "2016-366",
                            "99999-01-01", "2262-04-11", "2262-04-10T23:59:59.999999999", "1677-09-21",
                            "2015-03-17T24:00", "2015-03-17T23:59:60", "2015-03-17T12:00+99:99",
                            "１９９９-０１-０１", "2015-03-17T04:45:00.1234567891234", "NaT", "now", "today"])
ISO_TIMES = st.builds(lambda t, form, zone: t.strftime(form) + zone,
                      st.datetimes(dt.datetime(1600, 1, 1), dt.datetime(2300, 1, 1)),
                      st.sampled_from(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%j", "%Y-%jT%H",
                                       "%Y-%m", "%Y", "%Y-%m-%d %H%M%S"]),
                      st.sampled_from(["", "Z", "+05:30", "-12", "+0000"]))
TIME_TEXT = st.one_of(ISO_TIMES, ISO_TIMES, TIME_PIECES, ODD_TEXT, st.text(max_size=40),
                      st.builds(lambda s, n: s * n, st.sampled_from(["2", "2015-03-17", "\x00", "٢"]),
                                st.integers(1_000, 100_000)))

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    st.sampled_from(["", "\x00", "../..", "/", "2015-13-01", "08:00:00", "1e999", "a" * 300]))
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=10), st.integers(), st.booleans()), inner, max_size=4)),
    max_leaves=12)


def dump(doc: Any) -> str:
    """``doc`` as YAML text, whatever it holds (keys of any type, NaN, NUL characters)."""
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)


@st.composite
def spliced(draw, texts) -> str:
    """A document's text with up to four cuts, repeats and YAML pieces spliced in."""
    text = draw(texts)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        piece = draw(st.sampled_from(YAML_PIECES) | st.text(max_size=5))
        text = {"insert": text[:i] + piece + text[i:], "delete": text[:i] + text[j:],
                "replace": text[:i] + piece + text[j:], "repeat": text[:j] + text[i:j] * 3 + text[j:]}[kind]
    return text


@st.composite
def alias_bombs(draw) -> str:
    """A "billion laughs": each level a list repeating the level before, under ``key``."""
    levels, width = draw(st.integers(3, 12)), draw(st.integers(2, 12))
    key = draw(st.sampled_from(["admin_users", "bomb", "datasets", "keywords"]))
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\n{key}: *l{levels - 1}\n"


def long_lists(key: str) -> st.SearchStrategy[str]:
    return st.integers(100, 60_000).map(lambda n: f"{key}: [{', '.join(['a'] * n)}]\n")


def _replace(draw, doc, where: tuple) -> None:
    """Replace the value at ``where`` in ``doc`` by junk or an odd time, drop its key or rename it."""
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    last = where[-1]
    kind = draw(st.sampled_from(["value", "value", "drop", "rename", "time"]))
    if kind == "drop" and isinstance(parent, dict):
        del parent[last]
    elif kind == "rename" and isinstance(parent, dict):
        parent[draw(st.one_of(st.integers(), st.booleans(), st.text(max_size=8), st.none()))] = parent.pop(last)
    elif kind == "time":
        parent[last] = draw(TIME_PIECES | ODD_TEXT)
    else:
        parent[last] = draw(JUNK)


def _paths(value, prefix=()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


# --- settings ----------------------------------------------------------------------------------

def _resolve(sub: dict) -> dict:
    while "$ref" in sub:
        name = sub["$ref"].rsplit("/", 1)[-1]
        sub = {**settings_schema()["$defs"][name], **{k: v for k, v in sub.items() if k != "$ref"}}
    return sub


def schema_values(sub: dict, wild: bool = True) -> st.SearchStrategy:
    """Values that fit the schema ``sub``: its types, patterns and bounds, with (``wild``) values
    at and far past what a deployment would use (NUL characters, 1e300 GiB, 2**63)."""
    sub = _resolve(sub)
    if "enum" in sub:
        return st.sampled_from(sub["enum"])
    kind = sub.get("type")
    if kind == "object" and "properties" in sub:
        props = {k: schema_values(v, wild) for k, v in sub["properties"].items()}
        required = {k: props.pop(k) for k in sub.get("required", [])}
        return st.fixed_dictionaries(required, optional=props)
    if kind == "array":
        return st.lists(schema_values(sub.get("items", {}), wild), max_size=3)
    if kind == "integer":
        lo, hi = sub.get("minimum", 0), sub.get("maximum", 2**63)
        return st.integers(lo, min(hi, lo + 100)) | (st.sampled_from([lo, hi]) if wild else st.just(lo))
    if kind == "number":
        lo = sub.get("minimum", sub.get("exclusiveMinimum", 0))
        right = st.floats(lo, lo + 100, exclude_min="exclusiveMinimum" in sub)
        return right | st.sampled_from([lo + 1e-300, 1e300, 2.0**64, 123456789.0]) if wild else right
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        right = st.from_regex(sub["pattern"], fullmatch=True) if "pattern" in sub else st.text(max_size=12)
        return right | st.sampled_from(["", "/", "..", "../x", "\x00", "a\x00b", "x" * 500, "\u202e"]) if wild \
            else right
    return SCALARS


@cache
def _settings_values(wild: bool) -> st.SearchStrategy:
    return schema_values(settings_schema(), wild)


@st.composite
def settings_documents(draw) -> dict:
    """A settings mapping that fits the schema, sometimes with one value or key replaced by junk."""
    doc = draw(_settings_values(draw(st.booleans())))
    paths = _paths(doc)[1:]
    if paths and draw(st.integers(0, 2)) == 0:
        _replace(draw, doc, draw(st.sampled_from(paths)))
    return doc


SHIPPED_SETTINGS = DEFAULT_SETTINGS_FILE.read_text()
SETTINGS_TEXT = st.one_of(
    settings_documents().map(dump),
    settings_documents().map(dump),
    spliced(st.just(SHIPPED_SETTINGS) | settings_documents().map(dump)),
    JUNK.map(dump),
    alias_bombs(),
    long_lists("auth:\n  admin_users"),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)


def _message_names_where(e, path: Path, text: str) -> None:
    message = str(e)
    assert message.startswith(str(path)), f"the message does not name the file: {message}"
    assert e.why.strip(), f"the message does not say why: {message}"
    if e.line is not None:
        assert 1 <= e.line <= text.count("\n") + 2, f"line {e.line} is not in the file: {message}"
        assert f":{e.line}" in message


def check_settings(text: str, folder: Path) -> str:
    """Load ``text`` as a settings file: a `Settings`, or a `SettingsError` naming file, line and key."""
    path = folder / "spacehub.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_settings(path)
    except SettingsError as e:
        _message_names_where(e, path, text)
        top = e.key.split(".")[0] if e.key else ""
        if top and e.line is None and re.search(rf"(?m)^{re.escape(top)}\s*:", text):
            raise AssertionError(f"key {e.key} is in the file but the message gives no line: {e}") from None
        return "refused"
    return "accepted"


# --- catalogs ----------------------------------------------------------------------------------

@cache
def shipped_catalogs() -> dict[str, str]:
    """The text of every shipped catalog file, by name."""
    return {p.name: p.read_text() for p in catalog_files()}


@cache
def small_catalogs() -> list[dict]:
    """Each shipped catalog with its first dataset only (the schema check is then quick)."""
    from spacehub.catalog.files import _Loader

    docs = []
    for text in shipped_catalogs().values():
        doc = yaml.load(text, _Loader)  # the shipped files, read as the catalog reads them
        first = next(iter(doc["datasets"]))
        docs.append({**doc, "datasets": {first: doc["datasets"][first]}})
    return docs


@st.composite
def mutated_catalogs(draw) -> dict:
    """A shipped catalog with one to three values replaced, keys dropped or renamed (an integer id...)."""
    import copy

    doc = copy.deepcopy(draw(st.sampled_from(small_catalogs())))
    for _ in range(draw(st.integers(1, 3))):
        _replace(draw, doc, draw(st.sampled_from(_paths(doc)[1:])))
    return doc


CATALOG_TEXT = st.one_of(
    mutated_catalogs().map(dump),
    mutated_catalogs().map(dump),
    spliced(st.sampled_from(sorted(shipped_catalogs().values(), key=len)[:8])),
    alias_bombs(),
    long_lists("mission: ACE\ndomain: heliophysics\nkeywords"),
    JUNK.map(dump),
)


def check_catalog(text: str, folder: Path) -> str:
    """Read ``text`` as a catalog file: entries that work, or a `CatalogError` naming file, line and field."""
    path = folder / "fuzzed.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        entries = read_catalog_file(path)
    except CatalogError as e:
        _message_names_where(e, path, text)
        return "refused"
    catalog = Catalog(entries)  # what an accepted file gives must work: lookups, search, display, routes
    catalog.allows("https://example.org/x")
    catalog.search("solar wind")
    for entry in catalog:
        repr(entry), entry.summary(), entry.coverage
    return "accepted"


# --- times -------------------------------------------------------------------------------------

_SAYS_WHAT_WORKS = re.compile(r"\buse\b|must be|give ")


def check_time(start: Any, stop: Any) -> str:
    """``start`` and ``stop`` through `parse_time`, `require_time` and `TimeRange`: values or a
    `TimeError` saying what would work."""
    outcome = "accepted"
    for call in (lambda: parse_time(start, "start"), lambda: require_time(stop, "stop"),
                 lambda: TimeRange(start, stop)):
        try:
            call()
        except TimeError as e:
            message = str(e)
            assert _SAYS_WHAT_WORKS.search(message), f"the message does not say what would work: {message}"
            assert len(message) < 400, f"a message of {len(message)} characters"
            outcome = "refused"
    return outcome


# --- widgets -----------------------------------------------------------------------------------

WIDGET_TEXT = st.one_of(TIME_TEXT, TIME_PIECES, st.text(string.printable, max_size=30))


def check_time_picker(picker, start: str, stop: str) -> str:
    """Type ``start`` and ``stop`` into a `TimeRangePicker`: the model takes them, or the message line
    says why; nothing raises."""
    picker.start.value, picker.stop.value = start, stop
    if picker.model.valid:
        return "accepted"
    assert picker.message.text.strip(), f"invalid range {start!r}, {stop!r} but no message"
    assert picker.message.kind == "error"
    for suggested in re.findall(r"e\.g\. (\d{4})-\d\d-\d\d\S*(?: \.\. (\d{4})-)?", picker.message.text):
        for year in filter(None, suggested):
            assert 1678 <= int(year) <= 2262, f"a date outside 1678 .. 2262 suggested: {picker.message.text}"
    return "refused"


def check_search_box(picker, text: str) -> str:
    """Type ``text`` into a `DatasetPicker`'s search box: matches, or a message saying none do."""
    picker.search.value = text
    if picker.entry is not None:
        return "accepted"
    assert picker.message.text.startswith("no dataset matches"), picker.message.text
    return "refused"


#: the explorer's datasets the widget target switches between (an open end, a closed coverage, daily files)
EXPLORED = ["omni_hro_1min", "c1_cp_fgm_spin", "ac_h0_mfi"]


def fuzzed_explorer(folder: Path):
    """The explorer over the real catalog, offline and without samples: every read fails fast, with a message."""
    import spacehub.catalog as catalogs
    from spacehub.widgets import explorer

    cat = catalogs.open(samples=folder / "no-samples", offline=True)
    ui = explorer(cat, dataset_id=EXPLORED[0], start="2015-03-17", stop="2015-03-19", backend="matplotlib")
    for dataset_id in EXPLORED:  # the first read of each imports its reader: seconds, once, not in a case
        ui.dataset.model.select(dataset_id)
        ui.time_range.start.value, ui.time_range.stop.value = "2015-03-17", "2015-03-19"
    return ui


def check_explorer_fields(ui, dataset_id: str, start: str, stop: str, search: str) -> str:
    """Pick ``dataset_id`` in the explorer, type ``start``, ``stop`` and ``search`` into its fields."""
    ui.dataset.search.value = ""
    ui.dataset.model.select(dataset_id)
    outcome = check_time_picker(ui.time_range, start, stop)
    assert ui.plot.message.text, "the plot pane says nothing"
    check_search_box(ui.dataset, search)
    return outcome
