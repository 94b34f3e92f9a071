"""Read and validate the catalog files (``catalogs/*.yaml``) into :class:`Entry` objects.

Errors name the file, the dataset entry and the field, and say why (``CatalogError``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

from ..config.jsonschema_ import Draft202012Validator
from ..config.paths import CATALOG_DIR
from ..config.yaml_ import SafeLoader, YAMLProblem, line_of, read_yaml
from ..timerange import TimeError, parse_time, require_time
from .model import Entry, Variable

SCHEMA_FILE = CATALOG_DIR / "schema.yaml"


class CatalogError(ValueError):
    """A catalog file that cannot be used: which file, which entry, which field, and why."""

    def __init__(self, path, entry: str, field: str, why: str, line: int | None = None):
        self.path, self.entry, self.field, self.why, self.line = str(path), entry, field, why, line
        where = " ".join(p for p in (f"dataset {entry}" if entry else "", f"field {field}" if field else "") if p)
        super().__init__(f"{self.path}{f':{line}' if line else ''}: {where + ': ' if where else ''}{why}")


class _Loader(SafeLoader):
    """YAML without implicit timestamps: dates stay the strings the schema checks."""


_Loader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def schema() -> dict:
    with open(SCHEMA_FILE) as f:
        return yaml.load(f, _Loader)


@cache
def validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def catalog_files(folder: Path = CATALOG_DIR) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.yaml") if p.name != "schema.yaml")


def read_catalog_file(path: Path) -> list[Entry]:
    """Validate one catalog file and return its entries."""
    path = Path(path)
    try:
        doc, text = read_yaml(path, _Loader)
    except YAMLProblem as e:  # a missing file too: the caller named it
        raise CatalogError(path, "", "", e.why, e.line) from None
    return entries_of(doc, path, lambda *keys: line_of(text, keys, _Loader))


def dataset_entry(spec: dict, source: str = "added in this session") -> Entry:
    """One dataset given as a mapping in the catalog files' form, with its ``id`` and its
    ``mission`` and ``domain`` (what `Catalog.add` takes), checked as a catalog file is."""
    if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
        raise CatalogError(source, "", "id", "give the dataset as a mapping with an `id` (lowercase snake_case) and "
                                             "the fields of a catalog file's dataset (`spacehub catalog show ID` "
                                             "shows one)")
    rest = {k: v for k, v in spec.items() if k not in ("id", "mission", "domain")}
    doc = {"mission": spec.get("mission"), "domain": spec.get("domain"), "datasets": {spec["id"]: rest}}
    if doc["mission"] is None:
        raise CatalogError(source, spec["id"], "mission", "a dataset needs its `mission` (e.g. \"Wind\")")
    if doc["domain"] is None:
        raise CatalogError(source, spec["id"], "domain", "a dataset needs its `domain` "
                                                         f"({', '.join(schema()['$defs']['domain']['enum'])})")
    return entries_of(doc, source, lambda *keys: None)[0]


def entries_of(doc, path, line: Callable[..., int | None]) -> list[Entry]:
    """The entries of a catalog document (a file's mapping), validated; ``line`` finds a key's line."""
    if not isinstance(doc, dict):
        raise CatalogError(path, "", "", "must be a mapping with mission, domain and datasets")

    def coverage_time(name: str, key: str, parse):
        try:
            return parse(doc["datasets"][name]["coverage"].get(key), key)
        except TimeError as e:
            raise CatalogError(path, name, f"coverage.{key}", str(e), line("datasets", name, "coverage", key)) from None

    errors = sorted(validator().iter_errors(doc),
                    key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise _schema_error(path, errors[0], line)
    defaults = {k: v for k, v in doc.items() if k != "datasets"}
    entries = []
    for name, d in doc["datasets"].items():
        for i, route in enumerate(d["routes"]):
            why = _template_problem(route)
            if why:
                raise CatalogError(path, name, f"routes[{i}]", why, line("datasets", name, "routes", i))
        cov = d["coverage"]
        start = coverage_time(name, "start", require_time)
        stop = coverage_time(name, "stop", parse_time)
        if stop is not None and stop < start:
            raise CatalogError(path, name, "coverage", f"stop {cov['stop']} is before start {cov['start']}",
                               line("datasets", name, "coverage"))
        example = None
        if "example" in d:
            example = (require_time(d["example"]["start"], "start"), require_time(d["example"]["stop"], "stop"))
            if not (start <= example[0] < example[1] <= (stop if stop is not None else example[1])):
                raise CatalogError(path, name, "example", f"{d['example']['start']} to {d['example']['stop']} is not a "
                                   "range inside the coverage", line("datasets", name, "example"))
        entries.append(Entry(
            id=name, title=d["title"], mission=d.get("mission", defaults["mission"]),
            domain=d.get("domain", defaults["domain"]), description=d["description"],
            start=start, stop=stop,
            variables=tuple(Variable(**{**v, "components": tuple(v.get("components", ()))}) for v in d["variables"]),
            routes=tuple(d["routes"]), kind=d.get("kind", "timeseries"), instrument=d.get("instrument", ""),
            provider=defaults.get("provider", ""), cadence=d.get("cadence", ""),
            keywords=tuple(d.get("keywords", ())), citation=d.get("citation", "").strip(), doi=d.get("doi", ""),
            licence=d.get("licence", defaults.get("licence", "")), data_policy=defaults.get("data_policy", ""),
            homepage=defaults.get("homepage", ""), example=example, source=path if isinstance(path, Path) else None,
        ))
    return entries


def read_catalog_dir(folder: Path = CATALOG_DIR) -> list[Entry]:
    """Every entry of every catalog file in ``folder``; ids must be unique across files."""
    seen: dict[str, Path] = {}
    entries = []
    for path in catalog_files(folder):
        for entry in read_catalog_file(path):
            if entry.id in seen:
                raise CatalogError(path, entry.id, "", f"duplicate dataset id (also in {seen[entry.id]})")
            seen[entry.id] = path
            entries.append(entry)
    return entries


ROUTE_KINDS = ("hapi", "files", "sample", "local", "portal")


def _schema_error(path, err, line) -> CatalogError:
    if err.validator == "oneOf" and isinstance(err.instance, dict) and err.instance.get("kind") in ROUTE_KINDS:
        # a route of a known kind: report what is wrong against that kind's form alone
        form = {**schema()["$defs"][f"route_{err.instance['kind']}"], "$defs": schema()["$defs"]}
        inner = next(iter(Draft202012Validator(form).iter_errors(err.instance)), None)
        if inner is not None:
            inner.path.extendleft(reversed(err.absolute_path))
            err = inner
    parts = [str(p) for p in err.absolute_path]
    entry = parts[1] if len(parts) > 1 and parts[0] == "datasets" else ""
    field = ".".join(parts[2:] if entry else parts)
    why = err.message
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        why = f"unknown route kind {err.instance.get('kind')!r} (known: {', '.join(ROUTE_KINDS)})"
    elif err.validator == "additionalProperties":
        why = err.message.replace("were unexpected", "are not catalog fields").replace(
            "was unexpected", "is not a catalog field")
    elif err.validator == "pattern" and parts[-1:] == ["path"] and "routes" in parts:
        why = f"{err.instance!r}: a local path is absolute (/...) or starts with ~/ (your home)"
    elif err.validator == "enum" and parts and parts[-1] == "format":
        why = f"unknown format / reader {err.instance!r} (known: {', '.join(err.validator_value)})"
    return CatalogError(path, entry, field, why, line(*err.absolute_path))


_STRFTIME = re.compile(r"%[-]?[YmdHMSjyBbe%]")


def _template_problem(route: dict) -> str | None:
    """Why a `files` / `sample` route template is unusable, or None."""
    template = route.get("url") or route.get("path")
    if template is None:
        return None
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as e:
        return f"bad template {template!r}: {e}"
    names = {f[1] for f in fields if f[1] is not None}
    unknown = names - {"time", "version", "station"}
    if unknown:
        return (f"unknown placeholder(s) {sorted(unknown)} in {template!r} (use {{time:%Y%m%d}}, {{version}} "
                "and, with a `stations` list, {station})")
    if ("station" in names) != bool(route.get("stations")):
        return ("a {station} placeholder and a `stations` list go together" if "station" in names
                else "`stations` given but the template has no {station} placeholder")
    for _, name, spec, _ in fields:
        if name == "time" and not _STRFTIME.search(spec or ""):
            return f"{{time}} needs a strftime format such as {{time:%Y%m%d}} in {template!r}"
    if "time" in names and route.get("period", "once") == "once":
        return f"template {template!r} uses {{time}} but the route has no period (hour, day, month, ...)"
    return None
