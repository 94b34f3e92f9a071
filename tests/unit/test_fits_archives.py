"""FITS tables of solar archives that are not a row per time: SDAC's GOES XRS files (one row of
arrays, TIMESYS 'MJD', fluxes on the SWPC scale) and RHESSI observing summaries (UT_REF +
TIME_INTV, compressed rates), on the real files of the corpus where they are there and on small
files written here in their layout; broken ones are a CorruptFile naming the file."""

import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time, TimeDelta
from corpus import manifest

import spacehub
from spacehub import SpacehubWarning
from spacehub.analysis import flares
from spacehub.catalog.readers import CorruptFile, ReadError
from spacehub.catalog.readers.fits_archives import decompress_rhessi_rates


def corpus_file(name):
    f = next(f for f in manifest()[1] if f.name == name)
    if not f.path.exists():
        pytest.skip("the real-file corpus is not there: run `make corpus` (downloads it once)")
    return f.path


def sdac_goes(path, seconds=(0.0, 2.048, 4.096, 6.144), flux=None, timesys="MJD", timezero=55719,
              edges=((1.0, 8.0), (0.5, 4.0)), telescope="GOES 15"):
    """A file in the layout of SDAC's go15YYYYMMDD.fits (headers as in the archive's files)."""
    n = len(seconds)
    flux = np.array([[2e-7, 1e-9]] * n, np.float32) if flux is None else np.asarray(flux, np.float32)
    primary = fits.PrimaryHDU()
    primary.header.update({"TELESCOP": telescope, "ORIGIN": "SDAC/GSFC", "DATE-OBS": "07/06/2011"})
    edge = fits.BinTableHDU.from_columns([fits.Column("EDGES", "4E", "angstrom", dim="(2,2)",
                                                      array=np.array([edges], np.float32))], name="EDGES")
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", f"{n}D", "s", array=np.array([seconds])),
        fits.Column("FLUX", f"{flux.size}E", "W /m**2", dim=f"(2,{len(flux)})", array=flux.reshape(1, -1, 2))],
        name="FLUXES")
    table.header.update({"MJDREF": 43874, "TIMESYS": timesys, "TIMEUNIT": "s", "TIMEZERO": timezero})
    fits.HDUList([primary, edge, table]).writeto(path)
    return path


def test_sdac_goes_times_count_from_the_mjd_day_in_timezero_with_a_warning(tmp_path):
    path = sdac_goes(tmp_path / "go1520110607.fits")
    with pytest.warns(SpacehubWarning, match=r"TIMESYS 'MJD'.*TIMEZERO 55719 as the MJD day \(2011-06-07\)"):
        ds = spacehub.open_file(path)
    expected = (Time(55719, format="mjd", scale="utc") + TimeDelta([0.0, 2.048, 4.096, 6.144], format="sec"))
    assert np.array_equal(ds.time.values, expected.to_value("datetime64").astype("datetime64[ns]"))
    assert ds.time.attrs["time_origin"] == "MJD 55719.0 (UTC)"


def test_sdac_goes_channels_are_named_from_edges_with_no_data_as_nan(tmp_path):
    flux = [[1e-9, 2e-7], [-99999.0, 3e-7], [1e-9, -99999.0], [1e-9, 2e-7]]
    path = sdac_goes(tmp_path / "g.fits", flux=flux, edges=((0.5, 4.0), (1.0, 8.0)))  # columns swapped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpacehubWarning)
        ds = spacehub.open_file(path)
    np.testing.assert_array_equal(ds.b_flux.values, np.array([2e-7, 3e-7, np.nan, 2e-7], np.float32).astype(float))
    np.testing.assert_array_equal(ds.a_flux.values, np.array([1e-9, np.nan, 1e-9, 1e-9], np.float32).astype(float))
    assert ds.b_flux.attrs["units"] == "W/m2" and ds.b_flux.attrs["flux_convention"] == "swpc"
    assert ds.b_flux.attrs["swpc_scale_factor"] == 0.7 and ds.a_flux.attrs["swpc_scale_factor"] == 0.85


def test_sdac_files_of_goes_before_8_carry_no_swpc_scale(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpacehubWarning)
        ds = spacehub.open_file(sdac_goes(tmp_path / "go0619900101.fits", telescope="GOES 6"))
    assert "flux_convention" not in ds.b_flux.attrs and "flux_convention" not in ds.attrs


@pytest.mark.parametrize("change, message", [
    ({"flux": [[1e-7, 1e-9]] * 3}, "FLUX has shape"),
    ({"edges": ((1.0, 8.0), (1.0, 8.0))}, "expected the bands 1-8 and 0.5-4"),
    ({"edges": ((2.0, 9.0), (0.5, 4.0))}, "a band 2-9"),
    ({"timezero": "yesterday"}, "TIMESYS 'MJD' needs TIMEZERO"),
    ({"timezero": 1e9}, "TIMESYS 'MJD' needs TIMEZERO"),
    ({"timesys": "LOCALTIME"}, "not a time scale of the FITS standard"),
])
def test_a_broken_sdac_goes_file_is_refused_naming_it(tmp_path, change, message):
    path = sdac_goes(tmp_path / "broken.fits", **change)
    with pytest.raises(ReadError, match=message) as e, warnings.catch_warnings():
        warnings.simplefilter("ignore", SpacehubWarning)
        spacehub.open_file(path)
    assert "broken.fits" in str(e.value)
    if "FLUX" in message or "band" in message:
        assert isinstance(e.value, CorruptFile)


def test_the_2011_06_07_m2_5_flare_gets_its_swpc_class_from_the_sdac_file():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpacehubWarning)
        ds = spacehub.open_file(corpus_file("go1520110607.fits"))
    found = flares.detect_flares(ds)  # the scale comes from the file: SWPC's
    big = found[found.peak_flux_swpc_W_m2 >= 1e-5].iloc[0]
    assert (big.class_swpc, big.class_true) == ("M2.5", "M3.6")
    assert str(big.start) == "2011-06-07 06:16:00" and str(big.peak) == "2011-06-07 06:41:00"
    with pytest.raises(ValueError, match="says it is on the 'swpc' scale"):
        flares.detect_flares(ds, convention="science")


def test_rhessi_rates_decompress_as_ssw_does():
    table, step = [], 0
    for exponent in range(16):  # hsi_obs_summ_decompress.pro: 16 runs of 16 steps of 2**exponent
        table += [step + j * 2**exponent for j in range(16)]
        step = table[-1] + 2**exponent
    assert decompress_rhessi_rates(np.arange(256, dtype=np.uint8)).tolist() == table


def test_rhessi_summary_times_rates_bands_and_flags():
    with pytest.warns(SpacehubWarning, match="10 of the 21600 intervals"):
        ds = spacehub.open_file(corpus_file("hsi_obssumm_20120601_018_truncated.fits.gz"))
    assert str(ds.time.values[0]) == "2012-06-01T00:00:00.000000000" and ds.attrs["time_interval_s"] == 4.0
    assert np.all(np.diff(ds.time.values) == np.timedelta64(4, "s"))
    assert ds.energy_band.values.tolist()[:2] == ["3 - 6 keV", "6 - 12 keV"] and ds.sizes["energy_band"] == 9
    assert ds.countrate.attrs["units"] == "counts/s/detector"
    assert ds.flags.sel(flag="SAA_FLAG").dtype == np.uint8 and "ATTENUATOR_STATE" in ds.flag.values
    with pytest.warns(SpacehubWarning, match="the file was cut"):
        only = spacehub.open_file(corpus_file("hsi_obssumm_20120601_018_truncated.fits.gz"), ["countrate"])
    assert list(only.data_vars) == ["countrate"]


def test_a_stacked_rhessi_calibrated_event_list_is_refused_saying_what_it_is():
    with pytest.raises(ReadError, match="stacked in roll angle and phase.*2002-02-20T11:06:00.000 to "
                                        "2002-02-20T11:06:43.330.*no time series"):
        spacehub.open_file(corpus_file("hsi_calib_ev_20020220_1106_20020220_1106_25_40.fits"))
