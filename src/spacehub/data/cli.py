"""``spacehub data sample``: write the offline sample data."""

from __future__ import annotations

from pathlib import Path


def cmd_sample(args) -> int:
    from ..samples import GENERATORS, generate
    from . import sample_dir

    dest = Path(args.dest) if args.dest else sample_dir()
    if args.if_missing and all((dest / ".complete" / name).exists() for name in GENERATORS):
        print(f"sample data already in {dest}")
        return 0
    for name in generate(dest, args.only or None):
        (dest / ".complete").mkdir(exist_ok=True)
        (dest / ".complete" / name).touch()
    return 0


def add_commands(sub) -> None:
    data = sub.add_parser("data", help="data on this hub")
    ds = data.add_subparsers(dest="data_command", required=True)
    p = ds.add_parser("sample", help="write the offline sample data (real products' layouts, synthetic content)")
    p.add_argument("--dest", help="folder (default: $SPACEHUB_SAMPLE_DATA or <state_dir>/sample-data)")
    p.add_argument("--only", nargs="*", help="dataset ids to write")
    p.add_argument("--if-missing", action="store_true", help="do nothing if every sample is already written")
    p.set_defaults(func=cmd_sample)
