"""``spacehub catalog list | search | show | validate | export``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..timerange import format_span
from .catalog import QUANTITIES, Catalog
from .files import CATALOG_DIR, CatalogError, catalog_files, read_catalog_file


def _catalog(args) -> Catalog:
    return Catalog.from_dir(args.dir or CATALOG_DIR)


def cmd_list(args) -> int:
    entries = _catalog(args).search(mission=args.mission, domain=args.domain)
    for e in entries:
        print(e.summary())
    print(f"{len(entries)} dataset(s)", file=sys.stderr)
    return 0


def cmd_search(args) -> int:
    entries = _catalog(args).search(" ".join(args.text), mission=args.mission, domain=args.domain,
                                    quantity=args.quantity, variable=args.variable, start=args.start,
                                    stop=args.stop)
    for e in entries:
        print(e.summary())
    if not entries:
        print("no dataset matches; try fewer words or `spacehub catalog list`", file=sys.stderr)
    return 0 if entries else 1


def cmd_show(args) -> int:
    e = _catalog(args)[args.id]
    print(f"{e.id}: {e.title}\n  mission {e.mission}  instrument {e.instrument or '-'}  domain {e.domain}  kind {e.kind}")
    print(f"  coverage {format_span(e.start, e.stop, 's')}  cadence {e.cadence or '-'}")
    print(f"  {e.description.strip()}")
    print("  variables:")
    for v in e.variables:
        fill = "" if v.fill is None else f"  fill={v.fill:g}"
        print(f"    {v.name:20s} [{v.units}] {v.description}{fill}")
    print("  routes:")
    for r in e.routes:
        where = r.get("url") or r.get("path") or f"{r.get('server')} id={r.get('id')}"
        print(f"    {r['kind']:7s} {where}")
    if e.citation:
        print(f"  cite: {e.citation}" + (f" doi:{e.doi}" if e.doi else ""))
    if e.licence:
        print(f"  licence: {e.licence}")
    if e.data_policy:
        print(f"  data policy: {e.data_policy}")
    print(f"  defined in {e.source}")
    return 0


def cmd_validate(args) -> int:
    folder = Path(args.dir or CATALOG_DIR)
    problems = 0
    ids: dict[str, Path] = {}
    for path in catalog_files(folder):
        try:
            entries = read_catalog_file(path)
        except CatalogError as e:
            problems += 1
            print(f"FAIL {e}")
            continue
        for entry in entries:
            if entry.id in ids:
                problems += 1
                print(f"FAIL {path}: dataset {entry.id}: duplicate id (also in {ids[entry.id]})")
            ids[entry.id] = path
        print(f"ok   {path.name}: {len(entries)} dataset(s)")
    print(f"{len(ids)} datasets; {problems} problem(s)")
    return 1 if problems else 0


def cmd_export(args) -> int:
    cat = _catalog(args)
    if args.format == "intake":
        from .intake_ import export_intake

        if not args.output:
            print("spacehub: --format intake needs -o FILE.yaml", file=sys.stderr)
            return 2
        export_intake(cat, args.output, args.dir)
        print(f"wrote {len(cat)} datasets to {args.output}; open it with intake.open_catalog({args.output!r})",
              file=sys.stderr)
        return 0
    records = [{
        "id": e.id, "title": e.title, "mission": e.mission, "instrument": e.instrument, "domain": e.domain,
        "kind": e.kind, "start": str(e.start), "stop": None if e.stop is None else str(e.stop),
        "cadence": e.cadence, "variables": [{"name": v.name, "units": v.units, "fill": _json_number(v.fill)}
                                            for v in e.variables], "routes": list(e.routes),
        "citation": e.citation, "doi": e.doi, "licence": e.licence,
    } for e in cat]
    text = json.dumps(records, indent=1)
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {len(records)} datasets to {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def _json_number(x):
    return None if x is None or x != x else x  # NaN fills: JSON has no NaN


def add_commands(sub) -> None:
    cat = sub.add_parser("catalog", help="the mission data catalog")
    cs = cat.add_subparsers(dest="catalog_command", required=True)

    def with_dir(p):
        p.add_argument("--dir", help="folder of catalog files (default: the project's catalogs/)")
        return p

    p = with_dir(cs.add_parser("list", help="list datasets"))
    p.add_argument("--mission")
    p.add_argument("--domain")
    p.set_defaults(func=cmd_list)
    p = with_dir(cs.add_parser("search", help="search datasets by words, mission, quantity, time"))
    p.add_argument("text", nargs="*", help="words that must all occur")
    p.add_argument("--mission")
    p.add_argument("--domain")
    p.add_argument("--quantity", choices=QUANTITIES)
    p.add_argument("--variable", help="a variable name, e.g. BZ_GSM")
    p.add_argument("--start", help="coverage must overlap [start, stop)")
    p.add_argument("--stop")
    p.set_defaults(func=cmd_search)
    p = with_dir(cs.add_parser("show", help="everything about one dataset"))
    p.add_argument("id")
    p.set_defaults(func=cmd_show)
    p = with_dir(cs.add_parser("validate", help="check every catalog file"))
    p.set_defaults(func=cmd_validate)
    p = with_dir(cs.add_parser("export", help="all entries as JSON, or as an intake catalog file"))
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--format", choices=["json", "intake"], default="json")
    p.set_defaults(func=cmd_export)
