"""Insight-HXMT HE Level-1 event sample: one ``HE-Evt`` file in HXMT's layout with an injected GRB.

Layout and names follow the HXMT Level-1 product of the HXMT data archive: ``1L/A01/<proposal>/
<observation>/<exposure>-<date>-01-01/HE/HXMT_<exposure>_HE-Evt_FFFFFF_V1_L1P.FITS``, one ``Events``
table with the columns of the HE event list (``Time`` in TT seconds since MJDREF 55927 = 2012-01-01,
``Det_ID`` 0-17, ``Channel`` 0-255, ``Pulse_Width`` separating NaI from CsI events, ``ACD``
anticoincidence bits, ``Event_Type``, ``Flag``). Content: 300 s of background (mostly NaI events)
and one long gamma-ray burst seen through the CsI crystals, made of two FRED pulses (Norris et al.
2005, ApJ 627, 324); its peak time, T90 and fluence (counts) are computed from the injected profile
and recorded in ``TRUTH`` and in the header.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MJDREF_TT = 55927.0
EXPOSURE = "P010129300101"
PATH = (f"hxmt/1L/A01/{EXPOSURE[:8]}/{EXPOSURE[:11]}/{EXPOSURE}-20171102-01-01/HE/"
        f"HXMT_{EXPOSURE}_HE-Evt_FFFFFF_V1_L1P.FITS")
START_UTC, DURATION_S = "2017-11-02T06:00:00", 300.0
#: START_UTC as HXMT's clock counts it: (MJD 58059 - 55927) days + 6 h + TT-UTC (69.184 s in 2017)
START_MET_S = 2132 * 86400 + 6 * 3600 + 69.184
N_DETECTORS = 18
BACKGROUND_CTS_S = 450.0  # all 18 detectors, all channels
#: the burst's FRED pulses: start (s after the file's start), peak rate (counts/s), rise and decay (s)
PULSES = [{"start_s": 100.0, "peak_cts_s": 1500.0, "tau_rise_s": 2.0, "tau_decay_s": 4.0},
          {"start_s": 112.0, "peak_cts_s": 700.0, "tau_rise_s": 1.0, "tau_decay_s": 6.0}]
SEED = 20171102


def fred(t: np.ndarray, start: float, peak: float, tau_rise: float, tau_decay: float) -> np.ndarray:
    """A fast-rise exponential-decay pulse (Norris et al. 2005): ``peak`` at start + sqrt(tau_rise * tau_decay).

    Examples
    --------
    >>> round(float(fred(np.array([2.0]), 0.0, 100.0, 1.0, 4.0)[0]), 6)
    100.0
    """
    dt = np.clip(t - start, 1e-12, None)
    lam = np.exp(2 * np.sqrt(tau_rise / tau_decay))
    return np.where(t > start, peak * lam * np.exp(-tau_rise / dt - dt / tau_decay), 0.0)


def profile_truth(t: np.ndarray, rate: np.ndarray) -> dict:
    """Peak time, T90 (5%-95% of the cumulative counts) and fluence of a noise-free rate profile.

    Examples
    --------
    >>> t = np.linspace(0, 10, 100001)
    >>> round(profile_truth(t, np.where((t > 2) & (t < 4), 10.0, 0.0))["t90_s"], 3)
    1.8
    """
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])
    t05, t95 = np.interp([0.05 * cum[-1], 0.95 * cum[-1]], cum, t)
    return {"peak_s": float(t[np.argmax(rate)]), "t05_s": float(t05), "t95_s": float(t95),
            "t90_s": float(t95 - t05), "fluence_counts": float(cum[-1])}


def pulse_rate(t: np.ndarray, pulses: list[dict]) -> np.ndarray:
    """Counts/s of the sum of FRED ``pulses`` at times ``t`` (s)."""
    rate = np.zeros_like(t, dtype=float)
    for q in pulses:
        rate = rate + fred(t, q["start_s"], q["peak_cts_s"], q["tau_rise_s"], q["tau_decay_s"])
    return rate


def draw_times(rng, t: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson arrival times of a rate profile (counts/s on the fine grid ``t``), by inverse CDF."""
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])
    return np.interp(rng.uniform(0, cum[-1], rng.poisson(cum[-1])), cum, t)


def injected_burst(pulses: list[dict], duration_s: float, grid_points: int, start_utc: str,
                   start_met_s: float) -> dict:
    """A burst of FRED ``pulses`` as recorded in a sample's truth: times in the file's MET and in UTC."""
    t = np.linspace(0.0, duration_s, grid_points)
    p = profile_truth(t, pulse_rate(t, pulses))
    peak_utc = np.datetime64(start_utc, "ns") + np.timedelta64(int(round(p["peak_s"] * 1e9)), "ns")
    return {"pulses": pulses, "peak_met_s": start_met_s + p["peak_s"], "peak_utc": str(peak_utc), "t90_s": p["t90_s"],
            "t05_met_s": start_met_s + p["t05_s"], "t95_met_s": start_met_s + p["t95_s"],
            "fluence_counts": p["fluence_counts"]}


def burst_truth() -> dict:
    """The injected burst as recorded: times in the file's MET and in UTC."""
    return {**injected_burst(PULSES, DURATION_S, 300001, START_UTC, START_MET_S), "background_cts_s": BACKGROUND_CTS_S}


TRUTH = burst_truth()


def events(seed: int = SEED) -> dict:
    """The event list's columns (arrays by column name), time-ordered."""
    rng = np.random.default_rng(seed)
    t0 = START_MET_S
    n_bkg = rng.poisson(BACKGROUND_CTS_S * DURATION_S)
    grid = np.linspace(0.0, DURATION_S, 300001)
    rate = pulse_rate(grid, PULSES)
    t_grb = draw_times(rng, grid, rate)
    is_grb = np.concatenate([np.zeros(n_bkg, bool), np.ones(len(t_grb), bool)])
    time = np.concatenate([rng.uniform(0, DURATION_S, n_bkg), t_grb])
    order = np.argsort(time)
    time, is_grb = time[order], is_grb[order]
    n = len(time)
    csi = np.where(is_grb, rng.random(n) < 0.9, rng.random(n) < 0.2)  # the burst comes in through the CsI
    channel = np.where(is_grb, rng.exponential(90.0, n), rng.exponential(45.0, n)) + 10
    return {
        "Time": t0 + time,
        "Det_ID": rng.integers(0, N_DETECTORS, n).astype(np.uint8),
        "Channel": np.clip(channel, 0, 255).astype(np.uint8),
        "Pulse_Width": np.clip(np.where(csi, rng.normal(95, 6, n), rng.normal(60, 4, n)), 0, 255).astype(np.uint8),
        "ACD": rng.random((n, N_DETECTORS)) < 0.01,
        "Event_Type": np.zeros(n, np.uint8),
        "Flag": np.zeros(n, np.uint8),
    }


def write_events(dest) -> list:
    """Write the HE event file into ``dest`` (the sample-data folder); return the path."""
    from astropy.io import fits

    path = Path(dest) / PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = events()
    t0 = START_MET_S
    spec = [("Time", "D", "s", "event arrival time"), ("Det_ID", "B", "", "HE detector id (0-17)"),
            ("Channel", "B", "chan", "pulse-height channel"), ("Pulse_Width", "B", "", "pulse width (NaI/CsI)"),
            ("ACD", "18X", "", "anticoincidence detector hits"), ("Event_Type", "B", "", "event type"),
            ("Flag", "B", "", "event flag")]
    table = fits.BinTableHDU.from_columns(
        [fits.Column(name, form, unit=unit or None, array=cols[name]) for name, form, unit, _ in spec], name="Events")
    for i, (_, _, _, comment) in enumerate(spec, start=1):
        table.header.comments[f"TTYPE{i}"] = comment
    primary = fits.PrimaryHDU()
    common = [("TELESCOP", "HXMT"), ("INSTRUME", "HE"), ("DETNAM", "HE"), ("OBS_ID", EXPOSURE),
              ("OBJECT", "GRB (synthetic)"), ("TIMESYS", "TT"), ("MJDREFI", int(MJDREF_TT)), ("MJDREFF", 0.0),
              ("TIMEUNIT", "s"), ("TIMEZERO", 0.0), ("TIMEREF", "LOCAL"), ("TASSIGN", "SATELLITE"),
              ("TSTART", t0), ("TSTOP", t0 + DURATION_S), ("DATE-OBS", START_UTC)]
    for hdr in (primary.header, table.header):
        for key, value in common:
            hdr[key] = value
    h = primary.header
    h["SYNTHET"] = (True, "synthetic sample (spacehub), not real data")
    h["INJTRUTH"] = (json.dumps(TRUTH), "injected burst (JSON)")
    h["INJ_PEAK"] = (TRUTH["peak_met_s"], "[s] injected burst peak (MET)")
    h["INJ_T90"] = (TRUTH["t90_s"], "[s] T90 of the injected profile")
    h["INJ_FLU"] = (TRUTH["fluence_counts"], "[counts] expected burst counts")
    h["COMMENT"] = "SYNTHETIC SAMPLE in the layout of an Insight-HXMT HE Level-1 event file; not real data."
    fits.HDUList([primary, table]).writeto(path, overwrite=True)
    return [path]
