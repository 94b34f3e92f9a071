"""Offline sample data in the real products' layouts, with known injected events.

Every sample says it is synthetic in its own metadata and records the injected truth.
``spacehub data sample`` writes them into the sample-data folder (``spacehub.data.sample_dir()``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import ace, dampe_events, dst, gecam, goes, goes_legacy, hxmt, kepler, kp, meridian, omni, tess, wind

PUBLISHED = Path(__file__).resolve().parent / "published"


def dampe_2017_flux(dest: Path) -> list[Path]:
    """The published DAMPE 2017 electron+positron flux points (real data, with their citation)."""
    path = dest / "dampe" / "dampe_2017_electron_positron_flux.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PUBLISHED / path.name, path)
    return [path]


#: dataset id -> function(dest) -> list of written paths
GENERATORS = {
    "kepler_llc": kepler.write_llc,
    "tess_spoc_2min": tess.write_lc,
    "hxmt_he_events": hxmt.write_events,
    "gecam_grd_events": gecam.write_events,
    "dampe_events": dampe_events.write_day_files,
    "omni_hro_1min": omni.write_month_files,
    "goes_xrs_flx1s": goes.write_day_files,
    "ac_h0_mfi": ace.write_mfi,
    "ac_h0_swe": ace.write_swe,
    "dst_kyoto": dst.write_month_pages,
    "kp_gfz": kp.write_file,
    "dampe_electron_flux_2017": dampe_2017_flux,
    "wi_h0_mfi": wind.write_mfi,
    "goes_xrs_2s": goes_legacy.write_day_files,
    "meridian_magnetometer": meridian.write_day_files,
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
