"""The catalog's real remote routes, read from the real archives (opt-in: ``pytest -m network``).

A plain test run never gets here (no internet); these check that the routes the catalog carries
still work against CDAWeb's HAPI server and the SPDF/NCEI archives, through the same code paths the
offline tests exercise against local servers.
"""

import numpy as np
import pytest

import spacehub.catalog
from spacehub.data.cache import SharedCache

pytestmark = pytest.mark.network


@pytest.fixture(autouse=True)
def online(monkeypatch):
    monkeypatch.setenv("SPACEHUB_OFFLINE", "0")


@pytest.fixture
def cache(tmp_path):
    return SharedCache(tmp_path / "cache", allowed=spacehub.catalog.open().allows)  # the catalog's routes only


@pytest.mark.parametrize("dataset_id, variable", [("omni_hro_1min", "SYM_H"), ("ac_h0_mfi", "Magnitude")])
def test_cdaweb_hapi(dataset_id, variable):
    entry = spacehub.catalog.open()[dataset_id]
    ds = entry.read("2015-03-17T00:00", "2015-03-17T06:00", [variable], route="hapi")
    assert ds.time.size > 0 and np.isfinite(ds[variable].values).any()
    assert ds.attrs["provenance_route"].startswith("hapi:https://cdaweb.gsfc.nasa.gov/hapi")


def test_spdf_files_through_the_cache(cache):
    entry = spacehub.catalog.open().ac_h0_mfi
    ds = entry.read("2015-03-17T00:00", "2015-03-17T06:00", ["Magnitude"], route="files", cache=cache)
    assert ds.time.size == 6 * 3600 // 16
    again = entry.read("2015-03-17T00:00", "2015-03-17T06:00", ["Magnitude"], route="files", cache=cache)
    np.testing.assert_array_equal(ds.Magnitude.values, again.Magnitude.values)


def test_goes_xrs_from_ncei(cache):
    entry = spacehub.catalog.open().goes_xrs_flx1s
    ds = entry.read("2017-09-06T11:00", "2017-09-06T13:00", route="files", cache=cache)
    assert float(ds.xrsb_flux.max()) > 5e-4  # the X9.3 flare
