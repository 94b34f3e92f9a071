"""Cosmic-ray spectra: histogram kernel == np.histogram, flux, fits of synthetic and published spectra."""

from importlib.resources import files

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from spacehub.analysis._histogram import histogram_log
from spacehub.analysis.spectra import (
    bin_centres,
    e3_weighted,
    fit_broken_power_law,
    fit_power_law,
    flux_spectrum,
    histogram_events,
    log_edges,
    power_law,
    smoothly_broken_power_law,
)

DAMPE_CSV = files("spacehub.samples") / "published" / "dampe_2017_electron_positron_flux.csv"


def draw_events(rng, n, model, emin=10.0, emax=1e4):
    """Energies (GeV) drawn from the spectrum ``model(E)`` by inverting its tabulated CDF in log E."""
    log_e = np.linspace(np.log(emin), np.log(emax), 40001)
    density = model(np.exp(log_e)) * np.exp(log_e)  # dN/dlnE
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(log_e))])
    return np.exp(np.interp(rng.random(n), cdf / cdf[-1], log_e))


def spectrum_of(energies, edges):
    return flux_spectrum(histogram_events(energies, edges), edges, exposure_s=1.0, acceptance_m2sr=1.0)


# --- binning ---------------------------------------------------------------------------------

def test_log_edges_are_exact_decades():
    edges = log_edges(10.0, 1e4, 20)
    assert len(edges) == 61 and edges[0] == 10.0
    assert edges[-1] == pytest.approx(1e4, rel=1e-12)
    np.testing.assert_allclose(edges[20::20], [100.0, 1000.0, 1e4], rtol=1e-12)


@pytest.mark.parametrize("emin, emax", [(10.0, 10.0), (100.0, 10.0), (0.0, 10.0), (-1.0, 10.0)])
def test_log_edges_bad_range(emin, emax):
    with pytest.raises(ValueError, match="emin < emax"):
        log_edges(emin, emax, 10)


def edge_cases(edges, dtype, rng):
    """Random energies plus every edge, its float neighbours, NaN, ±inf, negative and out-of-range values."""
    e = edges.astype(dtype)
    near = np.concatenate([e, np.nextafter(e, dtype(0)), np.nextafter(e, dtype(np.inf))])
    bulk = (edges[0] / 2) * rng.random(200_000) ** -0.8 * rng.choice([1, 1, 1, -1], 200_000)
    odd = [np.nan, np.inf, -np.inf, 0.0, -0.0, edges[0] / 3, edges[-1] * 3]
    values = np.concatenate([bulk, near, odd]).astype(dtype)
    rng.shuffle(values)
    return values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("edges", [log_edges(25.0, 5000.0, 20), log_edges(1e-3, 1e6, 3),
                                   log_edges(1.0, 2.0, 500), np.array([0.3, 0.31, 1.0, 7.0, 1e3, 1.1e3])],
                         ids=["dampe", "wide", "narrow", "uneven"])
def test_kernel_equals_np_histogram(dtype, edges):
    rng = np.random.default_rng(7)
    values = edge_cases(edges, dtype, rng)
    counts, stats = histogram_log(values, edges)
    expected, _ = np.histogram(values, edges)
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() > 20_000 and np.all(counts > 0)  # the test data do fill the bins
    assert stats["nan"] == 1
    assert stats["below"] == np.sum(values < edges[0]) and stats["above"] == np.sum(values > edges[-1])
    assert stats["negative"] == np.sum(values < 0)


def test_kernel_at_edges_and_one_ulp_either_side():
    # exactly on an edge counts in the bin above it (the last edge in the last bin), as numpy does
    edges = log_edges(10.0, 1000.0, 10)
    for dtype in (np.float32, np.float64):
        e = edges.astype(dtype)
        for values in (e, np.nextafter(e, dtype(0)), np.nextafter(e, dtype(np.inf))):
            np.testing.assert_array_equal(histogram_log(values, edges)[0], np.histogram(values, edges)[0])
    counts, _ = histogram_log(edges, edges)
    np.testing.assert_array_equal(counts, [1] * 19 + [2])


def test_kernel_edges_finer_than_float32_and_bad_edges():
    # edges closer than a float32 ulp: still numpy's counts (the middle bin stays empty)
    values = np.float32(1.0) + np.arange(4, dtype=np.float32) * np.finfo(np.float32).eps
    edges = [1.0, 1.0 + 1e-9, 1.0 + 2e-9, 1.001]
    np.testing.assert_array_equal(histogram_log(values, edges)[0], np.histogram(values, edges)[0])
    with pytest.raises(ValueError, match="bins too narrow"):
        histogram_log(values, np.concatenate([[1e-30], np.geomspace(1.0, 2.0, 10**6)]))
    with pytest.raises(ValueError, match="positive, strictly increasing"):
        histogram_log(np.ones(3), [0.0, 1.0, 2.0])


def test_kernel_odd_lengths_and_other_dtypes():
    edges = log_edges(1.0, 100.0, 5)
    for n in (0, 1, 2, 3, 1001):
        values = np.geomspace(0.5, 200.0, n)
        np.testing.assert_array_equal(histogram_log(values, edges)[0], np.histogram(values, edges)[0])
    ints = np.arange(0, 150)
    np.testing.assert_array_equal(histogram_log(ints, edges)[0], np.histogram(ints, edges)[0])


def test_dask_and_xarray_paths_equal_numpy():
    rng = np.random.default_rng(3)
    energies = draw_events(rng, 300_013, lambda e: power_law(e, 1.0, 2.7)).astype(np.float32)
    energies[::997] = np.nan
    edges = log_edges(10.0, 1e4, 20)
    expected = histogram_events(energies, edges)
    lazy = histogram_events(da.from_array(energies, chunks=40_000), edges)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), expected)
    as_xr = xr.DataArray(da.from_array(energies.reshape(-1, 7), chunks=(5_000, 7)), dims=("event", "x"))
    np.testing.assert_array_equal(histogram_events(as_xr, edges).compute(), expected)
    np.testing.assert_array_equal(expected, np.histogram(energies, edges)[0])


def test_negative_energies_are_refused():
    edges = log_edges(10.0, 1e3, 10)
    bad = np.array([50.0, -3.0, 20.0])
    with pytest.raises(ValueError, match="1 negative event energies"):
        histogram_events(bad, edges)
    with pytest.raises(ValueError, match="negative event energies"):
        histogram_events(da.from_array(bad, chunks=2), edges).compute()


# --- flux -------------------------------------------------------------------------------------

def test_flux_known_answer_and_acceptance_forms():
    edges = np.array([10.0, 100.0, 1000.0])
    s = flux_spectrum([400, 9], edges, exposure_s=2.0, acceptance_m2sr=lambda e: 0.1 * np.ones_like(e))
    np.testing.assert_allclose(s.flux, [400 / (2 * 0.1 * 90), 9 / (2 * 0.1 * 900)])
    np.testing.assert_allclose(s.flux_err, [20 / (2 * 0.1 * 90), 3 / (2 * 0.1 * 900)])
    np.testing.assert_allclose(s.energy, [np.sqrt(1000), np.sqrt(1e5)])
    assert s.flux.attrs["units"] == "m-2 s-1 sr-1 GeV-1" and s.energy.attrs["units"] == "GeV"
    per_bin = flux_spectrum([400, 9], edges, exposure_s=2.0, acceptance_m2sr=[0.1, 0.2])
    assert per_bin.flux[1] == pytest.approx(s.flux[1] / 2)
    weighted = e3_weighted(s)
    np.testing.assert_allclose(weighted.e3_flux, s.flux * s.energy**3)


@pytest.mark.parametrize("kwargs, match", [
    ({"exposure_s": 0.0, "acceptance_m2sr": 1.0}, "exposure_s"),
    ({"exposure_s": 1.0, "acceptance_m2sr": [1.0, 0.0]}, "acceptance_m2sr"),
    ({"exposure_s": 1.0, "acceptance_m2sr": 1.0, "centres": "lafferty_wyatt"}, "spectral index"),
])
def test_flux_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        flux_spectrum([1, 2], [1.0, 10.0, 100.0], **kwargs)


def test_lafferty_wyatt_centre_is_where_the_power_law_equals_its_bin_mean():
    edges = log_edges(10.0, 1e4, 4)
    for gamma in (1.0, 2.7, 3.5):
        centre = bin_centres(edges, "lafferty_wyatt", spectral_index=gamma)
        lo, hi = edges[:-1], edges[1:]
        grid = np.geomspace(lo, hi, 20001)
        mean = np.trapezoid(grid ** -gamma, grid, axis=0) / (hi - lo)
        np.testing.assert_allclose(centre ** -gamma, mean, rtol=1e-6)
        assert np.all((centre > lo) & (centre < hi))


# --- fits of synthetic events -----------------------------------------------------------------

def test_power_law_index_recovered_from_events():
    rng = np.random.default_rng(11)
    energies = draw_events(rng, 1_000_000, lambda e: power_law(e, 1.0, 2.7), emin=10.0, emax=1e4)
    edges = log_edges(10.0, 1e4, 10)
    spectrum = flux_spectrum(histogram_events(energies, edges), edges, exposure_s=1.0, acceptance_m2sr=1.0,
                             centres="lafferty_wyatt", spectral_index=2.7)
    fit = fit_power_law(spectrum, energy_range=(10.0, 2000.0))
    # the error expected for 1e6 events with γ = 2.7 is (γ−1)/√N ≈ 0.0017
    assert 0.001 < fit.errors["gamma"] < 0.003
    assert abs(fit.params["gamma"] - 2.7) < 3 * fit.errors["gamma"]
    assert 0.5 < fit.chi2_ndf < 2.0


def test_broken_power_law_recovered_from_events():
    truth = {"phi0": 1.0, "gamma1": 2.2, "gamma2": 3.2, "e_break_GeV": 300.0, "delta": 0.1}
    rng = np.random.default_rng(2017)
    energies = draw_events(rng, 2_000_000, lambda e: smoothly_broken_power_law(e, **truth))
    spectrum = spectrum_of(energies, log_edges(10.0, 1e4, 20))
    fit = fit_broken_power_law(spectrum, energy_range=(10.0, 3000.0))
    for name in ("gamma1", "gamma2", "e_break_GeV"):
        assert abs(fit.params[name] - truth[name]) < 3 * fit.errors[name], (name, fit)
    # and the errors are those ~34,000 events above the break allow, not loose
    assert fit.errors["gamma2"] < 0.05 and fit.errors["e_break_GeV"] < 30 and fit.errors["gamma1"] < 0.005
    assert fit.params["delta"] == 0.1 and fit.errors["delta"] == 0.0 and fit.free == BROKEN_FREE
    assert "e_break_GeV" in repr(fit) and "(fixed)" in repr(fit)
    np.testing.assert_allclose(fit(spectrum.energy.values[:3]), spectrum.flux.values[:3], rtol=0.05)


BROKEN_FREE = ("phi0", "gamma1", "gamma2", "e_break_GeV")


# --- the published DAMPE fit ------------------------------------------------------------------

def test_dampe_2017_published_broken_power_law():
    """Ambrosi et al. 2017 (Nature 552, 63): Δ = 0.1 fixed, 55 GeV–2.63 TeV, stat ⊕ sys errors.

    Published: γ1 = 3.09 ± 0.01, E_b = 914 ± 98 GeV, γ2 = 3.92 ± 0.20, Φ0 = (1.62 ± 0.01)e-4.
    The table rounds fluxes to 3 and errors to 1-2 significant digits, so the refit cannot be exact:
    values must agree within a third of the published error (γ1 to its last published digit) and
    the errors within 15 %.
    """
    points = pd.read_csv(DAMPE_CSV, comment="#")
    fit = fit_broken_power_law(points.E_GeV, points.flux, points.stat_err, points.sys_err,
                               energy_range=(55.0, 2630.0), fix={"delta": 0.1})
    assert fit.n_points == 28 and fit.ndf == 24
    assert fit.params["e_break_GeV"] == pytest.approx(914, abs=33)
    assert fit.errors["e_break_GeV"] == pytest.approx(98, rel=0.15)
    assert fit.params["gamma1"] == pytest.approx(3.09, abs=0.01)
    assert fit.params["gamma2"] == pytest.approx(3.92, abs=0.07)
    assert fit.errors["gamma2"] == pytest.approx(0.20, rel=0.15)
    assert fit.params["phi0"] == pytest.approx(1.62e-4, abs=0.01e-4)
    assert fit.chi2_ndf < 1.5
    # and a single power law is clearly worse over the same points: the break is real
    single = fit_power_law(points.E_GeV, points.flux, points.stat_err, points.sys_err, energy_range=(55.0, 2630.0))
    assert single.chi2 - fit.chi2 > 25


# --- bad input to fits ------------------------------------------------------------------------

def test_fit_bad_input():
    e = np.geomspace(10, 1000, 10)
    f = power_law(e, 1e-3, 2.7)
    with pytest.raises(ValueError, match="1 points .* needs at least 2"):
        fit_power_law(e, f, 0.1 * f, energy_range=(9.0, 11.0))
    with pytest.raises(ValueError, match="0 points"):
        fit_broken_power_law(e, f, 0.1 * f, energy_range=(2000.0, 3000.0))
    with pytest.raises(ValueError, match="low < high"):
        fit_power_law(e, f, 0.1 * f, energy_range=(100.0, 10.0))
    with pytest.raises(ValueError, match="positive errors"):
        fit_power_law(e, f, np.where(e > 500, 0.0, 0.1 * f))
    with pytest.raises(ValueError, match="cannot fix"):
        fit_power_law(e, f, 0.1 * f, fix={"gamma1": 2.0})
    with pytest.raises(ValueError, match="did not converge"):
        fit_broken_power_law(e, f * (1 + 0.3 * np.sin(e)), 0.01 * f, max_nfev=3)


def test_fit_refuses_unconstrained_parameters():
    # every point far below the break: γ2 and E_b are not constrained by these data
    e = np.geomspace(10, 20, 8)
    f = power_law(e, 1e-3, 2.7)
    with pytest.raises(ValueError, match="do not constrain"):
        fit_broken_power_law(e, f, 0.01 * f, p0={"phi0": 1e-3, "gamma1": 2.7, "gamma2": 3.5, "e_break_GeV": 1e5})


# --- Poisson likelihood -------------------------------------------------------------------------

def poisson_spectrum(rng, edges, model, exposure_s):
    """A flux_spectrum of Poisson counts around ``model`` integrated exactly over each bin."""
    from scipy.integrate import quad

    expected = np.array([quad(model, lo, hi)[0] for lo, hi in zip(edges[:-1], edges[1:])]) * exposure_s
    return flux_spectrum(rng.poisson(expected), edges, exposure_s=exposure_s, acceptance_m2sr=1.0), expected


def test_poisson_fit_is_unbiased_where_counts_are_few():
    """3,000 events over three decades, most high-energy bins empty: the Poisson fit's pulls are
    standard normal, while Neyman's chi2 (sqrt(N) errors) on the same counts is biased."""
    rng = np.random.default_rng(5)
    edges = log_edges(10.0, 1e4, 10)
    model = lambda e: power_law(e, 1.0, 2.7)  # noqa: E731
    exposure = 3000 / (1.0 * 100.0 ** 2.7 * 10.0 ** -1.7 / 1.7)  # ~3,000 events above 10 GeV
    pulls, neyman = [], []
    for _ in range(200):
        spectrum, expected = poisson_spectrum(rng, edges, model, exposure)
        fit = fit_power_law(spectrum, statistic="poisson")
        assert fit.statistic == "poisson" and fit.ndf == 30 - 2
        pulls.append((fit.params["gamma"] - 2.7) / fit.errors["gamma"])
        seen = spectrum.counts.values > 0
        top = spectrum.energy.values[np.argmin(seen)] if not seen.all() else 1e4  # below the first empty bin
        neyman.append((fit_power_law(spectrum, energy_range=(10.0, 0.99 * top)).params["gamma"] - 2.7)
                      / fit.errors["gamma"])
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 0.2 and 0.8 < pulls.std() < 1.2, (pulls.mean(), pulls.std())
    assert np.sum(np.abs(pulls) > 3) <= 2
    assert abs(np.mean(neyman)) > 3 * abs(pulls.mean()) + 0.3  # the bias the Poisson fit removes
    assert expected[-1] < 0.02  # the top bins really are nearly empty


def test_poisson_broken_power_law_and_deviance():
    truth = {"phi0": 1.0, "gamma1": 2.2, "gamma2": 3.2, "e_break_GeV": 300.0, "delta": 0.1}
    rng = np.random.default_rng(9)
    edges = log_edges(10.0, 1e4, 20)
    spectrum, _ = poisson_spectrum(rng, edges, lambda e: smoothly_broken_power_law(e, **truth), 4e4)
    fit = fit_broken_power_law(spectrum, statistic="poisson")
    for name in ("gamma1", "gamma2", "e_break_GeV"):
        assert abs(fit.params[name] - truth[name]) < 3 * fit.errors[name], (name, fit)
    assert 0.5 < fit.chi2_ndf < 1.6  # the deviance of a good fit is about ndf
    assert "deviance/ndf" in repr(fit)


def test_bin_integrals_are_exact_for_power_laws():
    from spacehub.analysis.spectra import _bin_integrals

    lo, hi = np.array([10.0, 100.0]), np.array([10 ** 1.5, 1000.0])
    exact = (lo ** -1.7 - hi ** -1.7) / 1.7 * 100.0 ** 2.7
    np.testing.assert_allclose(_bin_integrals(power_law, {"phi0": 1.0, "gamma": 2.7}, lo, hi, 100.0), exact,
                               rtol=1e-10)


def test_poisson_fit_bad_input():
    spectrum = flux_spectrum([5, 3, 0], [10.0, 20.0, 40.0, 80.0], exposure_s=1.0, acceptance_m2sr=1.0)
    with pytest.raises(ValueError, match="pass the Dataset of flux_spectrum"):
        fit_power_law(spectrum.energy.values, spectrum.flux.values, spectrum.flux_err.values, statistic="poisson")
    with pytest.raises(ValueError, match="leave out sys_err"):
        fit_power_law(spectrum, sys_err=0.1, statistic="poisson")
    with pytest.raises(ValueError, match="statistic must be"):
        fit_power_law(spectrum, statistic="cash")
    with pytest.raises(ValueError, match="no events"):
        fit_power_law(spectrum, energy_range=(50.0, 80.0), statistic="poisson")


def test_broken_power_law_indices_are_labelled_below_and_above_the_break():
    """With Δ > 0, (γ1, γ2) and (γ2, γ1) with another Φ0 are the same curve: the fit reports the form
    whose γ1 is the index below the break, whichever it found first."""
    e = np.geomspace(10, 5000, 30)
    truth = smoothly_broken_power_law(e, 1.0, 2.2, 3.2, 300.0, 0.1)
    mirror = {"phi0": 1.0 * (300.0 / 100.0) ** 1.0, "gamma1": 3.2, "gamma2": 2.2, "e_break_GeV": 300.0, "delta": 0.1}
    np.testing.assert_allclose(smoothly_broken_power_law(e, **mirror), truth, rtol=1e-12)
    fit = fit_broken_power_law(e, truth, 0.01 * truth, p0=mirror)
    assert fit.params["gamma1"] == pytest.approx(2.2) and fit.params["gamma2"] == pytest.approx(3.2)
    assert fit.params["phi0"] == pytest.approx(1.0)
