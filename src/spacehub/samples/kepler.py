"""Kepler long-cadence sample: ``_llc.fits`` files in MAST's layout with injected transiting planets.

Layout and names follow https://archive.stsci.edu/missions/kepler/lightcurves/ and the Kepler Archive
Manual (KDMC-10008): ``lightcurves/<KIC[:4]>/<KIC 9 digits>/kplr<KIC>-<timestamp>_llc.fits``, one file
per target and quarter, with HDUs PRIMARY (target keywords), LIGHTCURVE (TIME in BKJD = BJD - 2454833,
TDB; SAP/PDCSAP flux, errors, background, centroids, SAP_QUALITY) and APERTURE (pixel mask with WCS).
Content: quarters 1-4 (about a year) of eight stars at 29.4-min cadence, with the monthly downlink
gaps (cadences with NaN TIME, as the real files have), reaction-wheel desaturations flagged in
SAP_QUALITY, red (AR(1)) stellar noise, and SAP flux carrying the systematics PDC removes (per-quarter
level, drift, thermal settling after each gap). Six stars have one injected transiting planet
(trapezoid transit, recorded in ``TARGETS``), two have none; the noise and the transits are those of
:mod:`spacehub.samples.lightcurves`. The targets carry the KIC numbers of well-known Kepler stars for a
realistic layout; their light curves and planets are synthetic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .lightcurves import red_noise, transit_shape

BKJD_REF = 2454833.0
CADENCE_D = 0.0204335793  # 29.4244 min: 270 frames of 6.54 s
#: quarter, file timestamp (as MAST names the files), first and last cadence (BKJD), season
QUARTERS = [(1, "2009166043257", 131.512, 164.983, 0), (2, "2009259160929", 169.765, 258.467, 1),
            (3, "2009350155506", 260.225, 349.494, 2), (4, "2010078095331", 352.376, 442.203, 3)]
#: the targets: KIC, Kepler magnitude, RA/Dec (deg), Teff (K), and the injected planet (None: no planet)
TARGETS: list[dict[str, Any]] = [
    {"kic": 11904151, "kepmag": 10.96, "ra": 285.679, "dec": 50.241, "teff": 5627,
     "planet": {"period_d": 0.837495, "t0_bkjd": 131.5748, "depth_ppm": 152.0, "duration_h": 1.81}},
    {"kic": 11446443, "kepmag": 11.34, "ra": 286.808, "dec": 49.316, "teff": 5850,
     "planet": {"period_d": 2.470614, "t0_bkjd": 132.7626, "depth_ppm": 14500.0, "duration_h": 1.84}},
    {"kic": 10666592, "kepmag": 10.46, "ra": 292.247, "dec": 47.969, "teff": 6350,
     "planet": {"period_d": 2.204735, "t0_bkjd": 131.9858, "depth_ppm": 6700.0, "duration_h": 3.98}},
    {"kic": 11853905, "kepmag": 11.43, "ra": 286.971, "dec": 50.136, "teff": 5857,
     "planet": {"period_d": 3.213460, "t0_bkjd": 133.4140, "depth_ppm": 700.0, "duration_h": 3.95}},
    {"kic": 8191672, "kepmag": 13.37, "ra": 299.407, "dec": 44.035, "teff": 6297,
     "planet": {"period_d": 3.548460, "t0_bkjd": 132.8510, "depth_ppm": 6400.0, "duration_h": 4.60}},
    {"kic": 6922244, "kepmag": 13.56, "ra": 281.288, "dec": 42.451, "teff": 6213,
     "planet": {"period_d": 3.522540, "t0_bkjd": 134.2470, "depth_ppm": 9000.0, "duration_h": 3.30}},
    {"kic": 3427720, "kepmag": 9.11, "ra": 288.471, "dec": 38.525, "teff": 6045, "planet": None},
    {"kic": 9139151, "kepmag": 9.18, "ra": 282.998, "dec": 45.540, "teff": 6302, "planet": None},
]
INGRESS_FRACTION = 0.1  # ingress (and egress) time as a fraction of the total duration T14
#: SAP_QUALITY bits used here (Kepler Archive Manual, table 2-3)
EARTH_POINT, DESAT, MANUAL_EXCLUDE = 8, 32, 128
DOWNLINK_GAP_D = 1.0


def path_for(kic: int, timestamp: str) -> str:
    """The file's path under the sample folder, in MAST's layout."""
    k = f"{kic:09d}"
    return f"kepler/lightcurves/{k[:4]}/{k}/kplr{k}-{timestamp}_llc.fits"


def transit_model(t: np.ndarray, period_d: float, t0: float, depth_ppm: float, duration_h: float,
                  exposure_d: float = 0.0) -> np.ndarray:
    """Relative flux (1 out of transit) of a trapezoid transit, averaged over ``exposure_d`` (days), in
    the units of the truth tables (:func:`spacehub.samples.lightcurves.transit_shape`).

    Examples
    --------
    >>> float(transit_model(np.array([10.0]), 2.0, 10.0, 1000.0, 3.0)[0])
    0.999
    """
    return 1.0 - depth_ppm * 1e-6 * transit_shape(t, period_d, t0, duration_h / 24, INGRESS_FRACTION, exposure_d)


def star_flux_e_s(kepmag: float) -> float:
    """Flux in the optimal aperture: about 1.74e5 e-/s at Kp = 12 (Kepler Instrument Handbook)."""
    return 1.74e5 * 10 ** (-0.4 * (kepmag - 12.0))


def _quarter(target: dict, quarter: tuple, rng) -> dict:
    """Columns of one target and quarter (arrays by column name)."""
    q, _, start, stop, _ = quarter
    n = int(round((stop - start) / CADENCE_D)) + 1
    time = start + CADENCE_D * np.arange(n)
    cadenceno = 1105 + np.round((time - QUARTERS[0][2]) / CADENCE_D).astype(np.int32)
    f0 = star_flux_e_s(target["kepmag"])
    white = 1.2 / np.sqrt(f0 * CADENCE_D * 86400 * 0.92)  # shot noise plus read noise, relative
    signal = 1.0 + red_noise(time, 20 * CADENCE_D, 60e-6 if target["planet"] else 90e-6, rng)
    planet = target["planet"]
    if planet:
        signal *= transit_model(time, planet["period_d"], planet["t0_bkjd"], planet["depth_ppm"],
                                planet["duration_h"], CADENCE_D)
    quality = np.zeros(n, np.int32)
    quality[np.arange(int(rng.integers(20, 140)), n, 147)] |= DESAT  # momentum dumps every ~3 days
    gaps = np.zeros(n, bool)
    settle = np.zeros(n)
    for frac in ((1 / 3, 2 / 3) if q > 1 else ()):  # monthly downlinks (Q1 was one month long)
        g0 = start + frac * (stop - start)
        gap = (time >= g0) & (time < g0 + DOWNLINK_GAP_D)
        gaps |= gap
        after = time >= g0 + DOWNLINK_GAP_D
        settle[after] += 2e-3 * np.exp(-(time[after] - g0 - DOWNLINK_GAP_D) / 1.5)  # thermal settling
    quality[gaps] |= EARTH_POINT
    pdc = f0 * signal * (1 + rng.normal(0, white, n))
    level = 0.92 + 0.04 * quarter[4]  # a different CCD channel every season
    drift = 1 - 3e-3 * (time - start) / (stop - start)
    sap = f0 * level * signal * drift * (1 - settle) * (1 + rng.normal(0, white, n))
    bkg = 2.0e3 * (1 + 0.3 * np.sin(2 * np.pi * (time - start) / 30)) + rng.normal(0, 20, n)
    cols = {
        "TIME": time, "TIMECORR": (0.00575 * np.sin(2 * np.pi * (time - 100) / 372.5)).astype(np.float32),
        "CADENCENO": cadenceno,
        "SAP_FLUX": sap, "SAP_FLUX_ERR": np.full(n, f0 * level * white),
        "SAP_BKG": bkg, "SAP_BKG_ERR": np.full(n, 20.0),
        "PDCSAP_FLUX": pdc, "PDCSAP_FLUX_ERR": np.full(n, f0 * white * 1.05), "SAP_QUALITY": quality,
        "PSF_CENTR1": np.full(n, np.nan), "PSF_CENTR1_ERR": np.full(n, np.nan),
        "PSF_CENTR2": np.full(n, np.nan), "PSF_CENTR2_ERR": np.full(n, np.nan),
        "MOM_CENTR1": 650.0 + 0.02 * (time - start) / 30 + rng.normal(0, 2e-4, n), "MOM_CENTR1_ERR": np.full(n, 2e-4),
        "MOM_CENTR2": 420.0 - 0.01 * (time - start) / 30 + rng.normal(0, 2e-4, n), "MOM_CENTR2_ERR": np.full(n, 2e-4),
        "POS_CORR1": 1e-3 * (time - start) / 30, "POS_CORR2": -5e-4 * (time - start) / 30,
    }
    for name in cols:  # downlink cadences: no time, no data (as in the archive's files)
        if name not in ("CADENCENO", "SAP_QUALITY"):
            cols[name] = np.where(gaps, np.nan, cols[name])
    return cols


#: LIGHTCURVE columns: name, TFORM, TUNIT, description
COLUMNS = [
    ("TIME", "D", "BJD - 2454833", "column title: data time stamps"),
    ("TIMECORR", "E", "d", "column title: barycenter - timeslice correction"),
    ("CADENCENO", "J", "", "column title: unique cadence number"),
    ("SAP_FLUX", "E", "e-/s", "column title: aperture photometry flux"),
    ("SAP_FLUX_ERR", "E", "e-/s", "column title: aperture phot. flux error"),
    ("SAP_BKG", "E", "e-/s", "column title: aperture phot. background flux"),
    ("SAP_BKG_ERR", "E", "e-/s", "column title: ap. phot. background flux error"),
    ("PDCSAP_FLUX", "E", "e-/s", "column title: aperture phot. PDC flux"),
    ("PDCSAP_FLUX_ERR", "E", "e-/s", "column title: aperture phot. PDC flux error"),
    ("SAP_QUALITY", "J", "", "column title: aperture photometry quality flag"),
    ("PSF_CENTR1", "D", "pixel", "column title: PSF-fitted column centroid"),
    ("PSF_CENTR1_ERR", "E", "pixel", "column title: PSF-fitted column error"),
    ("PSF_CENTR2", "D", "pixel", "column title: PSF-fitted row centroid"),
    ("PSF_CENTR2_ERR", "E", "pixel", "column title: PSF-fitted row error"),
    ("MOM_CENTR1", "D", "pixel", "column title: moment-derived column centroid"),
    ("MOM_CENTR1_ERR", "E", "pixel", "column title: moment-derived column error"),
    ("MOM_CENTR2", "D", "pixel", "column title: moment-derived row centroid"),
    ("MOM_CENTR2_ERR", "E", "pixel", "column title: moment-derived row error"),
    ("POS_CORR1", "E", "pixel", "column title: column position correction"),
    ("POS_CORR2", "E", "pixel", "column title: row position correction"),
]


def lightcurve_hdu(cols: dict, columns=COLUMNS):
    """The LIGHTCURVE binary table from column arrays, with the archive's TTYPE/TUNIT comments."""
    from astropy.io import fits

    hdu = fits.BinTableHDU.from_columns(
        [fits.Column(name, form, unit=unit or None, array=cols[name]) for name, form, unit, _ in columns],
        name="LIGHTCURVE")
    for i, (_, _, _, comment) in enumerate(columns, start=1):
        hdu.header.comments[f"TTYPE{i}"] = comment
    return hdu


def utc_iso(jd_tdb: float) -> str:
    from astropy.time import Time

    return Time(jd_tdb, format="jd", scale="tdb").utc.isot


def truth_keywords(header, truth: dict | None, t0_key: str = "t0_bkjd") -> None:
    """The injected planet as header keywords (FITS keyword names have at most 8 characters)."""
    header["SYNTHET"] = (True, "synthetic sample (spacehub), not real data")
    header["INJTRUTH"] = (json.dumps(truth), "injected truth (JSON)")
    if truth:
        header["INJ_PER"] = (truth["period_d"], "[d] injected planet orbital period")
        header["INJ_T0"] = (truth[t0_key], f"[d] injected mid-transit epoch ({t0_key[3:].upper()})")
        header["INJ_DEP"] = (truth["depth_ppm"], "[ppm] injected transit depth")
        header["INJ_DUR"] = (truth["duration_h"], "[h] injected transit duration T14")


def _write(dest: Path, target: dict, quarter: tuple, rng) -> Path:
    from astropy.io import fits

    q, stamp, start, stop, season = quarter
    kic = target["kic"]
    path = dest / path_for(kic, stamp)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = _quarter(target, quarter, rng)
    primary = fits.PrimaryHDU()
    h = primary.header
    for key, value in [("TELESCOP", "Kepler"), ("INSTRUME", "Kepler Photometer"), ("OBJECT", f"KIC {kic}"),
                       ("KEPLERID", kic), ("ORIGIN", "spacehub (synthetic; layout of NASA/Ames SPOC)"),
                       ("OBSMODE", "long cadence"), ("QUARTER", q), ("SEASON", season), ("DATA_REL", 25),
                       ("CHANNEL", 20 + 4 * season), ("MODULE", 7 + season), ("OUTPUT", 1 + season % 4),
                       ("RADESYS", "ICRS"), ("RA_OBJ", target["ra"]), ("DEC_OBJ", target["dec"]), ("EQUINOX", 2000.0),
                       ("KEPMAG", target["kepmag"]), ("TEFF", target["teff"]), ("TIMVERSN", "OGIP/93-003")]:
        h[key] = value
    truth_keywords(h, target["planet"])
    h["COMMENT"] = "SYNTHETIC SAMPLE in the layout of a Kepler long-cadence light curve; not real data."
    lc = lightcurve_hdu(cols)
    good = cols["TIME"][np.isfinite(cols["TIME"])]
    for key, value in [("TIMEREF", "SOLARSYSTEM"), ("TASSIGN", "SPACECRAFT"), ("TIMESYS", "TDB"),
                       ("BJDREFI", int(BKJD_REF)), ("BJDREFF", 0.0), ("TIMEUNIT", "d"),
                       ("TELAPSE", stop - start), ("TSTART", float(good[0]) - CADENCE_D / 2),
                       ("TSTOP", float(good[-1]) + CADENCE_D / 2), ("TIMEPIXR", 0.5), ("TIERRELA", 5.78e-7),
                       ("INT_TIME", 6.019802903), ("FRAMETIM", 6.538), ("NUM_FRM", 270), ("TIMEDEL", CADENCE_D),
                       ("DATE-OBS", utc_iso(BKJD_REF + good[0])), ("DATE-END", utc_iso(BKJD_REF + good[-1])),
                       ("PDCMETHD", "MAP"), ("CROWDSAP", 0.99), ("FLFRCSAP", 0.92)]:
        lc.header[key] = value
    aperture = fits.ImageHDU(np.where(np.add.outer(np.arange(-3, 4) ** 2, np.arange(-3, 5) ** 2) <= 5, 3, 1)
                             .astype(np.int32), name="APERTURE")
    for key, value in [("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CRPIX1", 4.0), ("CRPIX2", 4.0),
                       ("CRVAL1", target["ra"]), ("CRVAL2", target["dec"]), ("CUNIT1", "deg"), ("CUNIT2", "deg"),
                       ("CDELT1", -0.001103), ("CDELT2", 0.001103), ("NPIXSAP", 21), ("NPIXMISS", 0)]:
        aperture.header[key] = value
    fits.HDUList([primary, lc, aperture]).writeto(path, overwrite=True)
    return path


def write_llc(dest) -> list:
    """Write every target's quarters into ``dest`` (the sample-data folder); return the paths."""
    paths = []
    for i, target in enumerate(TARGETS):
        rng = np.random.default_rng(20090507 + i)
        paths += [_write(Path(dest), target, quarter, rng) for quarter in QUARTERS]
    return paths


def sample_targets(sample_dir) -> list[tuple[int, list[Path], dict | None]]:
    """(KIC, its quarter files, the injected planet or None) of every sample target, for batch work.

    Examples
    --------
    >>> for kic, files, planet in sample_targets(spacehub.data.sample_dir()):   # doctest: +SKIP
    ...     print(kic, len(files), planet and planet["period_d"])
    """
    sample_dir = Path(sample_dir)
    return [(t["kic"], [sample_dir / path_for(t["kic"], q[1]) for q in QUARTERS], t["planet"]) for t in TARGETS]
