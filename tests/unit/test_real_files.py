"""Real mission files (the corpus of `tests/corpus.py`: test data of public PyPI packages) read
through the public reader and compared with the reference libraries: cdflib for CDF, netCDF4 (the
netCDF-C library, not the h5py stack the reader uses) for netCDF, astropy for FITS, a plain parse
for IAGA-2002 and GFZ Kp. Values bit-identical where no masking applies, NaN exactly where the reference has a
fill (or a value outside VALIDMIN/VALIDMAX), times within 1 µs.

Files the readers cannot read yet say so in the manifest (``not_yet``, the reason); their test is
expected to fail (strictly: one that starts to pass must lose its ``not_yet``). The table of what is
covered, `docs/real-files.md`, is made from the manifest (`tests/corpus.py table`) and checked here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from corpus import MANIFEST, RealFile, available, cache_dir, manifest, table

import spacehub


def _files() -> list:
    return [pytest.param(f, id=f.name, marks=[pytest.mark.xfail(reason=f.not_yet, strict=True)] if f.not_yet else [])
            for f in manifest()[1]]


@pytest.fixture
def real(request) -> RealFile:
    f = request.param
    if not f.path.exists():
        pytest.skip(f"the real-file corpus is not in {cache_dir()}: run `make corpus` (downloads it once)")
    return f


def test_the_corpus_is_the_one_listed_and_large_enough():
    packages, files = manifest()
    assert len(files) >= 30 and len({f.name for f in files}) == len(files)
    assert {f.format for f in files} >= {"cdf", "netcdf", "fits", "text"}
    assert all(f.package in packages for f in files)
    if len(available()) < len(files):
        pytest.skip(f"the real-file corpus is not in {cache_dir()}: run `make corpus` (downloads it once)")


def test_the_coverage_table_in_the_docs_is_the_manifests():
    docs = MANIFEST.parents[1] / "docs" / "real-files.md"
    assert docs.read_text() == table(), "docs/real-files.md is stale: .venv/bin/python tests/corpus.py table > docs/real-files.md"


def _scalar(value):
    if isinstance(value, (list, tuple, np.ndarray)) and np.size(value) == 1:
        value = np.ravel(value)[0]
    return value if isinstance(value, (int, float, np.number)) else None


def compare_cdf(path, ds):
    import cdflib

    cdf = cdflib.CDF(str(path))
    checked = 0
    for name, da in ds.data_vars.items():
        ref = np.asarray(cdf.varget(name))
        attrs = cdf.varattsget(name)
        if not np.issubdtype(ref.dtype, np.number):
            continue
        written = ref.shape[0] if ref.ndim else 0
        if written < da.shape[0]:  # records the writer did not write: NaN after the written ones
            assert da.attrs["records_written"] == written and np.isnan(da.values[written:]).all(), name
            da = da[:written]
        ref = ref.reshape(da.shape)
        fill, lo, hi = (_scalar(attrs.get(k)) for k in ("FILLVAL", "VALIDMIN", "VALIDMAX"))
        as_float = ref.astype(da.dtype)
        masked = np.isnan(as_float) if da.dtype.kind == "f" else np.zeros(ref.shape, bool)
        with np.errstate(invalid="ignore"):
            for bound, test in ((fill, np.equal), (lo, np.less), (hi, np.greater)):
                if bound is not None:
                    masked |= test(ref, bound)
        values = da.values
        np.testing.assert_array_equal(np.isnan(values), masked, err_msg=f"{path.name}:{name}: NaN not where fills are")
        np.testing.assert_array_equal(values[~masked], as_float[~masked], err_msg=f"{path.name}:{name}")
        checked += 1
        dep = attrs.get("DEPEND_0") or ds.attrs["time_axis_assumed"]
        times = cdflib.cdfepoch.to_datetime(cdf.varget(dep))
        error = np.abs(ds.time.values - np.asarray(times, "datetime64[ns]")).max() if ds.time.size else np.timedelta64(0)
        assert error <= np.timedelta64(1, "us"), f"{path.name}: times off by {error}"
        compare_support(cdf, path, name, attrs, ds)
    return checked


def compare_support(cdf, path, name, attrs, ds):
    """The variable's DEPEND_i / LABL_PTR_i coordinates hold what cdflib reads of those support variables."""
    for i in (1, 2, 3):
        for key in (f"DEPEND_{i}", f"LABL_PTR_{i}"):
            support = attrs.get(key)
            if support not in ds.coords or not set(ds.coords[support].dims) <= set(ds[name].dims):
                continue  # (a coordinate of that name on other dimensions: another variable's)
            ref = np.asarray(cdf.varget(support))
            got = ds.coords[support].values
            if ref.dtype.kind in "US":
                ref = np.char.strip(ref.astype(str))
            ref = ref.reshape(got.shape)
            if got.dtype.kind == "f":
                np.testing.assert_array_equal(got[~np.isnan(got)], ref.astype(got.dtype)[~np.isnan(got)],
                                              err_msg=f"{path.name}:{name}:{key}")
            else:
                np.testing.assert_array_equal(got, ref, err_msg=f"{path.name}:{name}:{key}")


def compare_netcdf(path, ds):
    import netCDF4

    checked = 0
    with netCDF4.Dataset(path) as ref_file:
        ref_file.set_auto_maskandscale(True)
        for name, da in ds.data_vars.items():
            ref = ref_file[name][...]
            if not np.issubdtype(np.asarray(ref).dtype, np.number) or da.dtype.kind not in "fiu":
                continue
            mask = np.ma.getmaskarray(ref)
            values = da.values
            if da.dtype.kind == "f":
                np.testing.assert_array_equal(np.isnan(values) & ~np.isnan(np.ma.getdata(ref).astype(float)),
                                              mask, err_msg=f"{path.name}:{name}: NaN not where fills are")
            np.testing.assert_array_equal(values[~mask], np.ma.getdata(ref).astype(values.dtype)[~mask],
                                          err_msg=f"{path.name}:{name}")
            checked += 1
        t = ref_file["time"]
        times = netCDF4.num2date(t[:], t.units, only_use_cftime_datetimes=False, only_use_python_datetimes=True)
        expected = np.array([np.datetime64(x.replace(tzinfo=None), "ns") for x in times])
        assert np.abs(ds.time.values - expected).max() <= np.timedelta64(1, "us")
    return checked


def compare_fits(path, ds, image: bool):
    from astropy.io import fits

    checked = 0
    with fits.open(path) as hdul:
        if image:
            data = next(h.data for h in hdul if h.data is not None and h.is_image)
            values = next(iter(ds.data_vars.values())).values
            np.testing.assert_array_equal(values, data.astype(values.dtype))
            return 1
        if ds.attrs.get("archive_layout") == "sdac-goes-xrs":
            return compare_sdac_goes(hdul, ds)
        if ds.attrs.get("archive_layout") == "rhessi-obssumm":
            return compare_rhessi_obssumm(hdul, ds)
        table = next(h for h in hdul if isinstance(h, fits.BinTableHDU) and h.name == ds.attrs["source_hdu"])
        if ds.attrs.get("time_columns") == "YEAR, DOY, SOD":  # checked with the calendar of Python's datetime
            import datetime as dt

            expected = np.array([np.datetime64(dt.datetime(int(y), 1, 1) + dt.timedelta(days=int(d) - 1, seconds=float(s)))
                                 for y, d, s in zip(table.data["YEAR"], table.data["DOY"], table.data["SOD"])],
                                "datetime64[ns]")
            assert np.abs(ds.time.values - expected).max() <= np.timedelta64(1, "us")
        rows = np.ones(len(table.data), bool)
        if ds.attrs.get("rows_without_time_dropped"):  # Kepler's and TESS's cadences without a time
            rows = np.isfinite(table.data["TIME"])
            assert (~rows).sum() == ds.attrs["rows_without_time_dropped"]
        if "BJDREFI" in table.header:  # barycentric days: astropy.time's TDB to UTC
            from astropy.time import Time

            jd = Time(table.header["BJDREFI"], table.header["BJDREFF"] + table.data["TIME"][rows], format="jd",
                      scale=table.header["TIMESYS"].lower())
            error = np.abs(ds.time.values - jd.utc.to_value("datetime64").astype("datetime64[ns]")).max()
            assert error <= np.timedelta64(1, "us"), f"{path.name}: times off by {error}"
        for name, da in ds.data_vars.items():
            if name.upper() not in [c.upper() for c in table.columns.names] or da.dtype.kind not in "fiu":
                continue
            ref = np.asarray(table.data[name][rows], dtype=da.dtype)
            np.testing.assert_array_equal(da.values, ref, err_msg=f"{path.name}:{name}")
            checked += 1
    return checked


def compare_sdac_goes(hdul, ds):
    """The one row of arrays of FLUXES, its bands named by EDGES; times: astropy.time from the header
    (TIMEZERO the MJD day, TIME its UTC seconds)."""
    from astropy.time import Time, TimeDelta

    row = hdul["FLUXES"].data[0]
    start = Time(hdul["FLUXES"].header["TIMEZERO"], format="mjd", scale="utc")
    expected = (start + TimeDelta(row["TIME"].astype(float), format="sec")).to_value("datetime64")
    assert np.abs(ds.time.values - expected.astype("datetime64[ns]")).max() <= np.timedelta64(1, "us")
    np.testing.assert_array_equal(ds.TIME.values, row["TIME"])
    edges = hdul["EDGES"].data[0]["EDGES"].tolist()
    for column, band in enumerate(edges):
        name = {(1.0, 8.0): "b_flux", (0.5, 4.0): "a_flux"}[tuple(band)]
        ref = row["FLUX"][:, column].astype(float)
        ref[ref == -99999.0] = np.nan
        np.testing.assert_array_equal(ds[name].values, ref)
    return 3


def compare_rhessi_obssumm(hdul, ds):
    """Rates decompressed as SSW's hsi_obs_summ_decompress.pro builds its table; times UT_REF + i TIME_INTV."""
    table, step = np.zeros(256, np.int64), 0
    for exponent in range(16):  # 16 steps of 2**exponent, each run starting where the last one ended
        table[16 * exponent: 16 * exponent + 16] = step + np.arange(16) * 2**exponent
        step = table[16 * exponent + 15] + 2**exponent
    info = hdul["HSI_OBSSUMMRATEINFO"].data[0]
    raw = np.asarray(hdul["HSI_OBSSUMMRATEDATA"].data["COUNTRATE"])
    np.testing.assert_array_equal(ds.countrate.values, table[raw])
    import datetime as dt

    start = dt.datetime(1979, 1, 1) + dt.timedelta(seconds=float(info["UT_REF"]))
    expected = np.array([start + dt.timedelta(seconds=i * float(info["TIME_INTV"])) for i in range(len(raw))],
                        "datetime64[ns]")
    np.testing.assert_array_equal(ds.time.values, expected)
    np.testing.assert_array_equal(ds.flags.values, hdul["HSI_OBSSUMMFLAGDATA"].data["FLAGS"])
    return 2


def compare_iaga2002(path, ds):
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("DATE"))
    elements = lines[start].split()[3:-1]
    rows = [line.split() for line in lines[start + 1:] if line.strip()]
    times = np.array([f"{r[0]}T{r[1]}" for r in rows], "datetime64[ns]")
    assert np.array_equal(ds.time.values, times)
    checked = 0
    for i, element in enumerate(elements):
        ref = np.array([float(r[3 + i]) if len(r) > 3 + i else np.nan for r in rows])
        ref[ref >= 88888] = np.nan  # IAGA-2002: 99999 missing, 88888 not recorded
        name = next(n for n in ds.data_vars if n.upper().endswith(element[-1]))
        np.testing.assert_array_equal(ds[name].values, ref, err_msg=f"{path.name}:{element}")
        checked += 1
    return checked


def compare_gfz_kp(path, ds):
    rows = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    days = np.array([f"{r[0]}-{r[1]}-{r[2]}" for r in rows], "datetime64[ns]")
    kp = np.array([[float(x) for x in r[7:15]] for r in rows]).ravel()
    ap = np.array([[float(x) for x in r[15:23]] for r in rows]).ravel()
    times = (days[:, None] + np.arange(8) * np.timedelta64(3, "h")).ravel()
    kp[kp < 0], ap[ap < 0] = np.nan, np.nan
    assert np.array_equal(ds.time.values, times)
    np.testing.assert_array_equal(ds.Kp.values, kp)
    np.testing.assert_array_equal(ds.ap.values, ap)
    return 2


@pytest.mark.parametrize("real", _files(), indirect=True)
def test_a_real_file_reads_as_the_reference_library_reads_it(real):
    image = "image" in real.features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = spacehub.open_file(real.path, format=real.format, layout=real.layout or ("image" if image else None))
    if real.format == "cdf":
        checked = compare_cdf(real.path, ds)
    elif real.format == "netcdf":
        checked = compare_netcdf(real.path, ds)
    elif real.format == "fits":
        checked = compare_fits(real.path, ds, image)
    elif real.layout == "iaga2002":
        checked = compare_iaga2002(real.path, ds)
    elif real.layout == "gfz-kp-text":
        checked = compare_gfz_kp(real.path, ds)
    else:
        pytest.fail(f"no reference comparison for {real.format}/{real.layout}")
    assert checked or ds.sizes.get("time", 1) == 0, "no variable was compared"


def _corpus_file(name: str):
    f = next(f for f in manifest()[1] if f.name == name)
    if not f.path.exists():
        pytest.skip(f"the real-file corpus is not in {cache_dir()}: run `make corpus` (downloads it once)")
    return f.path


def test_cdf_support_data_become_coordinates_and_several_time_axes_a_tree():
    """RBSP HOPE: pitch angles (fixed), energies (a table per record) and labels as coordinates;
    ion and electron fluxes, on their own time axes, in one call as a DataTree; SolO EPD: the energy
    table read alone, as a support variable without a time axis."""
    import cdflib

    path = _corpus_file("rbspa_rel04_ect-hope-PA-L3_20121201_v0.0.0.cdf")
    tree = spacehub.open_file(path, ["FPDU", "FEDU"])
    cdf = cdflib.CDF(str(path))
    assert sorted(tree.children) == ["Epoch_Ele", "Epoch_Ion"]
    for axis, name, energy in (("Epoch_Ion", "FPDU", "HOPE_ENERGY_Ion"), ("Epoch_Ele", "FEDU", "HOPE_ENERGY_Ele")):
        ds = tree[axis].to_dataset()
        assert ds[name].dims == ("time", "PITCH_ANGLE", "Energy_LABL")
        assert ds[energy].dims == ("time", "Energy_LABL") and ds.attrs["time_variable"] == axis
        np.testing.assert_array_equal(ds[energy].values, cdf.varget(energy))
        np.testing.assert_array_equal(ds.PITCH_ANGLE.values, cdf.varget("PITCH_ANGLE").ravel())
        expected = np.asarray(cdflib.cdfepoch.to_datetime(cdf.varget(axis)), "datetime64[ns]")
        assert np.abs(ds.time.values - expected).max() <= np.timedelta64(1, "us")
        compare_support(cdf, path, name, cdf.varattsget(name), ds)
    assert tree["Epoch_Ion"].Pitch_LABL.values.tolist()[:2] == ["4.5", "18.0"]

    path = _corpus_file("solo_L2_epd-ept-north-hcad_20200713_V02.cdf")
    cdf = cdflib.CDF(str(path))
    table = spacehub.open_file(path, ["Ion_Bins_Low_Energy", "Ion_Bins_Width"])
    assert "time" not in table.dims
    np.testing.assert_array_equal(table.Ion_Bins_Low_Energy.values, cdf.varget("Ion_Bins_Low_Energy").ravel())
    assert table.Ion_Bins_Text.values[0] == cdf.varget("Ion_Bins_Text")[0].strip() == "0.0518 - 0.0675 MeV"
    flux = spacehub.open_file(path, ["Ion_Flux"])
    assert flux.Ion_Flux.dims == ("time", "Ion_Bins_Low_Energy")
    assert float(flux.Ion_Flux.sel(Ion_Bins_Low_Energy=table.Ion_Bins_Low_Energy[3]).isel(time=0)) == \
        float(cdf.varget("Ion_Flux")[0, 3])
