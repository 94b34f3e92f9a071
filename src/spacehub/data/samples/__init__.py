"""Offline sample data in the real products' layouts, with known injected events.

Every sample says it is synthetic in its own metadata and records the injected truth.
``spacehub data sample`` writes them into the sample-data folder (``spacehub.data.sample_dir()``).
"""

from __future__ import annotations

from pathlib import Path

from . import omni

#: dataset id -> function(dest) -> list of written paths
GENERATORS = {
    "omni_hro_1min": omni.write_month_files,
}


def generate(dest: Path, only: list[str] | None = None, log=print) -> dict[str, list[Path]]:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = {}
    for dataset_id, make in GENERATORS.items():
        if only and dataset_id not in only:
            continue
        written[dataset_id] = make(dest)
        log(f"{dataset_id}: {len(written[dataset_id])} file(s) in {dest}")
    return written
