"""FITS light curves, event lists and images through astropy.

Tables: the binary-table HDU holding the requested columns is read (Kepler/TESS ``LIGHTCURVE``,
OGIP ``EVENTS``, HXMT ``Events``); per-detector HDUs of one instrument (GECAM ``EVENTS01`` ...
``EVENTS25``) are merged into one time-sorted table with a ``detector`` variable. Times follow the
FITS time standard (FITS 4.0 section 9; Rots et al. 2015, A&A 574, A36): ``TIMESYS`` (the scale),
``TIMEUNIT``, the reference ``MJDREF``/``MJDREFI``+``MJDREFF``, ``JDREF``/``JDREFI``+``JDREFF``,
``BJDREFI``+``BJDREFF`` (Kepler BKJD = BJD - 2454833, TESS BTJD = BJD - 2457000) or ``DATEREF``,
and ``TIMEZERO``; the ``time`` coordinate is UTC as datetime64[ns], converted with astropy.time
(TT/TDB offsets and leap seconds included; :mod:`.fits_time`), and the file's own time column is kept
as a variable.
Tables that solar archives lay out otherwise (SDAC's GOES XRS: one row of arrays; RHESSI observing
summaries: UT_REF and TIME_INTV) are read by :mod:`.fits_archives`.
Rows without a time (Kepler's NaN cadences) are dropped and counted in the attrs. ``TNULLn`` and NaN
fills become NaN, ``TUNITn`` the units. Images (``layout="image"``) are DataArrays ``(y, x)`` with
their WCS keywords kept.
"""

from __future__ import annotations

import gzip
import io
import re
import warnings
import zlib
from pathlib import Path

import numpy as np

from ... import SpacehubWarning
from ..errors import CorruptFile, ReadError, UnknownVariable
from ._damage import damage_is_corrupt
from .fits_archives import archive_layout, open_archive_table
from .fits_time import GoodTimeIntervals, time_system

#: project keywords of the sample files -> the attrs names every reader uses
_PROJECT_KEYS = {"SYNTHET": "synthetic", "INJTRUTH": "spacehub_injected_truth"}
_STRUCTURAL = re.compile(r"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|XTENSION|PCOUNT|GCOUNT|TFIELDS|EXTNAME|CHECKSUM|DATASUM"
                         r"|T(TYPE|FORM|UNIT|NULL|DISP|DIM|SCAL|ZERO|LMIN|LMAX|DMIN|DMAX)\d+|COMMENT|HISTORY|)$")


def open_fits(path: str | Path, variables: list[str] | None = None, lazy: bool = False, layout: str | None = None):
    """Open a FITS file as an ``xarray.Dataset``.

    Parameters
    ----------
    path : str or Path
        The FITS file.
    variables : list of str, optional
        Column names (matched case-insensitively, returned as spelled here); default: every column
        of the first table with a time column. With ``layout="image"``: the image HDUs' names.
    lazy : bool
        Dask-backed variables, one chunk per file, read (memory-mapped) only when computed.
    layout : {None, "image"}
        ``"image"`` reads primary/image HDUs instead of tables.

    Returns
    -------
    xarray.Dataset
        ``time`` (UTC, datetime64[ns]) as dimension and coordinate; the file's time column kept with
        ``units``, ``time_scale``, ``time_reference``; header keywords of the primary and the table
        HDU in ``attrs``.

    Examples
    --------
    >>> ds = open_fits("kplr011904151-2009166043257_llc.fits", ["TIME", "PDCSAP_FLUX"])  # doctest: +SKIP
    >>> ds.PDCSAP_FLUX.attrs["units"], ds.TIME.attrs["time_scale"]                          # doctest: +SKIP
    ('e-/s', 'tdb')
    """
    from astropy.io import fits

    path = Path(path)
    if layout not in (None, "image"):
        raise ReadError(path, f"no FITS layout {layout!r} (known: image, or none for tables)")
    with damage_is_corrupt(path, "FITS file"):
        check_structure(path)
        with fits.open(path, memmap=True, lazy_load_hdus=False) as hdul:
            if layout == "image":
                return _open_images(path, hdul, variables, lazy)
            return _open_table(path, hdul, variables, lazy)


def check_structure(path: Path) -> None:
    """Every HDU's header and data inside the file, before any data is touched: astropy would fail
    deep inside numpy (or, memory-mapped, read past the end) on a truncated file. A gzipped file
    (``.fits.gz``, as archives often serve them) is checked as what it unpacks to."""
    from astropy.io import fits

    if not path.exists():
        raise ReadError(path, "no such file")
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    try:  # our handle: astropy leaves its own open when it fails half-way; a gzip is unpacked once, here
        f = io.BytesIO(gzip.decompress(path.read_bytes())) if gzipped else open(path, "rb")
    except (OSError, EOFError, zlib.error) as e:
        raise CorruptFile(path, f"a gzip that cannot be unpacked, cut or damaged ({e})") from None
    with f:
        head = f.read(30)
        if not head.startswith(b"SIMPLE  =") or head[29:30] != b"T":
            raise CorruptFile(path, f"not a FITS file{' inside the gzip' if gzipped else ''} (it starts with "
                                    f"{head[:20]!r}; a FITS file starts with 'SIMPLE  =    T')")
        size = f.seek(0, 2)  # of what the gzip unpacks to, or of the file
        f.seek(0)
        with warnings.catch_warnings(record=True) as caught:  # the reader's own open gives the others again
            warnings.simplefilter("always")
            try:
                hdul = fits.open(f, memmap=False, lazy_load_hdus=False)
            except (OSError, ValueError, KeyError) as e:
                raise CorruptFile(path, f"not a readable FITS file: the file is truncated or corrupt ({e})") from None
        truncated = [w for w in caught if "truncat" in str(w.message).lower()]  # astropy only warns of some
        if truncated:
            raise CorruptFile(path, f"not a readable FITS file: the file is truncated ({truncated[0].message})")
        for i, hdu in enumerate(hdul):
            h = hdu.header
            axes = [h.get(f"NAXIS{k}", 0) for k in range(1, h.get("NAXIS", 0) + 1)]
            elements = int(np.prod(axes)) if axes else 0  # FITS 4.0 eq. 2: |BITPIX|/8 GCOUNT (PCOUNT + NAXIS1...)
            nbytes = abs(h.get("BITPIX", 8)) // 8 * h.get("GCOUNT", 1) * (h.get("PCOUNT", 0) + elements)
            end = hdu.fileinfo()["datLoc"] + nbytes
            if size < end:
                raise CorruptFile(path, f"the file is truncated: {size} bytes{' unpacked' if gzipped else ''}, but "
                                        f"HDU {i} ({hdu.name}) ends at byte {end}")


def _open_table(path, hdul, variables, lazy):
    import xarray as xr

    layout = archive_layout(hdul)
    if layout is not None:  # SDAC GOES, RHESSI summaries: not a row per time
        ds = open_archive_table(path, hdul, layout, variables)
        table = hdul[ds.attrs["source_hdu"]].header
        ds.attrs = {**_keywords(hdul[0].header), **_keywords(table), **ds.attrs}
        return ds.chunk() if lazy else ds
    hdus = _table_hdus(path, hdul, variables)
    first = hdus[0]
    columns = [c.name.upper() for c in first.columns]
    tcol = _column(first, "TIME") if "TIME" in columns else None
    names = list(variables) if variables else [c.name for c in first.columns]
    if tcol is None:  # YEAR, DOY, SOD columns (SDO EVE and others)
        calendar = [_column(first, c) for c in ("YEAR", "DOY", "SOD")]
        names += [c for c in calendar if c not in names]
        t, meta = _calendar_times(path, hdus, calendar)
    else:
        if not any(n.upper() == tcol.upper() for n in names):
            names.insert(0, tcol)  # the exact time in the file's own system is always kept
        t, meta = _times(path, hdul[0].header, hdus, tcol)
    keep = ~np.isnat(t)
    dropped = int((~keep).sum())
    order = np.argsort(t[keep], kind="stable") if not _sorted(t[keep]) else None
    sel = _row_selection(hdus, keep, order)
    time = t[keep] if order is None else t[keep][order]
    data_vars = {}
    for name in names:
        col = _column(first, name)
        data_vars[name] = _variable(path, hdus, col, sel, len(time), lazy)
        if col == tcol:
            data_vars[name][2].update(meta)
    if len(hdus) > 1:
        det = np.concatenate([np.full(len(h.data), _detector(h), np.int16) for h in hdus])[keep]
        data_vars["detector"] = ("time", det if order is None else det[order], {
            "units": "", "description": "Detector of the event: the number of the HDU it was read from "
                                        f"({hdus[0].name} ... {hdus[-1].name})"})
    ds = xr.Dataset(data_vars, coords={"time": ("time", time, {"standard_name": "time", **meta})})
    ds.attrs.update(_keywords(hdul[0].header))
    ds.attrs.update(_keywords(first.header))
    ds.attrs.update({"source_files": [str(path)], "source_hdu": ",".join(h.name for h in hdus),
                     "rows_without_time_dropped": dropped, **meta})
    return ds


def _table_hdus(path, hdul, variables):
    """The table HDU(s) to read: all requested columns and a time column; several only when they are
    one instrument's per-detector tables (same name but for a trailing number)."""
    from astropy.io import fits

    tables = [h for h in hdul if isinstance(h, fits.BinTableHDU)]
    for h in tables:
        unnamed = [i for i, c in enumerate(h.columns, 1) if not c.name]
        if unnamed:
            raise CorruptFile(path, f"HDU {h.name}: column(s) {unnamed} have no name (TTYPE{unnamed[0]} missing or "
                                    "damaged)")
    wanted = {v.upper() for v in (variables or [])}
    fits_all = [h for h in tables if wanted <= (names := {c.name.upper() for c in h.columns})
                and ("TIME" in names or _CALENDAR <= names)]
    if not fits_all:
        wanted |= {"TIME"}
        have = "; ".join(f"{h.name}: {', '.join(c.name for c in h.columns)}" for h in tables) or "no tables"
        missing = sorted(wanted.difference(*({c.name.upper() for c in h.columns} for h in tables)))
        raise UnknownVariable(path, f"no table HDU has the column(s) {sorted(wanted)} (a time: TIME, or YEAR, DOY "
                                    f"and SOD); missing everywhere: {missing} (the file has {have})")
    stem = re.sub(r"\d+$", "", fits_all[0].name)
    group = [h for h in fits_all if re.sub(r"\d+$", "", h.name) == stem and h.name != stem]
    return group if len(group) > 1 else fits_all[:1]


#: a table timed by calendar columns instead of TIME: year, day of year, seconds of the day (UTC)
_CALENDAR = {"YEAR", "DOY", "SOD"}


def _calendar_times(path, hdus, calendar: list[str]):
    """UTC datetime64[ns] of YEAR, DOY and SOD columns (NaT where one is missing or out of range)."""
    year, doy, sod = (np.concatenate([_native(np.asarray(h.data[c], dtype=np.float64)) for h in hdus])
                      for c in calendar)
    ok = np.isfinite(year) & np.isfinite(doy) & np.isfinite(sod) & (year >= 1678) & (year <= 2261) \
        & (doy >= 1) & (doy <= 366) & (sod >= 0) & (sod < 86401)
    t = np.full(len(year), np.datetime64("NaT"), "datetime64[ns]")
    starts = (year[ok].astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[ns]")
    t[ok] = starts + ((doy[ok].astype(np.int64) - 1) * 86400 * 10**9).astype("timedelta64[ns]") \
        + np.round(sod[ok] * 1e9).astype("timedelta64[ns]")
    return t, {"time_columns": ", ".join(calendar), "time_scale": "utc"}


def _column(hdu, name: str) -> str:
    """The file's spelling of a column that ``_table_hdus`` found (names match case-insensitively)."""
    return next(c.name for c in hdu.columns if c.name.upper() == name.upper())


def _sorted(t) -> bool:
    return bool(len(t) < 2 or (t[1:] >= t[:-1]).all())


def _row_selection(hdus, keep, order):
    """The rows that end up in the dataset, as (HDU index, row in that HDU) per output row; None: all
    rows of the one HDU, in file order."""
    if order is None and keep.all() and len(hdus) == 1:
        return None
    starts = np.cumsum([0] + [len(h.data) for h in hdus])
    kept_global = np.flatnonzero(keep)
    if order is not None:
        kept_global = kept_global[order]
    which = np.searchsorted(starts, kept_global, side="right") - 1
    return which, kept_global - starts[which]


def _native(a: np.ndarray) -> np.ndarray:
    """An owned, native-endian copy: FITS is big-endian, and a view would outlive the memory map."""
    return np.array(a, dtype=a.dtype.newbyteorder("="))


def _masked_column(hdu, col) -> np.ndarray:
    """One column as a native array; TNULL values become NaN (the column becomes float64)."""
    c = hdu.columns[col]
    values = _native(np.asarray(hdu.data[col]))
    if c.null is not None and values.dtype.kind in "iu" and not isinstance(c.null, str):
        # TNULL is compared with the stored integers, before TSCAL/TZERO (FITS 4.0 section 7.3.2)
        raw = np.asarray(hdu.data.base[col]) if (c.bscale or c.bzero) else values
        values = np.where(raw == c.null, np.nan, values.astype(np.float64))
    return values


def _gather(hdus, col, sel) -> np.ndarray:
    parts = [_masked_column(h, col) for h in hdus]
    if sel is None:
        return parts[0]
    which, row = sel
    if len(parts) == 1:
        return parts[0][row]
    out = np.empty((len(row),) + parts[0].shape[1:], dtype=np.result_type(*parts))
    for i, p in enumerate(parts):
        m = which == i
        out[m] = p[row[m]]
    return out


def _load(path: str, names: list[str], col: str, sel) -> np.ndarray:
    """One column of one file, masked and selected: the task behind each lazy variable."""
    from astropy.io import fits

    with fits.open(path, memmap=True) as hdul:
        return _gather([hdul[n] for n in names], col, sel)


def _variable(path, hdus, col, sel, n, lazy):
    c = hdus[0].columns[col]
    if re.search("[PQ]", str(c.format)):
        raise ReadError(path, f"column {col} of {hdus[0].name} has variable-length arrays ({c.format}): not supported")
    attrs = {"units": c.unit or ""}
    key = f"TTYPE{hdus[0].columns.names.index(col) + 1}"
    comment = hdus[0].header.comments[key] if key in hdus[0].header else ""
    if comment:
        attrs["description"] = re.sub(r"^column title:\s*", "", comment)
    if c.null is not None:
        attrs["_FillValue_in_file"] = c.null
    if lazy:
        import dask
        import dask.array as da

        sample = np.asarray(hdus[0].data[:0][col])  # dtype and row shape, without reading the column
        dtype = np.float64 if (c.null is not None and sample.dtype.kind in "iu") else sample.dtype.newbyteorder("=")
        task = dask.delayed(_load, pure=True)(str(path), [_hdu_key(h) for h in hdus], col, sel)
        data = da.from_delayed(task, shape=(n,) + sample.shape[1:], dtype=dtype)
    else:
        data = _gather(hdus, col, sel)
    dims = ("time",) + tuple(f"{col}_dim{i}" for i in range(1, data.ndim))
    return dims, data, attrs


def _hdu_key(hdu):
    return (hdu.name, hdu.ver) if hdu.ver else hdu.name


def _detector(hdu) -> int:
    number = re.search(r"\d+$", hdu.name)
    if number is None:
        raise CorruptFile(hdu.name, "an EVENTS extension without a detector number (EVENTS01 .. EVENTS25)")
    return int(number.group())


def _keywords(header) -> dict:
    out = {}
    for card in header.cards:
        key = card.keyword
        if _STRUCTURAL.match(key) or key in out:
            continue
        value = card.value
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, (int, float, str)):
            continue
        out[_PROJECT_KEYS.get(key, key)] = value
    return out


# -- time -------------------------------------------------------------------------------------------
def _times(path, primary, hdus, tcol):
    """The instants of the tables' time column as UTC datetime64[ns] (NaT where the file has NaN)."""
    with warnings.catch_warnings(record=True) as caught:  # one table's warning, not one per detector's
        warnings.simplefilter("always")
        keys = [time_system(path, primary, h.header, h.columns[tcol].unit) for h in hdus]
    for message in dict.fromkeys(str(w.message) for w in caught):
        warnings.warn(message, SpacehubWarning, stacklevel=3)
    if any(k != keys[0] for k in keys[1:]):
        raise ReadError(path, f"the tables {', '.join(h.name for h in hdus)} have different time keywords")
    k = keys[0]
    values = np.concatenate([_native(np.asarray(h.data[tcol], dtype=np.float64)) for h in hdus])
    seconds = k.seconds(values)
    utc = np.full(len(values), np.datetime64("NaT"), "datetime64[ns]")
    ok = np.isfinite(seconds)
    if ok.any():
        try:
            utc[ok] = k.to_utc(seconds[ok])
        except ValueError as e:
            raise ReadError(path, f"times cannot be converted to UTC ({e})") from None
    return utc, k.attrs()


def read_gti(path: str | Path) -> GoodTimeIntervals:
    """The good time intervals of an OGIP event file (its ``GTI`` table, ``START``/``STOP`` in the file's
    time system: ``TIMESYS``, ``MJDREF`` ..., as for its events) and its recorded live time (the
    ``LIVETIME`` keyword, else ``EXPOSURE``, of the primary, ``EVENTS`` or ``GTI`` header).

    :func:`spacehub.analysis.exposure.live_time` turns them into the live time of a UTC range.
    """
    from astropy.io import fits

    path = Path(path)
    check_structure(path)
    with fits.open(path, memmap=False) as hdul:
        names = [h.name.upper() for h in hdul]
        if "GTI" not in names:
            raise ReadError(path, f"has no GTI table (it has: {', '.join(names)}): the good time of the file is "
                                  "unknown")
        primary, gti = hdul[0].header, hdul["GTI"]
        cols = {c.upper(): c for c in gti.columns.names}
        if "START" not in cols or "STOP" not in cols:
            raise ReadError(path, f"its GTI table has no START/STOP columns (it has: {', '.join(gti.columns.names)})")
        k = time_system(path, primary, gti.header)
        lo = k.seconds(_native(np.asarray(gti.data[cols["START"]], np.float64)))
        hi = k.seconds(_native(np.asarray(gti.data[cols["STOP"]], np.float64)))
        if np.any(hi < lo) or not np.all(np.isfinite(lo) & np.isfinite(hi)):
            raise ReadError(path, "its GTI table has intervals that end before they start, or no times")
        headers = [primary] + [h.header for h in hdul[1:] if h.name.upper() in ("EVENTS", "GTI")]
        keyword = next((key for key in ("LIVETIME", "EXPOSURE") if any(key in h for h in headers)), None)
        recorded = None if keyword is None else float(next(h[keyword] for h in headers if keyword in h))
    return GoodTimeIntervals(lo, hi, k, keyword, recorded)


# -- images -----------------------------------------------------------------------------------------
def _open_images(path, hdul, variables, lazy):
    import xarray as xr
    from astropy.io import fits

    images = {(h.name or "PRIMARY"): h for h in hdul
              if isinstance(h, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) and h.header.get("NAXIS", 0) >= 2}
    names = list(variables) if variables else list(images)
    missing = [n for n in names if n.upper() not in images]
    if missing or not names:
        raise UnknownVariable(path, f"has no image HDU(s) {missing or ''} (image HDUs: {', '.join(images) or 'none'})")
    data_vars = {}
    for name in names:
        hdu = images[name.upper()]
        dims = tuple(f"axis{i}" for i in range(hdu.header["NAXIS"], 2, -1)) + ("y", "x")
        if lazy:
            import dask
            import dask.array as da

            shape = tuple(hdu.header[f"NAXIS{i}"] for i in range(hdu.header["NAXIS"], 0, -1))
            stored = np.dtype(hdu.data.dtype)  # memory-mapped: nothing read yet
            dtype = np.float64 if "BLANK" in hdu.header and stored.kind in "iu" else stored.newbyteorder("=")
            data = da.from_delayed(dask.delayed(_load_image, pure=True)(str(path), _hdu_key(hdu)), shape, dtype)
        else:
            data = _image(hdu)
        attrs = {"units": str(hdu.header.get("BUNIT", "")), "description": str(hdu.header.get("EXTNAME", name)),
                 "wcs": _wcs_header(hdu.header)}
        data_vars[name] = xr.DataArray(data, dims=dims, attrs=attrs)
    ds = xr.Dataset(data_vars)
    ds.attrs.update(_keywords(hdul[0].header))
    ds.attrs["source_files"] = [str(path)]
    return ds


def _image(hdu) -> np.ndarray:
    data = _native(np.asarray(hdu.data))
    blank = hdu.header.get("BLANK")
    if blank is not None and data.dtype.kind in "iu":
        data = np.where(data == blank, np.nan, data.astype(np.float64))
    return data


def _load_image(path, key):
    from astropy.io import fits

    with fits.open(path, memmap=True) as hdul:
        return _image(hdul[key])


def _wcs_header(header) -> str:
    """The HDU's WCS keywords as header text: ``astropy.wcs.WCS(fits.Header.fromstring(attrs["wcs"]))``."""
    from astropy.wcs import WCS, FITSFixedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        return WCS(header).to_header().tostring()
