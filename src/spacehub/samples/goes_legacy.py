"""GOES-15 XRS 2-s sample: NOAA NCEI's reprocessed GOES 1-15 science-quality netCDF, with flares whose
SWPC class and true flux are both known.

Layout and names follow NCEI's ``gxrs-l2-irrad_science`` product (the GOES 1-15 XRS Science-Quality
Data Readme): one file per day and satellite, ``goes15/gxrs-l2-irrad_science/{YYYY}/{MM}/
sci_gxrs-l2-irrad_g15_d{YYYYMMDD}_v0-0-0.nc``, ``time`` in seconds since 1970-01-01 (record start;
GOES 13-15 sample every 2.048 s), ``a_flux``/``b_flux`` (W/m2, _FillValue -99999, valid -5e-7..0.2),
``a_counts``/``b_counts`` (flux = gain x (counts - dark counts), so fluxes are quantised),
``a_flags``/``b_flags`` (bit flags: calibration, off-pointing, Earth eclipse, ...) and the original
SWPC flags, with the attributes, chunking and gzip compression of the real files.

The GOES 8-15 scaling: SWPC's operational 8-15 fluxes were multiplied by 0.7 (XRS-B) and 0.85
(XRS-A) to match the GOES-7 calibration, and the flare classes of that era (SWPC event lists) come
from those scaled fluxes. NCEI's science-quality reprocessing removes the factors: its fluxes are the
true irradiance. **This sample is in the science convention**, like the real product: a flare that
SWPC issued as C9.2 peaks here at 9.2e-6 / 0.7 = 1.31e-5 W/m2 (M1.3 if classified from this file).
To compare with SWPC classes, multiply ``b_flux`` by 0.7 first. ``FLARES`` (and the files'
``spacehub_injected_truth``) give both: ``swpc_class`` / ``swpc_xrsb_peak_W_m2`` and
``true_xrsb_peak_W_m2`` / ``science_class``.

Content, 15 March 2015 (GOES-15, 135 W): the active region that launched the CME of the St Patrick's
Day storm in the OMNI sample, with its long-duration C9 flare at 02:13 UT; an Earth eclipse around
local midnight (the equinox eclipse season of a geostationary orbit) and a calibration interval,
both flagged with fills.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

DAY = "2015-03-15"
CADENCE = np.timedelta64(2048, "ms")
FIRST_RECORD = np.timedelta64(1385, "ms")  # after midnight, as in NCEI's GOES-15 file of 2013-10-28
SWPC_SCALE = {"xrsa": 0.85, "xrsb": 0.7}  # operational flux = SWPC_SCALE x true (science) flux
#: injected flares: peak minute (UT; SWPC's 1-min averages are stamped at the minute's start), the
#: XRS-B peak flux SWPC issued from scaled operational 1-min data, rise and decay times (s) of the
#: profile, XRS-A peak as a fraction of XRS-B (harder for bigger flares)
_INJECTED = [
    ("2015-03-15T02:13", 9.23e-6, 1500.0, 3600.0, 0.15, "CME-launching long-duration flare"),
    ("2015-03-15T05:26", 2.33e-6, 200.0, 500.0, 0.10, "impulsive"),
    ("2015-03-15T12:40", 1.63e-5, 300.0, 900.0, 0.22, "impulsive, M class on both scales"),
    ("2015-03-15T20:10", 9.33e-7, 150.0, 400.0, 0.06, "B class for SWPC, C class in true flux"),
]
BACKGROUND_XRSB = 5.0e-7  # true irradiance, W/m2 (B3.5 on the SWPC scale)
BACKGROUND_RATIO_A = 0.03
ECLIPSE = ("2015-03-15T08:25:00", "2015-03-15T09:35:00")
CALIBRATION = ("2015-03-15T17:00:00", "2015-03-15T17:02:00")
#: flux = gain (W/m2 per count) x (counts - dark counts): a linear fit to NCEI's GOES-15 file of
#: 2013-10-28 (sunpy's test data), exact to 1e-7 relative
GAIN = {"xrsa": 1.6454e-10, "xrsb": 4.7045e-10}
DARK_COUNTS = 17823
FLAG_BITS = {"calibration": 1, "eclipsed_by_earth": 4}
SWPC_FLAG_EARTH_ECLIPSE = 8388608
FLUX_FILL, COUNTS_FILL = np.float32(-99999.0), np.int32(-99999)


def flare_class(flux_w_m2: float) -> str:
    """GOES class of an XRS-B peak flux (W/m2), the number truncated to one decimal.

    >>> flare_class(1.3186e-5), flare_class(9.23e-6)
    ('M1.3', 'C9.2')
    """
    letter, base = next(((letter, base) for letter, base in (("X", 1e-4), ("M", 1e-5), ("C", 1e-6), ("B", 1e-7))
                         if flux_w_m2 >= base), ("A", 1e-8))
    return f"{letter}{np.floor(flux_w_m2 / base * 10 + 1e-9) / 10:.1f}"  # 1e-9: 9.2e-6 / 1e-6 * 10 is 91.99...


FLARES: list[dict[str, Any]] = [{"peak": peak, "swpc_class": flare_class(swpc), "swpc_xrsb_peak_W_m2": swpc,
           "true_xrsb_peak_W_m2": swpc / SWPC_SCALE["xrsb"], "science_class": flare_class(swpc / SWPC_SCALE["xrsb"]),
           "true_xrsa_peak_W_m2": ratio_a * swpc / SWPC_SCALE["xrsb"],
           "swpc_xrsa_peak_W_m2": ratio_a * swpc / SWPC_SCALE["xrsb"] * SWPC_SCALE["xrsa"],
           "rise_s": rise, "decay_s": decay, "note": note}
          for peak, swpc, rise, decay, ratio_a, note in _INJECTED]
CONVENTION = ("science: NOAA NCEI reprocessed GOES 8-15 irradiance with the SWPC scaling factors removed "
              "(true flux). SWPC operational fluxes and flare classes = 0.7 x b_flux (XRS-B), 0.85 x a_flux (XRS-A).")


def flare_profile(t: np.ndarray, peak: np.datetime64, rise_s: float, decay_s: float) -> np.ndarray:
    """Unit-peak flare light curve: ``1 / (exp(-dt/rise) + exp(dt/decay))``, normalised and shifted
    so that its maximum (a rounded top, as 1-min averages see it) is at ``peak``."""
    top = rise_s * decay_s / (rise_s + decay_s) * np.log(decay_s / rise_s)

    def shape(dt):
        return 1.0 / (np.exp(np.clip(-dt / rise_s, None, 700)) + np.exp(np.clip(dt / decay_s, None, 700)))

    dt = (t - peak) / np.timedelta64(1, "s") + top
    return shape(dt) / shape(top)


def day_series(seed: int = 315) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """2.048-s time axis and true (science) fluxes ``xrsa``, ``xrsb`` (W/m2; NaN in eclipse and calibration)
    and flags ``flags``, ``swpc_flags``. Flare amplitudes are set so that the 1-min mean of each
    flare's total flux (background and earlier flares included) over its peak minute is its
    ``true_*_peak_W_m2``; XRS-A peaks one minute earlier."""
    rng = np.random.default_rng(seed)
    t = np.arange(np.datetime64(DAY, "ns") + FIRST_RECORD, np.datetime64(DAY, "ns") + np.timedelta64(1, "D"), CADENCE)
    wander = np.exp(np.convolve(rng.normal(0, 0.02, len(t) + 879), np.ones(880) / 30, "valid"))  # ~30-min drift
    flux = {"xrsb": BACKGROUND_XRSB * wander, "xrsa": BACKGROUND_RATIO_A * BACKGROUND_XRSB * wander}
    for f in FLARES:
        for band, rise, decay, lead in (("xrsb", f["rise_s"], f["decay_s"], 0),
                                        ("xrsa", 0.8 * f["rise_s"], 0.6 * f["decay_s"], 60)):
            # the harder XRS-A band peaks earlier and decays faster (hotter plasma cools first)
            minute = np.datetime64(str(f["peak"]), "ns") - np.timedelta64(lead, "s")
            profile = flare_profile(t, minute + np.timedelta64(30, "s"), rise, decay)
            in_minute = (t >= minute) & (t < minute + np.timedelta64(60, "s"))
            below = flux[band][in_minute].mean()
            flux[band] = flux[band] + (f[f"true_{band}_peak_W_m2"] - below) / profile[in_minute].mean() * profile
    for band, sigma in (("xrsb", 0.004), ("xrsa", 0.01)):
        flux[band] = flux[band] * np.exp(rng.normal(0, sigma, len(t)))
    flags = np.zeros(len(t), np.uint16)
    swpc_flags = np.zeros(len(t), np.uint32)
    eclipse = (t >= np.datetime64(ECLIPSE[0])) & (t < np.datetime64(ECLIPSE[1]))
    calibration = (t >= np.datetime64(CALIBRATION[0])) & (t < np.datetime64(CALIBRATION[1]))
    flags[eclipse] |= FLAG_BITS["eclipsed_by_earth"]
    flags[calibration] |= FLAG_BITS["calibration"]
    swpc_flags[eclipse] = SWPC_FLAG_EARTH_ECLIPSE
    for band in flux:
        flux[band][eclipse | calibration] = np.nan
    return t, {**flux, "flags": flags, "swpc_flags": swpc_flags}


def _flag_attrs(band: str, swpc: bool) -> dict:
    if swpc:
        return {"long_name": f"SWPC flags for {band}_counts and {band}_flux.",
                "comments": "original SWPC flags (for historical reference)", "valid_min": np.uint32(0),
                "valid_max": np.uint32(2147483647),
                "flag_masks": np.array([2147483647, 1048576, 2097152, 3145728, 4194304, 8388608, 12582912, 14680064,
                                        15794176, 1589712, 2147483647, 99999], np.uint32),
                "flag_values": np.array([0, 1048576, 2097152, 3145728, 4194304, 8388608, 12582912, 14680064, 15794176,
                                         1589712, 2147483647, 99999], np.uint32),
                "flag_meanings": "valid xrseuv_cal_suppress xrseuv_off_point_suppress xrseuv_off_point_and_cal_supress "
                                 "xrseuv_moon_eclipse_suppress xrseuv_earth_eclipse_suppress "
                                 "xrseuv_moon_and_earth_eclipse_suppress xrseuv_unknown_eclipse_suppress "
                                 "xrs_anomalous_mode xrs_anomalous_saturated simulated_data missing_data"}
    return {"long_name": f"Flags for {band}_counts and {band}_flux.", "comments": "XRS flags",
            "valid_min": np.uint16(0), "valid_max": np.uint16(1023),
            "flag_masks": np.array([1023, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512], np.uint16),
            "flag_values": np.array([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512], np.uint16),
            "flag_meanings": "good_data calibration off_pointed eclipsed_by_earth eclipsed_by_moon eclipsed_by_unknown "
                             "temperature_recovery spike unknown_bad_data saturated gain_state_change"}


def _variables(flux: dict) -> dict:
    """The file's variables: counts, quantised fluxes, flags, as in the real product."""
    out = {}
    for band, key, name in (("a", "xrsa", "XRS-A"), ("b", "xrsb", "XRS-B")):
        counts = np.round(flux[key] / GAIN[key]) + DARK_COUNTS
        ancillary = f"{band}_flags {band}_swpc_flags"
        out[f"{band}_counts"] = (counts, {"long_name": f"{name} channel counts.", "valid_min": np.int32(0),
                                          "valid_max": np.float32(5e6), "ancillary_variables": ancillary})
        out[f"{band}_flux"] = (((counts - DARK_COUNTS) * GAIN[key]).astype(np.float32), {
            "long_name": f"{name} channel irradiance.", "units": "W/m2", "valid_min": np.float32(-5e-7),
            "valid_max": np.float32(0.2), "ancillary_variables": ancillary})
        out[f"{band}_flags"] = (flux["flags"], _flag_attrs(band, swpc=False))
        out[f"{band}_swpc_flags"] = (flux["swpc_flags"], _flag_attrs(band, swpc=True))
    return out


def write_day_files(dest) -> list:
    """Write the sample day's file under ``dest`` (the sample-data folder); return its path."""
    import xarray as xr

    t, flux = day_series()
    ymd = DAY.replace("-", "")
    path = (dest / "goes" / "goes15" / "gxrs-l2-irrad_science" / ymd[:4] / ymd[4:6]
            / f"sci_gxrs-l2-irrad_g15_d{ymd}_v0-0-0.nc")
    path.parent.mkdir(parents=True, exist_ok=True)
    variables = {name: ("time", values, attrs) for name, (values, attrs) in _variables(flux).items()}
    seconds = (t - np.datetime64("1970-01-01", "ns")) / np.timedelta64(1, "s")  # written as the product has it
    ds = xr.Dataset(variables, coords={"time": ("time", seconds, {
        "long_name": "Record start time.", "units": "seconds since 1970-01-01 00:00:00.0 UTC"})}, attrs={
        "Conventions": "ACDD-1.3, Spase v2.2.6", "title": "GOES 1-15 L2 XRS high-resolution Irradiances",
        "summary": "SYNTHETIC SAMPLE generated by spacehub in the layout of NOAA NCEI's reprocessed science-quality "
                   "GOES 1-15 XRS high-resolution irradiances (GOES 13-15 at 2-s cadence); not real data. "
                   "Injected flares in spacehub_injected_truth.",
        "keywords": "NumericalData.MeasurementType.Irradiance", "naming_authority": "gov.nesdis.noaa",
        "source": "GOES XRS counts", "processing_level": "Level 2", "processing_level_description": "Derived products",
        "license": "These data may be redistributed and used without restriction. ",
        "creator_institution": "DOC/NOAA/NCEI/CCOG/STP", "publisher_name": "National Centers for Environmental Information",
        "references": "README FOR SCIENCE QUALITY GOES 13-15 XRS DATA",
        "instrument": "GOES 1-15 X-ray Irradiance Sensor (XRS)", "platform": "g15",
        "program": "Geostationary Operational Environmental Satellite (GOES)",
        "time_coverage_start": f"{np.datetime_as_string(t[0], 'ms')}Z",
        "time_coverage_end": f"{np.datetime_as_string(t[-1], 'ms')}Z",
        "time_coverage_resolution": "PT2S",
        "synthetic": "true", "spacehub_flux_convention": CONVENTION,
        "spacehub_injected_truth": json.dumps({"convention": "science", "swpc_scale": SWPC_SCALE, "flares": FLARES,
                                               "background_true_xrsb_W_m2": BACKGROUND_XRSB,
                                               "eclipse": ECLIPSE, "calibration": CALIBRATION}),
    })
    gzip = {"zlib": True, "complevel": 4, "chunksizes": (60,)}  # as NCEI stores them
    encoding = {"time": {"_FillValue": -9999.0, **gzip}}
    for band in "ab":
        encoding[f"{band}_flux"] = {"_FillValue": FLUX_FILL, **gzip}
        encoding[f"{band}_counts"] = {"_FillValue": COUNTS_FILL, "dtype": "int32", **gzip}
        encoding[f"{band}_flags"] = {"_FillValue": np.uint16(65535), **gzip}
        encoding[f"{band}_swpc_flags"] = {"_FillValue": np.uint32(4294967295), **gzip}
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding)
    return [path]
