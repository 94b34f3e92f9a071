"""Meridian Project magnetometer chain sample: IAGA-2002 daily files of five stations along ~120E.

Layout: ``meridian/magnetometer/{STA}/{STA}_MAG01_GMD_L21_01D_{YYYYMMDD}000000.txt``, the Meridian
Project's file naming (station, instrument and number, dataset, level, time span, start time), each
file one station-day of filtered 1-minute values in the IAGA-2002 exchange format (H and Z in nT, D
in minutes of arc, F not recorded: 88888; 99999 marks a data gap). Stations from Mohe (44 deg
magnetic latitude, reached by the auroral oval in big storms) down to Zhaoqing (13 deg).

Content, 16-18 March 2015, consistent with the OMNI sample: quiet-day (Sq) variation; the storm's
ring current as the OMNI SYM-H times cos(magnetic latitude), sudden commencement included; and
injected substorm onsets: a negative H bay strongest at the highest-latitude station (small positive
bays at low latitudes, the substorm current wedge's mid-latitude signature) with a Pi2-like damped
oscillation at onset. At 1-min cadence a 150-s Pi2 shows as a few alternating-sign minutes.

The substorm (AL/SML-like) index is a computed product, not a catalog variable: the lower envelope
over the stations of H minus each station's quiet baseline. ``TRUTH`` records the onsets, each
station's bay, and the envelope's minimum after each onset as this module computes it
(:func:`disturbance`), for the substorm analysis to recover.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from . import omni

DAYS = ("2015-03-16", "2015-03-17", "2015-03-18")
#: IAGA code: (station name, geodetic latitude, longitude (deg E), elevation (m),
#:             quiet H (nT), D (deg), Z (nT), Sq amplitude of H, E and Z at local noon (nT))
STATIONS = {
    "MOH": ("Mohe", 53.49, 122.34, 300, 20810.0, -10.6, 53020.0, (-24.0, 9.0, 10.0)),
    "MZL": ("Manzhouli", 49.60, 117.40, 682, 23560.0, -8.4, 51880.0, (-20.0, 9.0, 8.0)),
    "BMT": ("Beijing Ming Tombs", 40.30, 116.20, 183, 29010.0, -7.1, 47440.0, (-9.0, 8.0, -6.0)),
    "WHN": ("Wuhan", 30.53, 114.56, 41, 34020.0, -4.1, 36180.0, (6.0, 7.0, -15.0)),
    "GZH": ("Zhaoqing", 23.10, 112.47, 20, 37620.0, -2.6, 24970.0, (32.0, 5.0, -10.0)),
}
#: bay amplitude relative to the highest-latitude station (negative: westward electrojet overhead
#: or poleward; positive: the substorm current wedge's mid-latitude positive bay)
BAY_FACTOR = {"MOH": 1.0, "MZL": 0.55, "BMT": -0.08, "WHN": -0.06, "GZH": -0.05}
#: Z bay relative to the H bay (an electrojet poleward of the station lowers Z, positive down)
Z_BAY_FACTOR = {"MOH": 0.6, "MZL": 0.5, "BMT": 0.1, "WHN": 0.0, "GZH": 0.0}
PI2_PERIOD_S, PI2_DAMPING_S = 150.0, 300.0
PI2_AMPLITUDE_NT = {"MOH": 8.0, "MZL": 6.0, "BMT": 4.0, "WHN": 3.5, "GZH": 3.0}
BAY_RISE_MIN, BAY_PEAK_MIN, BAY_RECOVERY_MIN = 4.0, 25.0, 40.0
#: injected substorm onsets (UT; local midnight on 120E is 16 UT) and their bay at MOH (nT)
ONSETS: list[dict[str, Any]] = [
    {"onset": "2015-03-16T15:20", "bay_nT": -150.0, "note": "isolated substorm on the quiet day"},
    {"onset": "2015-03-17T14:05", "bay_nT": -380.0, "note": "storm main phase, auroral oval over Mohe"},
    {"onset": "2015-03-17T18:30", "bay_nT": -450.0, "note": "storm main phase, second intensification"},
    {"onset": "2015-03-18T16:40", "bay_nT": -160.0, "note": "recovery phase"},
]
GAP = ("WHN", "2015-03-17T10:00", "2015-03-17T10:15")  # a data gap (99999), as real files have
DIPOLE_POLE_2015 = (80.37, -72.63)  # IGRF-12 geomagnetic north pole, geographic lat / lon (deg)
ARCMIN_PER_RAD = 60 * 180 / np.pi


def magnetic_latitude(lat: float, lon: float) -> float:
    """Centred-dipole (geomagnetic) latitude in degrees of a geographic position (degrees).

    >>> round(magnetic_latitude(40.30, 116.20), 1)
    30.8
    """
    plat, plon = np.radians(DIPOLE_POLE_2015)
    lat, lon = np.radians(lat), np.radians(lon)
    return float(np.degrees(np.arcsin(np.sin(lat) * np.sin(plat) + np.cos(lat) * np.cos(plat) * np.cos(lon - plon))))


def bay_shape(t: np.ndarray, onset: np.datetime64) -> np.ndarray:
    """Substorm bay profile, 0 before onset and -> 1 (sharp expansion, ``BAY_RISE_MIN`` e-folding),
    then an exponential recovery after ``BAY_PEAK_MIN``; multiply by the bay amplitude (nT)."""
    dt = (t - onset) / np.timedelta64(1, "m")
    grow = 1 - np.exp(-np.clip(dt, 0, None) / BAY_RISE_MIN)
    return np.where(dt < 0, 0.0, grow * np.exp(-np.clip(dt - BAY_PEAK_MIN, 0, None) / BAY_RECOVERY_MIN))


def pi2(t: np.ndarray, onset: np.datetime64) -> np.ndarray:
    """Pi2-like damped oscillation starting at onset, unit amplitude."""
    dt = (t - onset) / np.timedelta64(1, "s")
    wave = np.sin(2 * np.pi * dt / PI2_PERIOD_S) * np.exp(-np.clip(dt, 0, None) / PI2_DAMPING_S)
    return np.where(dt < 0, 0.0, wave)


def _sq(t: np.ndarray, lon: float) -> np.ndarray:
    """Quiet-day shape: a dayside bump centred on local noon, zero mean over the day."""
    noon_h = ((t - t.astype("datetime64[D]")) / np.timedelta64(1, "h") + lon / 15.0) % 24 - 12.0
    bump = np.exp(-0.5 * (noon_h / 2.8) ** 2)
    return bump - 2.8 * np.sqrt(2 * np.pi) / 24  # the bump's daily mean


def _sq_east(t: np.ndarray, lon: float) -> np.ndarray:
    """Quiet-day shape of the east component: a morning/afternoon swing through zero at local noon."""
    noon_h = ((t - t.astype("datetime64[D]")) / np.timedelta64(1, "h") + lon / 15.0) % 24 - 12.0
    return np.sin(np.pi * noon_h / 12.0) * np.exp(-0.5 * (noon_h / 4.0) ** 2)


def _time_axis() -> np.ndarray:
    return np.arange(np.datetime64(DAYS[0], "m"), np.datetime64(DAYS[-1], "m") + np.timedelta64(1, "D"),
                     np.timedelta64(1, "m")).astype("datetime64[ns]")


def _sym_h(t: np.ndarray) -> np.ndarray:
    t_omni, v = omni.series(DAYS[0], str(np.datetime64(DAYS[-1]) + 1))
    ok = ~np.isnan(v["SYM_H"])
    x = (t - t[0]) / np.timedelta64(1, "s")
    xp = (t_omni.astype("datetime64[ns]") - t[0]) / np.timedelta64(1, "s")
    return np.interp(x, xp[ok], v["SYM_H"][ok])


def disturbance(code: str, t: np.ndarray | None = None, sym_h: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The noiseless disturbance (storm + substorms) of station ``code`` in nT: ``H``, ``E``
    (eastward, nT), ``Z``; what is left after removing the quiet baseline and the Sq variation."""
    t = _time_axis() if t is None else t
    sym_h = _sym_h(t) if sym_h is None else sym_h
    _, lat, lon, *_ = STATIONS[code]
    mlat = np.radians(magnetic_latitude(lat, lon))
    h = sym_h * np.cos(mlat)  # the ring current lowers H by about Dst x cos(magnetic latitude)
    e, z = np.zeros_like(h), np.zeros_like(h)
    for event in ONSETS:
        onset = np.datetime64(event["onset"], "ns")
        bay = event["bay_nT"] * BAY_FACTOR[code] * bay_shape(t, onset)
        h = h + bay + PI2_AMPLITUDE_NT[code] * pi2(t, onset)
        e = e + 0.25 * bay  # the wedge's field-aligned currents also turn the field east-west
        z = z + Z_BAY_FACTOR[code] * bay
    return {"H": h, "E": e, "Z": z}


def station_series(code: str, seed: int = 120) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """1-min time axis and the values written for station ``code``: H, Z (nT), D (minutes of arc),
    F (NaN: not recorded); NaN in the data gap."""
    rng = np.random.default_rng([seed, list(STATIONS).index(code)])
    t = _time_axis()
    _, lat, lon, _, h0, d0_deg, z0, (sq_h, sq_e, sq_z) = STATIONS[code]
    dist = disturbance(code, t)
    sq = _sq(t, lon)
    noise = {k: np.convolve(rng.normal(0, s, len(t) + 29), np.ones(30) / np.sqrt(30), "valid") + rng.normal(0, 0.1, len(t))
             for k, s in (("H", 0.8), ("E", 0.5), ("Z", 0.5))}  # slow (30-min) wander plus white noise
    h = h0 + sq_h * sq + dist["H"] + noise["H"]
    east = sq_e * _sq_east(t, lon) + dist["E"] + noise["E"]
    d = d0_deg * 60 + east / h * ARCMIN_PER_RAD
    z = z0 + sq_z * sq + dist["Z"] + noise["Z"]
    values = {"H": h, "D": d, "Z": z, "F": np.full(len(t), np.nan)}
    if code == GAP[0]:
        gap = (t >= np.datetime64(GAP[1])) & (t < np.datetime64(GAP[2]))
        for k in ("H", "D", "Z"):
            values[k][gap] = np.nan
    return t, values


def chain_truth() -> dict:
    """The injected truth: onsets, per-station bays and quiet baselines, and the AL-like index
    (lower envelope over stations of the disturbance in H) minimum in the hour after each onset."""
    t = _time_axis()
    sym_h = _sym_h(t)
    dist = {code: disturbance(code, t, sym_h)["H"] for code in STATIONS}
    envelope = np.min(np.stack(list(dist.values())), axis=0)
    onsets = []
    for event in ONSETS:
        onset = np.datetime64(event["onset"], "ns")
        hour = (t >= onset) & (t < onset + np.timedelta64(60, "m"))
        i = np.flatnonzero(hour)[np.argmin(envelope[hour])]
        onsets.append({**event, "bay_peak_minutes_after_onset": BAY_PEAK_MIN,
                       "bay_nT_by_station": {c: round(event["bay_nT"] * BAY_FACTOR[c], 1) for c in STATIONS},
                       "al_like_min_nT": round(float(envelope[i]), 1), "al_like_min_time": str(t[i])[:16],
                       "al_like_at_onset_nT": round(float(envelope[t == onset][0]), 1)})
    return {
        "onsets": onsets,
        "pi2_period_s": PI2_PERIOD_S, "pi2_amplitude_nT": PI2_AMPLITUDE_NT,
        "stations": {c: {"name": s[0], "latitude": s[1], "longitude": s[2],
                         "magnetic_latitude": round(magnetic_latitude(s[1], s[2]), 2), "quiet_H_nT": s[4],
                         "quiet_D_deg": s[5], "quiet_Z_nT": s[6]} for c, s in STATIONS.items()},
        "storm": "ring current: OMNI sample SYM-H x cos(magnetic latitude) in H (omni.TRUTH)",
        "sym_h_minimum_nT": omni.TRUTH["sym_h_minimum_nT"], "sym_h_minimum_time": omni.TRUTH["sym_h_minimum_time"],
        "gap": {"station": GAP[0], "start": GAP[1], "stop": GAP[2]},
        "al_like_index": "min over stations of (H - quiet_H_nT - Sq): a computed product, not a catalog variable",
    }


def _header(code: str, truth: dict) -> list[str]:
    name, lat, lon, elevation = STATIONS[code][:4]
    fields = [("Format", "IAGA-2002"), ("Source of Data", "Chinese Meridian Project (NSSC, CAS)"),
              ("Station Name", name), ("IAGA Code", code), ("Geodetic Latitude", f"{lat:.3f}"),
              ("Geodetic Longitude", f"{lon:.3f}"), ("Elevation", str(elevation)), ("Reported", "HDZF"),
              ("Sensor Orientation", "HDZ"), ("Digital Sampling", "1.0 seconds"),
              ("Data Interval Type", "Filtered 1-Minute (00:15-01:45)"), ("Data Type", "Provisional")]
    comments = ["SYNTHETIC SAMPLE generated by spacehub in the IAGA-2002 layout;",
                "not real data. D in minutes of arc; F not recorded (88888).",
                *(f"Injected substorm onset {e['onset'].replace('T', ' ')} UT, H bay {e['bay_nT_by_station'][code]:+.1f} nT"
                  for e in truth["onsets"]),
                "Storm: OMNI-sample SYM-H x cos(magnetic latitude). Full truth:",
                "../spacehub_injected_truth.json"]
    # 70-character records: label from column 2, value from column 25, '|' in column 70
    lines = [f" {k:<23}{v:<45}|" for k, v in fields] + [f" # {c:<66}|" for c in comments]
    lines.append("DATE       TIME         DOY     " + "      ".join(f"{code}{e}" for e in "HDZF") + "   |")
    return lines


def write_day_files(dest) -> list:
    """Write one IAGA-2002 file per station and day under ``dest``; return the paths."""
    truth = chain_truth()
    folder = dest / "meridian" / "magnetometer"
    paths = []
    for code in STATIONS:
        t, values = station_series(code)
        table = np.stack([values[k] for k in "HDZF"], axis=1)
        table = np.where(np.isnan(table), 99999.0, table)
        table[:, 3] = 88888.0  # F: not recorded by the chain's fluxgates
        stamps = np.datetime_as_string(t, unit="ms")
        doy = (t.astype("datetime64[D]") - t.astype("datetime64[Y]")).astype(int) + 1
        header = _header(code, truth)
        for day in DAYS:
            sel = np.flatnonzero(t.astype("datetime64[D]") == np.datetime64(day))
            rows = [f"{stamps[i][:10]} {stamps[i][11:]} {doy[i]:03d}   " + "".join(f"{x:10.2f}" for x in table[i])
                    for i in sel]
            path = folder / code / f"{code}_MAG01_GMD_L21_01D_{day.replace('-', '')}000000.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(header + rows) + "\n")
            paths.append(path)
    (folder / "spacehub_injected_truth.json").write_text(json.dumps(truth, indent=1))
    return paths
