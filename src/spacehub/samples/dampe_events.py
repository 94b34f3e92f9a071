"""DAMPE electron+positron candidate events: daily FITS event lists with a known spectrum and exposure.

One file per day, ``dampe/events/<YYYYMMDD>.fits``: an ``EVENTS`` table (``TIME`` in TT seconds since
2013-01-01T00:00:00 UTC, OGIP style: MJDREFI 56293 + MJDREFF = 67.184 s; ``ENERGY`` in GeV; incidence
angles ``THETA``/``PHI`` in the instrument frame), a ``GTI`` table (orbits less the South Atlantic
Anomaly passages) and an ``ACCEPTANCE`` table (the acceptance A(E) in m^2 sr used for the draw).
Energies follow the smoothly broken power law DAMPE fitted to its 2017 spectrum (Nature 552, 63):
Phi(E) = Phi0 (E/E0)^-g1 [1 + (E/Eb)^((g2-g1)/D)]^-D with Phi0 = 1.62e-4 GeV^-1 m^-2 s^-1 sr^-1 at
E0 = 100 GeV, g1 = 3.09, Eb = 914 GeV, g2 = 3.92, D = 0.1, times A(E), from 25 GeV to 5 TeV; counts
are Poisson in each day's live time. The energies are true energies (no energy dispersion) and the
sample has no proton background. To hold two months of statistics in three days, A0 is twenty
times DAMPE's (~0.3 m^2 sr); the header (ACC_A0, LIVETIME) and ``exposure_m2_sr_s`` say exactly what
was used, so counts / (live time x A(E) x dE) gives back Phi(E).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MJDREFI, MJDREFF = 56293, 67.184 / 86400  # 2013-01-01T00:00:00 UTC in TT (TAI-UTC = 35 s then)
DAYS = ("2016-12-30", "2016-12-31", "2017-01-01")  # across the leap second at the end of 2016
#: seconds since MJDREF (TT) of each day's 00:00 UTC: TT-UTC was 68.184 s before 2017 and 69.184 s after
DAY_START_MET_S = {"2016-12-30": 1459 * 86400 + 1.0, "2016-12-31": 1460 * 86400 + 1.0,
                   "2017-01-01": 1461 * 86400 + 2.0}
SPECTRUM = {"phi0_per_GeV_m2_s_sr": 1.62e-4, "e0_GeV": 100.0, "gamma1": 3.09, "eb_GeV": 914.0, "gamma2": 3.92,
            "delta": 0.1}
EMIN_GEV, EMAX_GEV = 25.0, 5000.0
#: acceptance A(E) = A0 (1 - a exp(-E / Ea)): the selection efficiency rises over the first ~100 GeV
ACCEPTANCE = {"a0_m2_sr": 6.0, "a": 0.3, "ea_GeV": 60.0}
ORBIT_S, SAA_S, LIVE_FRACTION = 5700.0, 600.0, 0.91
SEED = 20171130


def flux(e_gev: np.ndarray, phi0_per_GeV_m2_s_sr=1.62e-4, e0_GeV=100.0, gamma1=3.09, eb_GeV=914.0, gamma2=3.92,
         delta=0.1) -> np.ndarray:
    """The smoothly broken power law in GeV^-1 m^-2 s^-1 sr^-1.

    Examples
    --------
    >>> float(flux(np.array([100.0]))[0]) == 1.62e-4 * (1 + (100 / 914) ** (0.83 / 0.1)) ** -0.1
    True
    """
    return (phi0_per_GeV_m2_s_sr * (e_gev / e0_GeV) ** -gamma1
            * (1 + (e_gev / eb_GeV) ** ((gamma2 - gamma1) / delta)) ** -delta)


def acceptance_m2_sr(e_gev: np.ndarray, a0_m2_sr=6.0, a=0.3, ea_GeV=60.0) -> np.ndarray:
    """The acceptance of this sample's selection, m^2 sr."""
    return a0_m2_sr * (1 - a * np.exp(-e_gev / ea_GeV))


def gti(day: str) -> np.ndarray:
    """(start, stop) MET seconds of the day's good time: each orbit less its SAA passage."""
    t0 = DAY_START_MET_S[day]
    starts = t0 + np.arange(1500.0, 86400, ORBIT_S)
    stops = np.minimum(starts + ORBIT_S - SAA_S, t0 + 86400)
    first = np.array([[t0, t0 + 1500.0 - SAA_S]])  # the day starts after an SAA passage
    return np.vstack([first, np.column_stack([starts, stops])])


def livetime_s(day: str) -> float:
    g = gti(day)
    return float(np.sum(g[:, 1] - g[:, 0]) * LIVE_FRACTION)


def exposure_m2_sr_s(e_gev: np.ndarray, day: str) -> np.ndarray:
    """Live time x acceptance of one day's file, m^2 sr s: what turns counts into flux."""
    return livetime_s(day) * acceptance_m2_sr(e_gev, **ACCEPTANCE)


def expected_counts(day: str) -> float:
    e = np.geomspace(EMIN_GEV, EMAX_GEV, 20001)
    rate = flux(e, **SPECTRUM) * exposure_m2_sr_s(e, day)
    return float(np.sum(0.5 * (rate[1:] + rate[:-1]) * np.diff(e)))


def events(day: str, seed: int = SEED) -> dict:
    """One day's event columns (arrays by name), time-ordered."""
    rng = np.random.default_rng(seed + DAYS.index(day))
    e = np.geomspace(EMIN_GEV, EMAX_GEV, 20001)
    pdf = flux(e, **SPECTRUM) * acceptance_m2_sr(e, **ACCEPTANCE)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(e))])
    n = rng.poisson(expected_counts(day))
    # inverse CDF in log energy: the pdf spans 10 decades, so interpolate log E against the CDF
    energy = np.exp(np.interp(rng.uniform(0, cdf[-1], n), cdf, np.log(e)))
    g = gti(day)
    length = g[:, 1] - g[:, 0]
    which = rng.choice(len(g), n, p=length / length.sum())
    time = g[which, 0] + rng.uniform(0, 1, n) * length[which]
    order = np.argsort(time)
    theta = np.degrees(np.arcsin(np.sqrt(rng.uniform(0, np.sin(np.radians(60)) ** 2, n))))  # cos-weighted, < 60 deg
    return {"TIME": time[order], "ENERGY": energy[order].astype(np.float32), "THETA": theta.astype(np.float32),
            "PHI": rng.uniform(0, 360, n).astype(np.float32)}


def truth(day: str) -> dict:
    return {"spectrum": "smoothly broken power law (DAMPE 2017)", **SPECTRUM, "emin_GeV": EMIN_GEV,
            "emax_GeV": EMAX_GEV, "acceptance": {"form": "A0 (1 - a exp(-E/Ea))", **ACCEPTANCE},
            "livetime_s": livetime_s(day), "expected_counts": expected_counts(day)}


def _time_keys(day: str) -> list:
    g = gti(day)
    return [("TELESCOP", "DAMPE"), ("INSTRUME", "BGO+STK+PSD"), ("TIMESYS", "TT"), ("MJDREFI", MJDREFI),
            ("MJDREFF", MJDREFF), ("TIMEUNIT", "s"), ("TIMEZERO", 0.0), ("TIMEREF", "LOCAL"),
            ("TSTART", float(g[0, 0])), ("TSTOP", float(g[-1, 1])), ("DATE-OBS", day)]


def write_day(dest: Path, day: str) -> Path:
    from astropy.io import fits

    path = Path(dest) / "dampe" / "events" / f"{day.replace('-', '')}.fits"
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = events(day)
    keys = _time_keys(day)
    primary = fits.PrimaryHDU()
    h = primary.header
    for key, value in keys:
        h[key] = value
    h["SYNTHET"] = (True, "synthetic sample (spacehub), not real data")
    h["INJTRUTH"] = (json.dumps(truth(day)), "injected spectrum and exposure (JSON)")
    for key, value, comment in [("LIVETIME", livetime_s(day), "[s] live time of this file"),
                                ("ACC_A0", ACCEPTANCE["a0_m2_sr"], "[m2 sr] acceptance at high energy"),
                                ("ACC_A", ACCEPTANCE["a"], "acceptance shape A0 (1 - a exp(-E/Ea))"),
                                ("ACC_EA", ACCEPTANCE["ea_GeV"], "[GeV] acceptance shape Ea"),
                                ("SBPL_F0", SPECTRUM["phi0_per_GeV_m2_s_sr"], "[GeV-1 m-2 s-1 sr-1] flux at E0"),
                                ("SBPL_E0", SPECTRUM["e0_GeV"], "[GeV] reference energy"),
                                ("SBPL_G1", SPECTRUM["gamma1"], "index below the break"),
                                ("SBPL_EB", SPECTRUM["eb_GeV"], "[GeV] break energy"),
                                ("SBPL_G2", SPECTRUM["gamma2"], "index above the break"),
                                ("SBPL_D", SPECTRUM["delta"], "break smoothness"),
                                ("EMIN", EMIN_GEV, "[GeV] lowest energy drawn"), ("EMAX", EMAX_GEV, "[GeV] highest")]:
        h[key] = (value, comment)
    h["COMMENT"] = ("SYNTHETIC SAMPLE of DAMPE electron+positron candidate events; not real data. Acceptance "
                    "is twenty times DAMPE's so that three days hold two months of statistics.")
    spec = [("TIME", "D", "s", "event time"), ("ENERGY", "E", "GeV", "reconstructed energy"),
            ("THETA", "E", "deg", "incidence zenith angle (instrument frame)"),
            ("PHI", "E", "deg", "incidence azimuth (instrument frame)")]
    table = fits.BinTableHDU.from_columns(
        [fits.Column(name, form, unit=unit, array=cols[name]) for name, form, unit, _ in spec], name="EVENTS")
    for i, (_, _, _, comment) in enumerate(spec, start=1):
        table.header.comments[f"TTYPE{i}"] = comment
    g = gti(day)
    gti_hdu = fits.BinTableHDU.from_columns([fits.Column("START", "D", unit="s", array=g[:, 0]),
                                             fits.Column("STOP", "D", unit="s", array=g[:, 1])], name="GTI")
    grid = np.geomspace(EMIN_GEV, EMAX_GEV, 61)
    acc = fits.BinTableHDU.from_columns([fits.Column("ENERGY", "E", unit="GeV", array=grid),
                                         fits.Column("ACCEPTANCE", "E", unit="m2 sr",
                                                     array=acceptance_m2_sr(grid, **ACCEPTANCE))], name="ACCEPTANCE")
    for hdu in (table, gti_hdu):
        for key, value in keys:
            hdu.header[key] = value
    table.header["LIVETIME"] = (livetime_s(day), "[s] live time of this file")
    fits.HDUList([primary, table, gti_hdu, acc]).writeto(path, overwrite=True)
    return path


def write_day_files(dest) -> list:
    """Write the daily event files into ``dest`` (the sample-data folder); return the paths."""
    return [write_day(Path(dest), day) for day in DAYS]
