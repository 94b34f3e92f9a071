"""FITS tables that solar archives lay out other than a row per time, read as time series.

``sdac-goes-xrs``: the GOES XRS files of the Solar Data Analysis Center (``go15YYYYMMDD.fits``,
GOES 1-15; ``ORIGIN = 'SDAC/GSFC'``). One table row of arrays (``FLUXES``: ``TIME(N)`` in seconds,
``FLUX(2,N)`` in W/m², -99999 for no data), the bands of ``FLUX`` in the ``EDGES`` table (1-8 Å and
0.5-4 Å), ``TIMESYS = 'MJD'`` meaning that ``TIMEZERO`` is the day's MJD (:mod:`.fits_time`). The
channels are named as NOAA's reprocessed GOES 8-15 netCDF names them, ``b_flux`` (1-8 Å, XRS-B) and
``a_flux`` (0.5-4 Å, XRS-A). Their scale: SDAC wrote GOES 8-15 fluxes as SWPC distributed them,
multiplied by 0.7 (XRS-B) and 0.85 (XRS-A) to match GOES-7 (the GOES 1-15 XRS Science-Quality Data
Readme of NOAA NCEI; sunkit-instruments removes the factors from SDAC files before its temperature
fits): the scale of the flare classes of that era. The variables say so (``flux_convention =
"swpc"``, ``swpc_scale_factor``), and :mod:`spacehub.analysis.flares` takes the scale from there.

``rhessi-obssumm``: RHESSI observing summaries (``hsi_obssumm_YYYYMMDD_NNN.fits``). Count rates in
nine energy bands every ``TIME_INTV`` seconds (4 s) from ``UT_REF`` (``HSI_OBSSUMMRATEINFO``), the
rows of ``HSI_OBSSUMMRATEDATA`` one per interval, each rate compressed into a byte (SSW's
``hsi_obs_summ_decompress.pro``: byte 16 i + j is (j + 16) 2^i - 16 counts/s/detector); the summary
flags (SAA, eclipse, attenuator ...) on the same intervals. Times in RHESSI's convention: seconds
since 1979-01-01T00:00 UTC counting 86,400 to a day (SSW's anytim), each interval stamped at its start.

A RHESSI calibrated event list stacked in roll angle and phase (``hsi_calib_ev_*.fits``, the input of
back-projection imaging) holds bins of one time interval, not a series: it is refused, saying so.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import SpacehubWarning
from ..errors import CorruptFile, ReadError, UnknownVariable
from .fits_time import time_system

#: SWPC's factors on operational GOES 8-15 fluxes (operational = factor x true), by the netCDF names
SWPC_SCALE = {"b_flux": 0.7, "a_flux": 0.85}
_SDAC_NO_DATA = -99999.0
#: RHESSI's time zero (SSW anytim): seconds since then count 86,400 to a day
RHESSI_EPOCH = np.datetime64("1979-01-01T00:00:00", "ns")


def archive_layout(hdul) -> str | None:
    """Which archive layout a FITS file is in (``sdac-goes-xrs``, ``rhessi-obssumm``,
    ``rhessi-calib-ev``), or None for the FITS time standard's tables."""
    names = {h.name.upper() for h in hdul}
    primary = hdul[0].header
    if {"FLUXES", "EDGES"} <= names and str(primary.get("ORIGIN", "")).upper().startswith("SDAC") \
            and str(primary.get("TELESCOP", "")).upper().startswith("GOES"):
        return "sdac-goes-xrs"
    if {"HSI_OBSSUMMRATEINFO", "HSI_OBSSUMMRATEDATA"} <= names:
        return "rhessi-obssumm"
    if "STACKED_CBE" in names:
        return "rhessi-calib-ev"
    return None


def open_archive_table(path, hdul, layout: str, variables: list[str] | None):
    """The file as an ``xarray.Dataset`` of its layout (see the module doc)."""
    if layout == "sdac-goes-xrs":
        ds = _sdac_goes(path, hdul)
    elif layout == "rhessi-obssumm":
        ds = _rhessi_obssumm(path, hdul)
    else:
        info = hdul["INFO PARAMETERS"].data if "INFO PARAMETERS" in hdul else None
        span = ""
        if info is not None and "ABSOLUTE_TIME_RANGE" in info.columns.names:
            lo, hi = (RHESSI_EPOCH + np.round(np.asarray(info["ABSOLUTE_TIME_RANGE"][0], float) * 1e9)
                      .astype("timedelta64[ns]"))
            span = f" ({np.datetime_as_string(lo, 'ms')} to {np.datetime_as_string(hi, 'ms')})"
        raise ReadError(path, f"is a RHESSI calibrated event list stacked in roll angle and phase: bins of counts "
                              f"over one time interval{span} for imaging, no time series; read it with "
                              "astropy.io.fits, or image it with sunkit_instruments.rhessi.backprojection")
    ds.attrs["archive_layout"] = layout
    if variables:
        missing = [v for v in variables if v not in ds.data_vars]
        if missing:
            raise UnknownVariable(path, f"has no variable(s) {missing} (a {layout} file gives: "
                                        f"{', '.join(ds.data_vars)})")
        ds = ds[list(variables)]
    return ds


def _one_row_table(path, hdul, name: str):
    table = hdul[name]
    if table.data is None or len(table.data) != 1:
        rows = 0 if table.data is None else len(table.data)
        raise CorruptFile(path, f"its {name} table has {rows} rows; the archive writes one row of arrays")
    return table


def _sdac_goes(path, hdul):
    import xarray as xr

    fluxes = _one_row_table(path, hdul, "FLUXES")
    columns = {c.upper(): c for c in fluxes.columns.names}
    if not {"TIME", "FLUX"} <= set(columns):
        raise CorruptFile(path, f"its FLUXES table has no TIME and FLUX columns (it has {', '.join(columns)})")
    seconds = _native(fluxes.data[columns["TIME"]][0]).astype(np.float64)
    flux = _native(fluxes.data[columns["FLUX"]][0])
    if flux.ndim != 2 or flux.shape != (seconds.size, 2):
        raise CorruptFile(path, f"FLUX has shape {flux.shape}, expected ({seconds.size}, 2): one flux per band "
                                "for each TIME")
    system = time_system(path, hdul[0].header, fluxes.header, fluxes.columns[columns["TIME"]].unit)
    ok = np.isfinite(seconds)
    if not ok.all():
        raise CorruptFile(path, f"TIME has {int((~ok).sum())} values that are not numbers")
    time = system.to_utc(system.seconds(seconds)) if seconds.size else np.array([], "datetime64[ns]")
    flux = np.where(flux == _SDAC_NO_DATA, np.nan, flux.astype(np.float64))
    satellite = _goes_number(str(hdul[0].header.get("TELESCOP", "")))
    data = {columns["TIME"]: ("time", seconds, {"units": "s", "description": "the file's TIME: seconds after "
                                                "TIMEZERO's midnight", **system.attrs()})}
    for column, (name, band) in zip(range(2), _sdac_bands(path, hdul)):
        data[name] = ("time", flux[:, column], _flux_attrs(name, band, satellite))
    ds = xr.Dataset(data, coords={"time": ("time", time, {"standard_name": "time", **system.attrs()})})
    ds.attrs.update({"source_hdu": "FLUXES", "source_files": [str(path)], **system.attrs()})
    if satellite is not None and 8 <= satellite <= 15:
        ds.attrs["flux_convention"] = "swpc"
    return ds


def _sdac_bands(path, hdul) -> list[tuple[str, str]]:
    """(netCDF name, band) of FLUX's two columns, from the EDGES table (Å)."""
    edges = np.asarray(_one_row_table(path, hdul, "EDGES").data[0][0], dtype=np.float64).reshape(-1, 2)
    out = []
    for low, high in edges[:2]:
        if (low, high) == (1.0, 8.0):
            out.append(("b_flux", "XRS-B, 1-8 Å (0.1-0.8 nm)"))
        elif (low, high) == (0.5, 4.0):
            out.append(("a_flux", "XRS-A, 0.5-4 Å (0.05-0.4 nm)"))
        else:
            raise CorruptFile(path, f"EDGES gives a band {low:g}-{high:g} Å; GOES XRS has 1-8 and 0.5-4 Å")
    if len(out) != 2 or out[0][0] == out[1][0]:
        raise CorruptFile(path, f"EDGES gives {edges.tolist()}: expected the bands 1-8 and 0.5-4 Å")
    return out


def _goes_number(telescope: str) -> int | None:
    digits = "".join(ch for ch in telescope if ch.isdigit())
    return int(digits) if digits else None


def _flux_attrs(name: str, band: str, satellite: int | None) -> dict:
    attrs: dict[str, str | float] = {"units": "W/m2", "description": f"{band} flux, as SDAC distributes it"}
    if satellite is not None and 8 <= satellite <= 15:
        factor = SWPC_SCALE[name]
        attrs.update({"flux_convention": "swpc", "swpc_scale_factor": factor,
                      "description": f"{band} flux of GOES-{satellite} as SWPC distributed it: scaled by {factor} to "
                                     f"the GOES-7 calibration (true irradiance = {name} / {factor}), the scale of "
                                     "the flare classes of the SWPC/NGDC event lists"})
    return attrs


def _native(a) -> np.ndarray:
    a = np.asarray(a)
    return np.array(a, dtype=a.dtype.newbyteorder("="))


# -- RHESSI observing summaries ---------------------------------------------------------------------------
def decompress_rhessi_rates(compressed: np.ndarray) -> np.ndarray:
    """Count rates of an observing summary from its bytes: byte 16 i + j is (j + 16) 2^i - 16
    (SSW's ``hsi_obs_summ_decompress.pro``: 16 steps of 2^i above 16 (2^i - 1)).

    Examples
    --------
    >>> decompress_rhessi_rates(np.array([0, 15, 16, 17, 255], np.uint8)).tolist()
    [0, 15, 16, 18, 1015792]
    """
    b = np.asarray(compressed).astype(np.int64)
    return ((b % 16 + 16) << (b // 16)) - 16


def _rhessi_obssumm(path, hdul):
    import xarray as xr

    info = _one_row_table(path, hdul, "HSI_OBSSUMMRATEINFO").data[0]
    rates = hdul["HSI_OBSSUMMRATEDATA"].data
    if rates is None or "COUNTRATE" not in [c.upper() for c in rates.columns.names]:
        raise CorruptFile(path, "its HSI_OBSSUMMRATEDATA table has no COUNTRATE column")
    raw = np.asarray(rates["COUNTRATE"])
    time, meta = _rhessi_times(path, info, len(raw), "HSI_OBSSUMMRATEDATA")
    edges = np.asarray(info["ENERGY_EDGES"], dtype=np.float64)
    if raw.ndim != 2 or raw.shape[1] != edges.size - 1:
        raise CorruptFile(path, f"COUNTRATE has {raw.shape[1:] or 'no'} bands per row, ENERGY_EDGES gives "
                                f"{edges.size - 1}")
    labels = [f"{lo:g} - {hi:g} keV" for lo, hi in zip(edges[:-1], edges[1:])]
    data = {"countrate": (("time", "energy_band"), decompress_rhessi_rates(raw), {
        "units": "counts/s/detector", "description": "RHESSI observing summary count rate (decompressed: SSW "
                                                     "hsi_obs_summ_decompress)"})}
    coords = {"time": ("time", time, {"standard_name": "time", **meta}), "energy_band": ("energy_band", labels),
              "energy_low": ("energy_band", edges[:-1], {"units": "keV"}),
              "energy_high": ("energy_band", edges[1:], {"units": "keV"})}
    ds = xr.Dataset(data, coords=coords)
    flags = _rhessi_flags(path, hdul, info, len(raw))
    if flags is not None:
        ds["flags"] = flags
    ds.attrs.update({"source_hdu": "HSI_OBSSUMMRATEDATA", "source_files": [str(path)], **meta})
    return ds


def _rhessi_times(path, info, rows: int, table: str):
    """UTC instants of ``rows`` intervals from UT_REF and TIME_INTV of an INFO row."""
    ut_ref, step = float(info["UT_REF"]), float(info["TIME_INTV"])
    declared = int(info["N_TIME_INTV"])
    if not (np.isfinite(ut_ref) and 0 <= ut_ref < 2**33 and np.isfinite(step) and 0 < step <= 86400):
        raise CorruptFile(path, f"UT_REF {ut_ref!r} or TIME_INTV {step!r} is no time (seconds since 1979-01-01, "
                                "an interval in seconds)")
    if rows > declared:
        raise CorruptFile(path, f"{table} has {rows} rows, more than the {declared} intervals (N_TIME_INTV) its "
                                "header declares")
    if rows < declared:
        warnings.warn(f"{path}: {table} has {rows} of the {declared} intervals (N_TIME_INTV) its header declares: "
                      f"the file was cut; reading the {rows} it has", SpacehubWarning, stacklevel=4)
    start = RHESSI_EPOCH + np.timedelta64(int(round(ut_ref * 1e9)), "ns")
    time = start + np.round(np.arange(rows) * step * 1e9).astype("timedelta64[ns]")
    meta = {"time_origin": "UT_REF seconds since 1979-01-01T00:00 UTC, 86400 a day (SSW anytim)",
            "time_interval_s": step, "time_scale": "utc", "intervals_declared": declared}
    return time, meta


def _rhessi_flags(path, hdul, rate_info, rows: int):
    """The summary flags (uint8 per flag and interval) when they share the rates' intervals, else None."""
    import xarray as xr

    names = {h.name.upper() for h in hdul}
    if not {"HSI_OBSSUMMFLAGINFO", "HSI_OBSSUMMFLAGDATA"} <= names:
        return None
    info = _one_row_table(path, hdul, "HSI_OBSSUMMFLAGINFO").data[0]
    flags = hdul["HSI_OBSSUMMFLAGDATA"].data
    if flags is None or len(flags) != rows or float(info["UT_REF"]) != float(rate_info["UT_REF"]) \
            or float(info["TIME_INTV"]) != float(rate_info["TIME_INTV"]):
        return None
    values = np.asarray(flags[flags.columns.names[0]])
    ids = [str(x).strip() for x in np.atleast_1d(info["FLAG_IDS"])]
    if values.ndim != 2 or values.shape[1] != len(ids):
        raise CorruptFile(path, f"HSI_OBSSUMMFLAGDATA has {values.shape[1:]} flags per row, FLAG_IDS names {len(ids)}")
    return xr.DataArray(_native(values), dims=("time", "flag"), coords={"flag": ids},
                        attrs={"units": "", "description": "RHESSI observing summary flags (SAA, eclipse, "
                                                           "attenuator state ...; FLAG_IDS)"})
