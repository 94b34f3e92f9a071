"""TESS SPOC 2-minute sample: one ``s_lc.fits`` file in MAST's layout with an injected transiting planet.

Layout and names follow https://archive.stsci.edu/missions/tess/tid/ and the TESS Science Data
Products Description (EXP-TESS-ARC-ICD-0014): ``tid/s<sector 4>/<TIC in 4-digit groups>/
tess<timestamp>-s<sector 4>-<TIC 16>-<scid 4>-s_lc.fits``, HDUs PRIMARY, LIGHTCURVE (TIME in BTJD =
BJD - 2457000, TDB) and APERTURE. Content: sector 1 (2018-07-25 to 2018-08-22) at 2-min cadence,
the mid-sector downlink gap (cadences with NaN TIME and flux), momentum dumps every 2.5 days flagged
in QUALITY, red stellar noise, and one transiting planet (``PLANET``). The target carries the TIC
number of a known planet host for a realistic layout; its light curve and planet are synthetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import kepler
from .lightcurves import red_noise

BTJD_REF = 2457000.0
CADENCE_D = 2.0 / 1440
SECTOR, TIC, TIMESTAMP, SCID = 1, 25155310, "2018206045859", 120
START_BTJD, STOP_BTJD = 1325.2936, 1353.1777
GAP_BTJD = (1338.5242, 1339.6547)  # the orbit-perigee data downlink in the middle of the sector
MOMENTUM_DUMP_D = 2.5
PLANET = {"period_d": 3.288800, "t0_btjd": 1326.0872, "depth_ppm": 5900.0, "duration_h": 3.16}
TMAG, TEFF, RA, DEC = 10.55, 5800, 61.4093, -69.9596
DESAT, EARTH_POINT = 32, 8
_TIC16 = f"{TIC:016d}"
PATH = (f"tess/tid/s{SECTOR:04d}/{_TIC16[:4]}/{_TIC16[4:8]}/{_TIC16[8:12]}/{_TIC16[12:]}/"
        f"tess{TIMESTAMP}-s{SECTOR:04d}-{_TIC16}-{SCID:04d}-s_lc.fits")

COLUMNS = [(name, form, "BJD - 2457000, days" if name == "TIME" else unit, comment)
           for name, form, unit, comment in kepler.COLUMNS if name != "SAP_QUALITY"]
COLUMNS.insert(9, ("QUALITY", "J", "", "column title: aperture photometry quality flag"))


def columns(seed: int = 2018206) -> dict:
    """The LIGHTCURVE columns of the sample (arrays by name)."""
    rng = np.random.default_rng(seed)
    n = int(round((STOP_BTJD - START_BTJD) / CADENCE_D)) + 1
    time = START_BTJD + CADENCE_D * np.arange(n)
    f0 = 1.5e4 * 10 ** (-0.4 * (TMAG - 10.0))  # e-/s in the aperture, TESS Instrument Handbook scale
    white = 1.1 / np.sqrt(f0 * CADENCE_D * 86400 * 0.8)
    signal = (1.0 + red_noise(time, 60 * CADENCE_D, 150e-6, rng)) * kepler.transit_model(
        time, PLANET["period_d"], PLANET["t0_btjd"], PLANET["depth_ppm"], PLANET["duration_h"], CADENCE_D)
    gap = (time >= GAP_BTJD[0]) & (time < GAP_BTJD[1])
    quality = np.zeros(n, np.int32)
    quality[np.searchsorted(time, np.arange(START_BTJD + 1.2, STOP_BTJD, MOMENTUM_DUMP_D))] |= DESAT
    quality[gap] |= EARTH_POINT
    scatter = 1 + 4e-3 * np.exp(-((time - GAP_BTJD[0]) % 13.7) / 0.8)  # scattered light each orbit
    cols = {
        "TIME": time, "TIMECORR": np.full(n, 0.0011, np.float32),
        "CADENCENO": (70445 + np.arange(n)).astype(np.int32),
        "SAP_FLUX": f0 * 0.9 * signal * scatter * (1 + rng.normal(0, white, n)), "SAP_FLUX_ERR": np.full(n, f0 * white),
        "SAP_BKG": 400.0 * scatter ** 50 + rng.normal(0, 5, n), "SAP_BKG_ERR": np.full(n, 5.0),
        "PDCSAP_FLUX": f0 * signal * (1 + rng.normal(0, white, n)), "PDCSAP_FLUX_ERR": np.full(n, f0 * white * 1.05),
        "QUALITY": quality,
        "PSF_CENTR1": np.full(n, np.nan), "PSF_CENTR1_ERR": np.full(n, np.nan),
        "PSF_CENTR2": np.full(n, np.nan), "PSF_CENTR2_ERR": np.full(n, np.nan),
        "MOM_CENTR1": 1240.2 + rng.normal(0, 1e-3, n), "MOM_CENTR1_ERR": np.full(n, 1e-3),
        "MOM_CENTR2": 845.7 + rng.normal(0, 1e-3, n), "MOM_CENTR2_ERR": np.full(n, 1e-3),
        "POS_CORR1": np.zeros(n), "POS_CORR2": np.zeros(n),
    }
    for name in cols:
        if name not in ("CADENCENO", "QUALITY"):
            cols[name] = np.where(gap, np.nan, cols[name])
    return cols


def write_lc(dest) -> list:
    """Write the sector's light curve into ``dest`` (the sample-data folder); return the path."""
    from astropy.io import fits

    path = Path(dest) / PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = columns()
    primary = fits.PrimaryHDU()
    h = primary.header
    for key, value in [("TELESCOP", "TESS"), ("INSTRUME", "TESS Photometer"), ("OBJECT", f"TIC {TIC}"),
                       ("TICID", TIC), ("SECTOR", SECTOR), ("CAMERA", 3), ("CCD", 2),
                       ("ORIGIN", "spacehub (synthetic; layout of NASA/Ames SPOC)"), ("RADESYS", "ICRS"),
                       ("RA_OBJ", RA), ("DEC_OBJ", DEC), ("EQUINOX", 2000.0), ("TESSMAG", TMAG), ("TEFF", TEFF),
                       ("TIMVERSN", "OGIP/93-003")]:
        h[key] = value
    kepler.truth_keywords(h, PLANET, "t0_btjd")
    h["COMMENT"] = "SYNTHETIC SAMPLE in the layout of a TESS SPOC 2-min light curve; not real data."
    lc = kepler.lightcurve_hdu(cols, COLUMNS)
    good = cols["TIME"][np.isfinite(cols["TIME"])]
    for key, value in [("TIMEREF", "SOLARSYSTEM"), ("TASSIGN", "SPACECRAFT"), ("TIMESYS", "TDB"),
                       ("BJDREFI", int(BTJD_REF)), ("BJDREFF", 0.0), ("TIMEUNIT", "d"),
                       ("TSTART", float(good[0]) - CADENCE_D / 2), ("TSTOP", float(good[-1]) + CADENCE_D / 2),
                       ("DATE-OBS", kepler.utc_iso(BTJD_REF + good[0])),
                       ("DATE-END", kepler.utc_iso(BTJD_REF + good[-1])),
                       ("TIMEPIXR", 0.5), ("TIMEDEL", CADENCE_D), ("INT_TIME", 1.98), ("NUM_FRM", 60),
                       ("PDCMETHD", "msMAP"), ("CROWDSAP", 0.98), ("FLFRCSAP", 0.90)]:
        lc.header[key] = value
    aperture = fits.ImageHDU(np.where(np.add.outer(np.arange(-5, 6) ** 2, np.arange(-5, 6) ** 2) <= 4, 3, 1)
                             .astype(np.int32), name="APERTURE")
    for key, value in [("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CRPIX1", 6.0), ("CRPIX2", 6.0),
                       ("CRVAL1", RA), ("CRVAL2", DEC), ("CUNIT1", "deg"), ("CUNIT2", "deg"),
                       ("CDELT1", -0.00583), ("CDELT2", 0.00583)]:
        aperture.header[key] = value
    fits.HDUList([primary, lc, aperture]).writeto(path, overwrite=True)
    return [path]
