"""Every transit signal of a light curve: multi-planet systems found planet by planet, single transits
found and never merged into a false period, periodic detections carried by one event flagged, the
longest period a light curve takes; on synthetic Kepler-like curves and on a real TESS light curve of
TOI-216 (two giant planets, one transit of each in sector 1)."""

import re

import numpy as np
import pytest
from corpus import cache_dir, manifest

from spacehub.analysis import transits as tr
from spacehub.samples.lightcurves import kepler_like_lightcurve, transit_shape

YEAR = dict(years=1.0, ingress_fraction=0.1)
DURATIONS = np.array([1.5, 2, 3, 4.5, 6, 9]) / 24
SEARCH = dict(min_period_days=1.0, max_period_days=40.0, durations_days=DURATIONS)


def with_transits(lc, *planets):
    """The light curve with more transits: (period or None for a single transit, t0, duration, depth ppm)."""
    t = lc.time.values
    shape = sum(depth * 1e-6 * transit_shape(t, period or 1e6, t0, duration, 0.1)
                for period, t0, duration, depth in planets)
    return t, tr.detrend(t, lc.flux.values * (1 - shape), lc.quality.values, window_days=1.0)[0]


def test_multi_planet_system_found_planet_by_planet():
    lc = kepler_like_lightcurve(21, noise_ppm=150, **YEAR)
    planets = [(5.3127, 133.1, 0.12, 600), (13.71, 140.2, 0.18, 900), (None, 301.4, 0.35, 4000)]
    t, flux = with_transits(lc, *planets)
    found = tr.search_signals(t, flux, **SEARCH)
    assert sorted(found.kind) == ["periodic", "periodic", "single"]
    assert found.snr.min() >= tr.KEPLER_THRESHOLD_SNR
    periodic = found[found.kind == "periodic"].sort_values("period_days")
    for (_, row), (period, t0, duration, depth) in zip(periodic.iterrows(), planets[:2]):
        assert row.period_days == pytest.approx(period, rel=1e-3)
        assert abs(tr.fold(row.t0_days, period, t0)) < duration / 4
        assert row.depth_ppm == pytest.approx(depth, abs=max(3 * row.depth_err_ppm, 0.2 * depth))
        assert not row.carried_by_one_event and row.max_event_fraction < 0.2
    single = found[found.kind == "single"].iloc[0]
    assert single.t0_days == pytest.approx(301.4, abs=0.35 / 4)
    assert single.depth_ppm == pytest.approx(4000, rel=0.2)
    assert single.duration_days == pytest.approx(0.35, rel=0.3)


def test_two_single_transits_of_different_planets_do_not_merge():
    """A 0.5 % 3-h and a 1.5 % 8-h transit 37.3 d apart: the periodic search alone reports a 37.3-d
    period; search_signals reports the two single transits and no period."""
    lc = kepler_like_lightcurve(22, noise_ppm=200, **YEAR)
    t, flux = with_transits(lc, (None, 200.0, 0.125, 5000), (None, 237.3, 0.33, 15000))
    merged = tr.bls_search(t, flux, **SEARCH)
    assert merged.period_days == pytest.approx(37.3, rel=1e-2)  # the trap
    stats = tr.event_stats(t, flux, period_days=merged.period_days, t0_days=merged.t0_days,
                           duration_days=merged.duration_days)
    assert stats["carried_by_one_event"] and stats["depths_p_value"] < 1e-6
    found = tr.search_signals(t, flux, **SEARCH)
    assert found.kind.tolist() == ["single", "single"]
    assert sorted(found.t0_days.round(1)) == [200.0, 237.3]
    deep, shallow = found.sort_values("depth_ppm", ascending=False).itertuples()
    assert deep.depth_ppm == pytest.approx(15000, rel=0.15) and shallow.depth_ppm == pytest.approx(5000, rel=0.2)


def test_one_deep_event_flags_a_periodic_detection():
    """A weak periodic planet (SNR ~ 6) and one deep dip: the best period's signal is 80 % one event."""
    lc = kepler_like_lightcurve(23, noise_ppm=200, **YEAR)
    t, flux = with_transits(lc, (7.77, 135.0, 0.15, 150), (None, 251.0, 0.2, 3000))
    best = tr.bls_search(t, flux, **SEARCH)
    stats = tr.event_stats(t, flux, period_days=best.period_days, t0_days=best.t0_days,
                           duration_days=best.duration_days)
    assert stats["carried_by_one_event"] and stats["max_event_fraction"] > 0.5
    found = tr.search_signals(t, flux, **SEARCH)
    assert found.kind.iloc[0] == "single" and found.t0_days.iloc[0] == pytest.approx(251.0, abs=0.05)
    assert (found.kind == "periodic").sum() == 0 or not found[found.kind == "periodic"].carried_by_one_event.any()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_nothing_found_in_noise(seed):
    lc = kepler_like_lightcurve(seed, years=0.5, ingress_fraction=0.01)
    flux = tr.detrend(lc.time, lc.flux, lc.quality, window_days=1.0)[0]
    assert tr.search_signals(lc.time.values, flux, **{**SEARCH, "max_period_days": 10.0}).empty
    assert tr.single_event_search(lc.time.values, flux, durations_days=DURATIONS).snr < tr.KEPLER_THRESHOLD_SNR


@pytest.mark.parametrize("span", [277.95, 278.9, 57.3, 1459.49, 30.0001])
def test_longest_period_suggested_is_accepted(span):
    """The refusal names a longest period that bls_search then takes (was: 277.95 d suggested 139)."""
    t = np.arange(0, span, 0.02)
    flux = 1 + 1e-4 * np.random.default_rng(0).standard_normal(t.size)
    with pytest.raises(ValueError, match="lower max_period_days") as refused:
        tr.bls_search(t, flux, min_period_days=1.0, max_period_days=span / 2 + 0.01)
    suggested = float(re.search(r"<= ([0-9.e+]+)", str(refused.value)).group(1))
    assert span / 2 - suggested < 1e-3 * span
    found = tr.bls_search(t, flux, min_period_days=1.0, max_period_days=suggested)
    assert found.periods_days.max() == pytest.approx(suggested, rel=0.01)  # the last band ends a bin or so past it


# TOI-216 (TIC 55652896), TESS sector 1, 2-min PDCSAP light curve: in the real-file corpus (tests/corpus.toml,
# from the eleanor package's source distribution)
TOI216_FILE = "hlsp_tess-data-alerts_tess_phot_00055652896-s01_tess_v1_lc.fits"


@pytest.fixture(scope="module")
def toi216():
    """(time BTJD, quality-masked PDCSAP flux, quality) of TOI-216 in sector 1."""
    path = next(f.path for f in manifest()[1] if f.name == TOI216_FILE)
    if not path.exists():
        pytest.skip(f"the real-file corpus is not in {cache_dir()}: run `make corpus` (downloads it once)")
    from astropy.io import fits

    with fits.open(path) as hdul:
        d = hdul[1].data
        t, flux, quality = (np.asarray(d[c]).astype(float) for c in ("TIME", "PDCSAP_FLUX", "QUALITY"))
    keep = np.isfinite(t)
    return t[keep], flux[keep], quality[keep].astype(int)


def test_toi216_two_planets_one_transit_each(toi216):
    """NASA Exoplanet Archive: TOI-216 c (P 34.55 d, Rp ~ 10 R_earth) transits at BTJD ~1331.29 and
    TOI-216 b (P 17.10 d, grazing, ~8 R_earth) at ~1342.43 (its transit at 1325.33 falls in the first
    hours of the sector, cut by the detrending). The periodic search alone merges them into a false
    8.5-d period; search_signals reports two single transits, c the deeper and longer."""
    t, flux, quality = toi216
    flux_rel = tr.detrend(t, flux, quality, window_days=1.0)[0]
    durations = np.array([1, 1.5, 2, 3, 4.5, 6]) / 24
    alone = tr.bls_search(t, flux_rel, min_period_days=0.5, max_period_days=13.8, durations_days=durations)
    assert alone.snr > 7.1 and abs(alone.period_days - 17.097) > 1 and abs(alone.period_days - 34.55) > 1
    found = tr.search_signals(t, flux_rel, min_period_days=0.5, max_period_days=20, durations_days=durations)
    assert found.kind.tolist() == ["single", "single"]
    c, b = found.itertuples()
    assert c.t0_days == pytest.approx(1331.285, abs=0.01) and b.t0_days == pytest.approx(1342.43, abs=0.01)
    assert c.depth_ppm == pytest.approx(12800, rel=0.1) and c.snr > 30
    assert b.depth_ppm == pytest.approx(4900, rel=0.25) and b.snr > 7.1
    assert c.duration_days * 24 == pytest.approx(5.8, abs=1) and b.duration_days < c.duration_days / 2
