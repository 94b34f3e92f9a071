"""GECAM GRD event sample: one hourly ``gbg_evt`` file in GECAM's layout with an injected short GRB.

Layout and names follow GECAM's Level-1 EVT product (GECAM data product manual; read as by the
GECAM team's tools): ``g<sat>g_evt_<yymmdd>_<hh>_v<nn>.fits`` with one ``EVENTSnn`` table per gamma-ray
detector (GRD01-GRD25; ``TIME`` in TT seconds since MJDREF 58484 = 2019-01-01T00:00:00 TT, ``PI``,
``GAIN_TYPE``, ``DEAD_TIME``, ``EVT_TYPE``, ``EVT_PAIR``, ``FLAG``), ``EBOUNDS`` (channel energies per
gain) and ``GTI``. To stay small the sample holds the minute around the burst (its GTI says so), not
the whole hour. Content: background in every detector and one short GRB (two FRED pulses, T90 below
2 s) seen by each detector in proportion to the cosine of its angle to the burst; peak time, T90 and
counts are computed from the injected profile and recorded in ``TRUTH`` and in the header.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .hxmt import draw_times, injected_burst, pulse_rate

MJDREF_TT = 58484.0
SATELLITE, PREFIX = "GECAM-B", "gbg"
START_UTC, DURATION_S, VERSION = "2022-03-14T08:29:30", 60.0, "v00"
#: START_UTC as GECAM's clock counts it: (MJD 59652 - 58484) days + 08:29:30 + TT-UTC (69.184 s)
START_MET_S = 1168 * 86400 + 8 * 3600 + 29 * 60 + 30 + 69.184
N_DETECTORS, CHANNELS = 25, 448
BACKGROUND_CTS_S = 80.0  # per detector
HIGH_GAIN_KEV, LOW_GAIN_KEV = (6.0, 350.0), (300.0, 6000.0)
PULSES = [{"start_s": 30.0, "peak_cts_s": 5000.0, "tau_rise_s": 0.01, "tau_decay_s": 0.12},
          {"start_s": 30.25, "peak_cts_s": 2400.0, "tau_rise_s": 0.02, "tau_decay_s": 0.10}]
SEED = 220314
PATH = "gecam/{sat}/{ymd}/{prefix}_evt_{yymmdd}_{hh}_{version}.fits".format(
    sat=SATELLITE, ymd=START_UTC[:10].replace("-", ""), prefix=PREFIX, yymmdd=START_UTC[2:10].replace("-", ""),
    hh=START_UTC[11:13], version=VERSION)


def detector_weights(seed: int = SEED) -> np.ndarray:
    """Share of the burst's counts in each detector: cosine of its angle to the burst, normalised."""
    angles = np.random.default_rng(seed).uniform(0, 120, N_DETECTORS)
    w = np.clip(np.cos(np.radians(angles)), 0, None)
    return w / w.sum()


def burst_truth() -> dict:
    return {**injected_burst(PULSES, DURATION_S, 600001, START_UTC, START_MET_S),
            "detector_weights": detector_weights().round(5).tolist(), "background_cts_s_per_detector": BACKGROUND_CTS_S}


TRUTH = burst_truth()


def _pi(energy_kev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(GAIN_TYPE, PI) of photon energies: high gain below 300 keV, log-spaced channels per gain."""
    low_gain = energy_kev >= LOW_GAIN_KEV[0]
    lo = np.where(low_gain, LOW_GAIN_KEV[0], HIGH_GAIN_KEV[0])
    hi = np.where(low_gain, LOW_GAIN_KEV[1], HIGH_GAIN_KEV[1])
    pi = np.clip(CHANNELS * np.log(energy_kev / lo) / np.log(hi / lo), 0, CHANNELS - 1)
    return low_gain.astype(np.uint8), pi.astype(np.int16)


def _energies(rng, n: int, index: float, cutoff_kev: float | None) -> np.ndarray:
    """Photon energies (keV) from a power law of ``index`` (with an exponential cut-off) over 8 keV-6 MeV."""
    e = np.geomspace(8.0, 6000.0, 4000)
    pdf = e ** -index * (np.exp(-e / cutoff_kev) if cutoff_kev else 1.0)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(e))])
    return np.interp(rng.uniform(0, cdf[-1], n), cdf, e)


def detector_events(seed: int = SEED) -> list[dict]:
    """Per detector, its event columns (arrays by column name), time-ordered."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, DURATION_S, 600001)
    rate = pulse_rate(grid, PULSES)
    out = []
    for w in detector_weights():
        t_bkg = rng.uniform(0, DURATION_S, rng.poisson(BACKGROUND_CTS_S * DURATION_S))
        t_grb = draw_times(rng, grid, w * rate)
        energy = np.concatenate([_energies(rng, len(t_bkg), 1.4, None), _energies(rng, len(t_grb), 0.4, 600.0)])
        time = np.concatenate([t_bkg, t_grb])
        order = np.argsort(time)
        gain, pi = _pi(energy[order])
        n = len(time)
        over = rng.random(n) < 0.004  # saturating (over-width) events: cosmic rays
        out.append({"TIME": START_MET_S + time[order], "PI": pi, "GAIN_TYPE": gain,
                    "DEAD_TIME": np.where(over, 68, 4).astype(np.int16),
                    "EVT_TYPE": np.where(over, 3, 0).astype(np.uint8),
                    "EVT_PAIR": np.zeros(n, np.uint8), "FLAG": np.zeros(n, np.uint8)})
    return out


def _ebounds():
    from astropy.io import fits

    rows = []
    for gain, (lo, hi) in enumerate((HIGH_GAIN_KEV, LOW_GAIN_KEV)):
        edges = lo * (hi / lo) ** (np.arange(CHANNELS + 1) / CHANNELS)
        rows.append((np.full(CHANNELS, gain), np.arange(CHANNELS), edges[:-1], edges[1:]))
    gain, chan, emin, emax = (np.concatenate(c) for c in zip(*rows))
    return fits.BinTableHDU.from_columns([
        fits.Column("GAIN_TYPE", "B", array=gain), fits.Column("CHANNEL", "I", array=chan),
        fits.Column("E_MIN", "E", unit="keV", array=emin), fits.Column("E_MAX", "E", unit="keV", array=emax)],
        name="EBOUNDS")


def write_events(dest) -> list:
    """Write the GRD event file into ``dest`` (the sample-data folder); return the path."""
    from astropy.io import fits

    path = Path(dest) / PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    time_keys = [("TELESCOP", "GECAM"), ("INSTRUME", "GRD"), ("SATELLIT", SATELLITE), ("TIMESYS", "TT"),
                 ("MJDREFI", int(MJDREF_TT)), ("MJDREFF", 0.0), ("TIMEUNIT", "s"), ("TIMEZERO", 0.0),
                 ("TIMEREF", "LOCAL"), ("TSTART", START_MET_S), ("TSTOP", START_MET_S + DURATION_S)]
    primary = fits.PrimaryHDU()
    for key, value in time_keys:
        primary.header[key] = value
    h = primary.header
    h["SYNTHET"] = (True, "synthetic sample (spacehub), not real data")
    h["INJTRUTH"] = (json.dumps(TRUTH), "injected burst (JSON)")
    h["INJ_PEAK"] = (TRUTH["peak_met_s"], "[s] injected burst peak (MET)")
    h["INJ_T90"] = (TRUTH["t90_s"], "[s] T90 of the injected profile")
    h["INJ_FLU"] = (TRUTH["fluence_counts"], "[counts] expected burst counts, all GRDs")
    h["COMMENT"] = ("SYNTHETIC SAMPLE in the layout of a GECAM GRD EVT file; not real data. It holds the "
                    f"{DURATION_S:.0f} s around the burst, not the whole hour.")
    hdus = [primary, _ebounds()]
    spec = [("TIME", "D", "s"), ("PI", "I", "chan"), ("GAIN_TYPE", "B", ""), ("DEAD_TIME", "I", "us"),
            ("EVT_TYPE", "B", ""), ("EVT_PAIR", "B", ""), ("FLAG", "B", "")]
    for i, cols in enumerate(detector_events(), start=1):
        table = fits.BinTableHDU.from_columns(
            [fits.Column(name, form, unit=unit or None, array=cols[name]) for name, form, unit in spec],
            name=f"EVENTS{i:02d}")
        for key, value in time_keys + [("DETNAM", f"GRD{i:02d}")]:
            table.header[key] = value
        hdus.append(table)
    gti = fits.BinTableHDU.from_columns([fits.Column("START", "D", unit="s", array=[START_MET_S]),
                                         fits.Column("STOP", "D", unit="s", array=[START_MET_S + DURATION_S])],
                                        name="GTI")
    for key, value in time_keys:
        gti.header[key] = value
    fits.HDUList(hdus + [gti]).writeto(path, overwrite=True)
    return [path]
