"""Wind MFI H0 sample: daily ISTP CDFs in CDAWeb's WI_H0_MFI layout, the same solar wind as the ACE sample.

Layout and names follow https://spdf.gsfc.nasa.gov/pub/data/wind/mfi/mfi_h0/: ``{YYYY}/wi_h0_mfi_
{YYYYMMDD}_v05.cdf``; three time axes as in the real files, all CDF_EPOCH at the centre of their
interval: ``Epoch`` (1 min: BF1, BRMSF1, BGSE, BGSM, PGSE, PGSM), ``Epoch3`` (3 s: B3F1, B3GSE, B3GSM)
and ``Epoch1`` (1 h: B1F1, B1GSE); vectors as (record, 3) with ``LABL_PTR_1`` label variables; ISTP
attributes (FILLVAL -1e31, VALIDMIN/MAX, DEPEND_0, VAR_TYPE, ...).

Content: the 3-s field is the ACE sample's field (the OMNI sample's solar wind, same realisation)
seen ``WIND_LAG`` later, because Wind sat ~16 Re closer to Earth than ACE along the Sun-Earth line:
the March-2015 shock reaches Wind 3 minutes after ACE. GSM components are OMNI's; GSE ones are rotated
back by the dipole tilt angle (Hapgood 1992, low-precision Sun and sidereal-time formulas). The 1-min
and 1-h values are averages of the 3-s ones, with BF1 the mean of the magnitude (as MFI does), so
BF1 >= |BGSE|.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from . import ace, omni

DAYS = ace.DAYS
WIND_LAG = np.timedelta64(3, "m")  # after ACE
RE_KM = 6378.0  # MFI's Earth radius for PGSE
ACE_X_KM = 1.45e6  # ACE's GSE X in the ACE sample
SHOCK_SPEED_KM_S = omni.TRUTH["shock_speed_jump_km_s"][1]
#: Wind's GSE position (Re): closer to Earth than ACE by the distance the shock covers in WIND_LAG
POSITION_GSE_RE = ((ACE_X_KM - SHOCK_SPEED_KM_S * WIND_LAG / np.timedelta64(1, "s")) / RE_KM, -28.0, 12.0)
GAP = ("2015-03-16T12:00", "2015-03-16T12:10")  # a telemetry gap (FILLVAL), as real files have
TRUTH: dict[str, Any] = {
    "shock_time_at_wind": str(np.datetime64(ace.TRUTH["shock_time_at_L1"]) + WIND_LAG),
    "lag_after_ace_minutes": int(WIND_LAG / np.timedelta64(1, "m")),
    "shock_field_jump_factor": omni.TRUTH["shock_field_jump_factor"],
    "southward_bz_gsm_nT": omni.TRUTH["southward_bz_nT"],
    "southward_bz_interval": [str(np.datetime64(t) - ace.L1_LEAD + WIND_LAG) for t in omni.TRUTH["southward_bz_interval"]],
    "position_gse_re": [round(float(x), 2) for x in POSITION_GSE_RE],
    "gap": list(GAP),
}
FILL = np.float32(-1e31)
DIPOLE_POLE_2015 = (80.37, -72.63)  # IGRF-12 geomagnetic north pole, geographic lat / lon (deg)


def dipole_tilt(t: np.ndarray) -> np.ndarray:
    """GSE-to-GSM rotation angle psi (radians) at times ``t``: the dipole axis' angle from GSE Z
    in the GSE Y-Z plane, ``psi = arctan(y_e / z_e)`` (Hapgood 1992, Planet. Space Sci. 40, 711).
    Agrees with sunpy's GeocentricSolarMagnetospheric frame to 0.05 deg in 2015.

    >>> round(float(np.degrees(dipole_tilt(np.array(["2015-03-17T04:00"], "datetime64[ns]"))[0])), 1)
    25.9
    """
    d = (t - np.datetime64("2000-01-01T12:00", "ns")) / np.timedelta64(1, "D")
    gmst = np.radians(280.46061837 + 360.98564736629 * d)
    g = np.radians(357.528 + 0.9856003 * d)
    sun_lon = np.radians(280.460 + 0.9856474 * d) + np.radians(1.915) * np.sin(g) + np.radians(0.020) * np.sin(2 * g)
    eps = np.radians(23.439 - 4e-7 * d)
    lat, lon = np.radians(DIPOLE_POLE_2015)
    # dipole axis: geographic -> GEI (rotation by sidereal time about Z)
    dip = np.stack([np.cos(lat) * np.cos(lon + gmst), np.cos(lat) * np.sin(lon + gmst),
                    np.full_like(gmst, np.sin(lat))], axis=-1)
    x_gse = np.stack([np.cos(sun_lon), np.cos(eps) * np.sin(sun_lon), np.sin(eps) * np.sin(sun_lon)], axis=-1)
    z_gse = np.stack([np.zeros_like(eps), -np.sin(eps), np.cos(eps)], axis=-1)
    y_gse = np.cross(z_gse, x_gse)
    return np.arctan2(np.sum(dip * y_gse, axis=-1), np.sum(dip * z_gse, axis=-1))


def gsm_to_gse(b_gsm: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Rotate (n, 3) GSM vectors to GSE by the dipole tilt ``psi`` (radians), about the common X axis."""
    c, s = np.cos(psi), np.sin(psi)
    return np.stack([b_gsm[:, 0], c * b_gsm[:, 1] + s * b_gsm[:, 2], -s * b_gsm[:, 1] + c * b_gsm[:, 2]], axis=1)


def field_3s(seed: int = 94) -> tuple[np.ndarray, np.ndarray]:
    """3-s interval centres and the GSM field (n, 3) in nT at Wind over the sample days; NaN in ``GAP``."""
    rng = np.random.default_rng(seed)
    t_omni, v = omni.series("2015-03-16T00:45", "2015-03-19T01:00")  # ace._at_l1's window: the same solar wind
    t_wind = t_omni.astype("datetime64[ns]") - ace.L1_LEAD + WIND_LAG
    t = np.arange(np.datetime64(DAYS[0], "ns"), np.datetime64(DAYS[-1], "ns") + np.timedelta64(1, "D"),
                  np.timedelta64(3, "s")) + np.timedelta64(1500, "ms")
    x, xp = (t - t[0]) / np.timedelta64(1, "s"), (t_wind - t[0]) / np.timedelta64(1, "s")
    b = np.empty((len(t), 3))
    for i, name in enumerate(("BX_GSE", "BY_GSM", "BZ_GSM")):
        ok = ~np.isnan(v[name])  # OMNI's gaps are interpolated over: Wind has its own coverage
        b[:, i] = np.interp(x, xp[ok], v[name][ok])
    # fluctuations below OMNI's minute (~0.1 |B| within a minute, correlated over ~20 s)
    kernel = np.exp(-np.arange(20) / 7.0)
    wiggle = np.stack([np.convolve(rng.normal(0, 1, len(t) + 19), kernel / np.linalg.norm(kernel), "valid")
                       for _ in range(3)], axis=1)
    b = b + 0.1 * np.linalg.norm(b, axis=1, keepdims=True) * wiggle
    b[(t >= np.datetime64(GAP[0])) & (t < np.datetime64(GAP[1]))] = np.nan
    return t, b


def _averages(t: np.ndarray, b_gsm: np.ndarray, n: int) -> dict:
    """Averages over blocks of ``n`` 3-s samples (the samples there are; NaN for an empty block):
    centre times, mean vector, mean and RMS of |B|."""
    m = len(t) // n
    b = b_gsm[: m * n].reshape(m, n, 3)
    mag = np.linalg.norm(b, axis=2)
    count = (~np.isnan(mag)).sum(axis=1)
    with np.errstate(invalid="ignore"):  # 0/0 -> NaN: a block inside a gap
        mean_b = np.nansum(b, axis=1) / count[:, None]
        mean_f = np.nansum(mag, axis=1) / count
        rms = np.sqrt(np.nansum((mag - mean_f[:, None]) ** 2, axis=1) / count)
    return {"t": t[: m * n].reshape(m, n)[:, 0] - np.timedelta64(1500, "ms") + np.timedelta64(1500 * n, "ms"),
            "b": mean_b, "f": mean_f, "rms": rms}


def _epoch(cdf, name: str, t: np.ndarray, desc: str) -> None:
    import pycdfpp

    cdf.add_variable(name, values=pycdfpp.to_epoch(t), data_type=pycdfpp.DataType.CDF_EPOCH, attributes={
        "CATDESC": desc, "FIELDNAM": "Time", "UNITS": "ms", "VAR_TYPE": "support_data", "MONOTON": "INCREASE",
        "LABLAXIS": "UT", "SCALETYP": "linear"})


def _data(cdf, name: str, values: np.ndarray, units: str, desc: str, depend: str, lo: float, hi: float) -> None:
    import pycdfpp

    attrs = {"CATDESC": desc, "FIELDNAM": desc[:30], "UNITS": units, "FILLVAL": [FILL], "VALIDMIN": [np.float32(lo)],
             "VALIDMAX": [np.float32(hi)], "DEPEND_0": depend, "VAR_TYPE": "data", "DISPLAY_TYPE": "time_series",
             "FORMAT": "F10.3"}
    if values.ndim == 2:  # ISTP: vector components are labelled by a metadata variable
        label = f"label_{name.lower()}"
        frame = "GSE" if "GSE" in name else "GSM"
        cdf.add_variable(label, values=np.array([f"{c} ({frame})" for c in ("Bx", "By", "Bz")] if units == "nT"
                                                else [f"{c} ({frame})" for c in ("X", "Y", "Z")]),
                         data_type=pycdfpp.DataType.CDF_CHAR, is_nrv=True,
                         attributes={"CATDESC": f"Labels of {name}", "FIELDNAM": label, "VAR_TYPE": "metadata"})
        attrs["LABL_PTR_1"] = label
    else:
        attrs["LABLAXIS"] = name
    values = np.where(np.isnan(values), FILL, values).astype(np.float32)
    cdf.add_variable(name, values=values, data_type=pycdfpp.DataType.CDF_FLOAT, attributes=attrs)


def _file(path, minute: dict, three: dict, hour: dict) -> None:
    import pycdfpp

    cdf = pycdfpp.CDF()
    for key, value in {
        "Project": "ISTP>International Solar-Terrestrial Physics", "Discipline": "Space Physics>Interplanetary Studies",
        "Source_name": "WIND>Wind Interplanetary Plasma Laboratory", "Data_type": "H0>Definitive Data",
        "Descriptor": "MFI>Magnetic Fields Investigation", "Data_version": "5", "Logical_file_id": path.stem,
        "Logical_source": "wi_h0_mfi", "Logical_source_description": "Wind Magnetic Fields Investigation, H0 data",
        "PI_name": "A. Koval", "PI_affiliation": "UMBC, NASA/GSFC", "Mission_group": "Wind",
        "Instrument_type": "Magnetic Fields (space)",
        "TEXT": "SYNTHETIC SAMPLE generated by spacehub in the layout of the Wind MFI H0 CDAWeb product; not real "
                "data. The ACE sample's solar wind, 3 minutes later. Injected events in spacehub_injected_truth.",
        "synthetic": "true", "spacehub_injected_truth": json.dumps(TRUTH),
    }.items():
        cdf.add_attribute(key, [value])
    _epoch(cdf, "Epoch", minute["t"], "Time, 1-min centred")
    _epoch(cdf, "Epoch3", three["t"], "Time, 3-s centred")
    _epoch(cdf, "Epoch1", hour["t"], "Time, 1-hour centred")
    psi = {k: dipole_tilt(d["t"]) for k, d in (("m", minute), ("3", three), ("h", hour))}
    pos_gse = np.tile(np.array(POSITION_GSE_RE), (len(minute["t"]), 1))
    for name, values, units, desc, dep, lo, hi in (
        ("BF1", minute["f"], "nT", "Magnetic field magnitude (1 min)", "Epoch", 0, 6500),
        ("BRMSF1", minute["rms"], "nT", "RMS of magnetic field magnitude (1 min)", "Epoch", 0, 6500),
        ("BGSM", minute["b"], "nT", "Magnetic field vector in GSM cartesian coordinates (1 min)", "Epoch", -6500, 6500),
        ("BGSE", gsm_to_gse(minute["b"], psi["m"]), "nT", "Magnetic field vector in GSE cartesian coordinates (1 min)",
         "Epoch", -6500, 6500),
        ("PGSE", pos_gse, "Re", "Position in GSE coordinates (1 min)", "Epoch", -1000, 1000),
        ("PGSM", gsm_to_gse(pos_gse, -psi["m"]), "Re", "Position in GSM coordinates (1 min)", "Epoch", -1000, 1000),
        ("B3F1", three["f"], "nT", "Magnetic field magnitude (3 sec)", "Epoch3", 0, 6500),
        ("B3GSM", three["b"], "nT", "Magnetic field vector in GSM cartesian coordinates (3 sec)", "Epoch3", -6500, 6500),
        ("B3GSE", gsm_to_gse(three["b"], psi["3"]), "nT", "Magnetic field vector in GSE cartesian coordinates (3 sec)",
         "Epoch3", -6500, 6500),
        ("B1F1", hour["f"], "nT", "Magnetic field magnitude (1 hour)", "Epoch1", 0, 6500),
        ("B1GSE", gsm_to_gse(hour["b"], psi["h"]), "nT", "Magnetic field vector in GSE cartesian coordinates (1 hour)",
         "Epoch1", -6500, 6500),
    ):
        _data(cdf, name, values, units, desc, dep, lo, hi)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pycdfpp.save(cdf, str(path)):
        raise OSError(f"could not write {path}")


def write_mfi(dest) -> list:
    """Write one WI_H0_MFI CDF per sample day into ``dest``; return the paths."""
    t, b = field_3s()
    paths = []
    per_day = 28800  # 3-s intervals in a day
    for i, day in enumerate(DAYS):
        sl = slice(i * per_day, (i + 1) * per_day)
        three = {"t": t[sl], "b": b[sl], "f": np.linalg.norm(b[sl], axis=1)}
        path = dest / "wind" / "mfi" / "mfi_h0" / day[:4] / f"wi_h0_mfi_{day.replace('-', '')}_v05.cdf"
        _file(path, _averages(t[sl], b[sl], 20), three, _averages(t[sl], b[sl], 1200))
        paths.append(path)
    return paths
