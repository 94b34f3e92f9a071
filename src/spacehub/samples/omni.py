"""OMNI HRO 1-min sample: CDF files in SPDF's layout with an injected geomagnetic storm.

Layout and names follow https://spdf.gsfc.nasa.gov/pub/data/omni/omni_cdaweb/hro_1min/:
one file per month, ``{YYYY}/omni_hro_1min_{YYYYMM}01_v01.cdf``, Epoch as TT2000, ISTP attributes,
OMNI's fill values. Content: a quiet solar wind with fluctuations, then an interplanetary shock and
a sheath/magnetic cloud with strongly southward Bz driving a storm modelled on 17 March 2015.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

#: the injected truth, recorded in every file's global attributes
TRUTH: dict[str, Any] = {
    "shock_time": "2015-03-17T04:45:00",
    "shock_speed_jump_km_s": [400.0, 560.0],
    "shock_density_jump_cm3": [5.0, 18.0],
    "shock_field_jump_factor": 3.5,
    "southward_bz_nT": -18.0,
    "southward_bz_interval": ["2015-03-17T06:00:00", "2015-03-18T00:00:00"],
    "sym_h_sudden_commencement_nT": 30.0,
    "sym_h_minimum_nT": -220.0,
    "sym_h_minimum_time": "2015-03-17T22:47:00",
    "recovery_e_folding_hours": 12.0,
}
FILLS = {"F": 9999.99, "BX_GSE": 9999.99, "BY_GSM": 9999.99, "BZ_GSM": 9999.99, "flow_speed": 99999.9,
         "proton_density": 999.99, "T": 9999999.0, "Pressure": 99.99, "E": 999.99, "SYM_H": 99999.0,
         "AE_INDEX": 99999.0, "AL_INDEX": 99999.0}
META = {  # name: (units, CATDESC, VALIDMIN, VALIDMAX)
    "F": ("nT", "Magnitude of average field vector", 0.0, 9999.0),
    "BX_GSE": ("nT", "Bx, GSE", -9999.0, 9999.0),
    "BY_GSM": ("nT", "By, GSM", -9999.0, 9999.0),
    "BZ_GSM": ("nT", "Bz, GSM", -9999.0, 9999.0),
    "flow_speed": ("km/s", "Flow speed, GSE", 0.0, 99999.0),
    "proton_density": ("n/cc", "Proton density", 0.0, 999.0),
    "T": ("Degrees K", "Temperature", 0.0, 9999999.0),
    "Pressure": ("nPa", "Flow pressure", 0.0, 99.0),
    "E": ("mV/m", "Electric field", -999.0, 999.0),
    "SYM_H": ("nT", "SYM/H index", -99999.0, 99999.0),
    "AE_INDEX": ("nT", "AE-index", 0.0, 99999.0),
    "AL_INDEX": ("nT", "AL-index", -99999.0, 0.0),
}


def series(start="2015-02-01", stop="2015-05-01", seed=20150317) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """1-min time axis and physical values (no fills) from ``start`` to ``stop``."""
    rng = np.random.default_rng(seed)
    t = np.arange(np.datetime64(start, "m"), np.datetime64(stop, "m"), np.timedelta64(1, "m"))
    hours = (t - np.datetime64(TRUTH["shock_time"], "m")).astype(float) / 60.0
    n = len(t)

    def red_noise(scale, tau_min):
        a = np.exp(-1.0 / tau_min)
        w = rng.normal(0, scale * np.sqrt(1 - a * a), n)
        out = np.empty(n)
        out[0] = w[0]
        for i in range(1, n):  # AR(1): correlated fluctuations like the real solar wind
            out[i] = a * out[i - 1] + w[i]
        return out

    after = hours >= 0
    ramp = np.clip(hours * 60 / 2.0, 0, 1)  # a shock is ~2 min wide at 1-min cadence
    jump = TRUTH["shock_speed_jump_km_s"][1] - 400
    v = 400 + red_noise(25, 600) + jump * ramp * np.exp(-np.clip(hours, 0, None) / 60)
    dens = np.clip(5 + red_noise(1.5, 120) + 13 * ramp * np.exp(-np.clip(hours, 0, None) / 10), 0.5, None)
    # the field is compressed by the shock factor, relaxing over ~30 h
    amp = 1 + (TRUTH["shock_field_jump_factor"] - 1) * ramp * np.exp(-np.clip(hours, 0, None) / 30)
    bx = (2.5 * np.sign(red_noise(1, 3000)) + red_noise(2.0, 60)) * amp
    by = red_noise(3.0, 30) * amp
    bz = red_noise(2.5, 30) * amp
    south_start, south_stop = (np.datetime64(x) for x in TRUTH["southward_bz_interval"])
    south = (t >= south_start) & (t < south_stop)
    bz[south] = TRUTH["southward_bz_nT"] + red_noise(1.5, 20)[south]
    btot = np.sqrt(bx**2 + by**2 + bz**2)
    temp = np.clip(1.0e5 * (v / 400) ** 2 * np.exp(red_noise(0.2, 60)), 1e4, None)
    pressure = 1.6726e-6 * dens * v**2  # nPa, with n in cm^-3 and v in km/s (OMNI's definition)
    efield = -v * bz * 1e-3

    # SYM-H: sudden commencement, main phase to the minimum, exponential recovery
    t_min = ((np.datetime64(TRUTH["sym_h_minimum_time"], "m") - np.datetime64(TRUTH["shock_time"], "m"))
             / np.timedelta64(1, "h"))
    sym = -8 + red_noise(3, 60)
    sc = after & (hours < 1.5)
    sym[sc] += TRUTH["sym_h_sudden_commencement_nT"] * np.sin(np.pi * hours[sc] / 1.5)
    main = (hours >= 1.5) & (hours < t_min)
    sym[main] += TRUTH["sym_h_minimum_nT"] * ((hours[main] - 1.5) / (t_min - 1.5)) ** 1.5
    rec = hours >= t_min
    sym[rec] += TRUTH["sym_h_minimum_nT"] * np.exp(-(hours[rec] - t_min) / TRUTH["recovery_e_folding_hours"])
    al = -np.abs(40 + red_noise(30, 30)) - np.where(south, 900 * np.abs(np.sin(hours * np.pi / 3)), 0)
    ae = np.abs(al) + np.abs(20 + red_noise(15, 30)) + np.where(south, 300, 0)
    values = {"F": btot, "BX_GSE": bx, "BY_GSM": by, "BZ_GSM": bz, "flow_speed": v, "proton_density": dens,
              "T": temp, "Pressure": pressure, "E": efield, "SYM_H": np.round(sym), "AE_INDEX": np.round(ae),
              "AL_INDEX": np.round(al)}
    # data gaps as in the real product: whole minutes of plasma or field missing
    for names, frac in ((("flow_speed", "proton_density", "T", "Pressure", "E"), 0.01),
                        (("F", "BX_GSE", "BY_GSM", "BZ_GSM", "E"), 0.005)):
        gap = rng.random(n) < frac
        for k in names:
            values[k] = np.where(gap, np.nan, values[k])
    return t, values


def write_month_files(dest, start="2015-02-01", stop="2015-05-01") -> list:
    """Write one CDF per month into ``dest`` (the sample-data folder); return the paths."""
    import pycdfpp

    t, values = series(start, stop)
    months = np.unique(t.astype("datetime64[M]"))
    paths = []
    for m in months:
        sel = t.astype("datetime64[M]") == m
        ym = str(m).replace("-", "")
        path = dest / "omni" / "hro_1min" / ym[:4] / f"omni_hro_1min_{ym}01_v01.cdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        cdf = pycdfpp.CDF()
        for key, value in {
            "Project": "NSSDC", "Source_name": "OMNI (1AU IP Data)>Merged 1 minute Interplantary OMNI data",
            "Discipline": "Space Physics>Interplanetary Studies", "Data_type": "HRO>definitive 1minute",
            "Descriptor": "IMF and Plasma data", "Logical_file_id": path.stem, "PI_name": "J.H. King, N. Papitshvili",
            "TEXT": "SYNTHETIC SAMPLE generated by spacehub in the layout of the OMNI HRO 1-min CDF product; "
                    "not real data. Injected events in spacehub_injected_truth.",
            "synthetic": "true", "spacehub_injected_truth": json.dumps(TRUTH),
        }.items():
            cdf.add_attribute(key, [value])
        tt = t[sel].astype("datetime64[ns]")
        cdf.add_variable("Epoch", values=pycdfpp.to_tt2000(tt), data_type=pycdfpp.DataType.CDF_TIME_TT2000,
                         attributes={"CATDESC": "Default time", "FIELDNAM": "Time", "VAR_TYPE": "support_data",
                                     "UNITS": "ns"})
        for name, series_values in values.items():
            units, desc, lo, hi = META[name]
            fill = np.float32(FILLS[name])
            v = np.where(np.isnan(series_values[sel]), fill, series_values[sel]).astype(np.float32)
            cdf.add_variable(name, values=v, data_type=pycdfpp.DataType.CDF_FLOAT, attributes={
                "CATDESC": desc, "FIELDNAM": desc, "UNITS": units, "FILLVAL": [fill], "VALIDMIN": [np.float32(lo)],
                "VALIDMAX": [np.float32(hi)], "DEPEND_0": "Epoch", "VAR_TYPE": "data", "LABLAXIS": name,
                "FORMAT": "F9.2"})
        if not pycdfpp.save(cdf, str(path)):
            raise OSError(f"could not write {path}")
        paths.append(path)
    return paths
