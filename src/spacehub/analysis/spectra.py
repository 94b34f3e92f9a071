"""Cosmic-ray energy spectra from event lists: log-binned counts, flux, power-law fits.

Energies are in GeV throughout; flux is ``dN/dE`` in m⁻² s⁻¹ sr⁻¹ GeV⁻¹. The usual path is::

    edges = log_edges(25.0, 5000.0, bins_per_decade=20)
    counts = histogram_events(energies_GeV, edges)            # numpy, xarray or dask (lazy)
    spectrum = flux_spectrum(counts, edges, exposure_s=live_time_s, acceptance_m2sr=0.3)
    fit = fit_broken_power_law(spectrum, energy_range=(55.0, 2630.0))

Counting uses a compiled histogram kernel (:mod:`spacehub.analysis._histogram`) whose counts equal
``np.histogram``'s exactly; a dask array is counted chunk by chunk on the workers and only the
per-chunk counts travel. The broken power law is the smoothly broken form of DAMPE
(Ambrosi et al. 2017, Nature 552, 63, eq. 1)::

    Φ(E) = Φ0 (E/E0)^(−γ1) [1 + (E/E_b)^((γ2−γ1)/Δ)]^(−Δ)

Fits minimise χ² with the given (absolute) errors, statistical and systematic added in quadrature
(``statistic="chi2"``, for published flux points), or, for counts of one's own events, the Poisson
deviance ``2 Σ [μ − n + n ln(n/μ)]`` with μ the model integrated over each bin times exposure and
acceptance (``statistic="poisson"``; Cash 1979, ApJ 228, 939). √N errors (Neyman's χ²) bias steep
spectra low where counts are few, and bins with no events carry information a χ² cannot use.
Parameter uncertainties are the square roots of the diagonal of the covariance matrix (J^T J)⁻¹,
not rescaled by χ²/ndf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.optimize import least_squares
from scipy.special import xlogy

from ._histogram import histogram_log

FLUX_UNITS = "m-2 s-1 sr-1 GeV-1"
POWER_LAW = ("phi0", "gamma")
BROKEN_POWER_LAW = ("phi0", "gamma1", "gamma2", "e_break_GeV", "delta")
# parameters fitted as logarithms: positive, and closer to linear in χ²
_LOG_PARAMS = {"phi0", "e_break_GeV"}


def log_edges(emin: float, emax: float, bins_per_decade: int) -> np.ndarray:
    """Bin edges ``emin · 10^(i / bins_per_decade)`` up to the first one at or above ``emax``.

    Parameters
    ----------
    emin, emax : float
        Energy range in GeV, ``0 < emin < emax``.
    bins_per_decade : int
        Bins per factor of ten in energy.

    Examples
    --------
    >>> log_edges(10.0, 1000.0, 2).round(3).tolist()
    [10.0, 31.623, 100.0, 316.228, 1000.0]
    """
    if not (np.isfinite(emin) and np.isfinite(emax) and 0 < emin < emax):
        raise ValueError(f"need 0 < emin < emax (GeV), got emin={emin}, emax={emax}")
    if not bins_per_decade > 0:
        raise ValueError(f"bins_per_decade must be positive, got {bins_per_decade}")
    # the small tolerance keeps emax itself as the last edge when it lies on the grid
    n_bins = max(1, int(np.ceil(np.log10(emax / emin) * bins_per_decade - 1e-9)))
    return emin * 10.0 ** (np.arange(n_bins + 1) / bins_per_decade)


def _block_counts(block: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts, stats = histogram_log(block, edges)
    if stats["negative"]:
        raise ValueError(f"{stats['negative']} negative event energies: energies must be >= 0 GeV "
                         "(check the energy column and its fill values)")
    return counts


def histogram_events(energies, edges: np.ndarray):
    """Counts of event energies in the bins ``edges`` (equal to ``np.histogram``'s counts).

    NaN and energies outside ``[edges[0], edges[-1]]`` are not counted; the last bin is closed.

    Parameters
    ----------
    energies : numpy.ndarray, dask.array.Array or xarray.DataArray
        Event energies in GeV (float32 or float64), any shape. A dask array (or a DataArray
        backed by one) is counted chunk by chunk and never loaded whole.
    edges : numpy.ndarray
        Increasing, positive bin edges in GeV, e.g. from :func:`log_edges`.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        int64 counts per bin; lazy (call ``.compute()``) for dask input.

    Examples
    --------
    >>> histogram_events(np.array([12.0, 50.0, 150.0, np.nan]), log_edges(10.0, 1000.0, 1))
    array([2, 1])
    """
    import dask.array as da

    edges = np.asarray(edges, dtype=np.float64)
    data = energies.data if isinstance(energies, xr.DataArray) else energies
    if isinstance(data, da.Array):
        flat = data.reshape(-1)
        per_block = flat.map_blocks(lambda b: _block_counts(b, edges)[None, :], dtype=np.int64,
                                    chunks=((1,) * flat.numblocks[0], (len(edges) - 1,)), new_axis=1)
        return per_block.sum(axis=0)
    return _block_counts(np.asarray(data), edges)


def bin_centres(edges: np.ndarray, method: str = "geometric", spectral_index: float | None = None) -> np.ndarray:
    """Representative energy of each bin.

    Parameters
    ----------
    edges : numpy.ndarray
        Bin edges in GeV.
    method : {"geometric", "lafferty_wyatt"}
        ``geometric``: √(E_lo E_hi). ``lafferty_wyatt``: the energy at which a power law
        E^(−spectral_index) equals its mean over the bin (Lafferty & Wyatt 1995, NIM A 355, 541),
        which puts the point on the true spectrum for that index.
    spectral_index : float, optional
        γ of the assumed power law; required for ``lafferty_wyatt``.

    Examples
    --------
    >>> bin_centres(np.array([10.0, 1000.0]))
    array([100.])
    >>> bin_centres(np.array([10.0, 1000.0]), "lafferty_wyatt", spectral_index=3.0).round(2)
    array([58.29])
    """
    lo, hi = np.asarray(edges[:-1], dtype=float), np.asarray(edges[1:], dtype=float)
    if method == "geometric":
        return np.sqrt(lo * hi)
    if method != "lafferty_wyatt":
        raise ValueError(f"method must be 'geometric' or 'lafferty_wyatt', got {method!r}")
    if spectral_index is None or spectral_index <= 0:
        raise ValueError("lafferty_wyatt centres need the spectral index, e.g. spectral_index=3.0")
    g = float(spectral_index)
    if np.isclose(g, 1.0):
        mean = np.log(hi / lo) / (hi - lo)
    else:
        mean = (hi ** (1 - g) - lo ** (1 - g)) / ((1 - g) * (hi - lo))
    return mean ** (-1.0 / g)


def flux_spectrum(counts, edges: np.ndarray, exposure_s: float,
                  acceptance_m2sr: float | np.ndarray | Callable[[np.ndarray], np.ndarray],
                  centres: str = "geometric", spectral_index: float | None = None) -> xr.Dataset:
    """Differential flux ``dN/dE = N / (T · A · ΔE)`` with Poisson errors.

    Parameters
    ----------
    counts : array_like
        Events per bin (a dask array is computed).
    edges : numpy.ndarray
        Bin edges in GeV.
    exposure_s : float
        Live time in seconds.
    acceptance_m2sr : float, array or callable
        Acceptance in m² sr: one value, one per bin, or a function of energy (GeV) evaluated at
        the bin centres.
    centres, spectral_index
        How bin energies are placed, see :func:`bin_centres` (default geometric).

    Returns
    -------
    xarray.Dataset
        ``counts``, ``flux`` and ``flux_err`` (√N, statistical) along ``energy`` (bin centre, GeV),
        with coordinates ``energy_low`` and ``energy_high``; units in attrs.

    Examples
    --------
    >>> s = flux_spectrum([100, 25], [10.0, 100.0, 1000.0], exposure_s=1e3, acceptance_m2sr=0.5)
    >>> float(s.flux[0]), float(s.flux_err[0])
    (0.00222..., 0.000222...)
    """
    edges = np.asarray(edges, dtype=float)
    counts = np.asarray(counts)
    if counts.shape != (len(edges) - 1,):
        raise ValueError(f"{counts.shape[0] if counts.ndim else 0} counts for {len(edges) - 1} bins")
    if not exposure_s > 0:
        raise ValueError(f"exposure_s (live time) must be positive, got {exposure_s}")
    energy = bin_centres(edges, centres, spectral_index)
    acceptance = acceptance_m2sr(energy) if callable(acceptance_m2sr) else acceptance_m2sr
    acceptance = np.broadcast_to(np.asarray(acceptance, dtype=float), energy.shape)
    if not np.all(acceptance > 0):
        raise ValueError("acceptance_m2sr must be positive in every bin")
    scale = 1.0 / (exposure_s * acceptance * np.diff(edges))
    coords = {"energy": ("energy", energy, {"units": "GeV", "centres": centres}),
              "energy_low": ("energy", edges[:-1], {"units": "GeV"}),
              "energy_high": ("energy", edges[1:], {"units": "GeV"})}
    return xr.Dataset(
        {"counts": ("energy", counts, {"units": "1"}),
         "flux": ("energy", counts * scale, {"units": FLUX_UNITS, "long_name": "dN/dE"}),
         "flux_err": ("energy", np.sqrt(counts) * scale, {"units": FLUX_UNITS, "long_name": "Poisson (√N) error"}),
         "acceptance": ("energy", acceptance, {"units": "m2 sr"})},
        coords=coords, attrs={"exposure_s": float(exposure_s)},
    )


def e3_weighted(spectrum: xr.Dataset) -> xr.Dataset:
    """``E³ · flux`` and its error (GeV² m⁻² s⁻¹ sr⁻¹), the usual way to plot steep cosmic-ray spectra.

    Examples
    --------
    >>> s = flux_spectrum([100, 25], [10.0, 100.0, 1000.0], exposure_s=1e3, acceptance_m2sr=0.5)
    >>> e3_weighted(s).e3_flux.attrs["units"]
    'GeV2 m-2 s-1 sr-1'
    """
    weight = spectrum.energy**3
    units = "GeV2 m-2 s-1 sr-1"
    return xr.Dataset({"e3_flux": (spectrum.flux * weight).assign_attrs(units=units),
                       "e3_flux_err": (spectrum.flux_err * weight).assign_attrs(units=units)})


def power_law(energy, phi0: float, gamma: float, e0_GeV: float = 100.0):
    """Φ0 (E/E0)^(−γ).

    Examples
    --------
    >>> float(power_law(200.0, 1e-4, 3.0))
    1.25e-05
    """
    return phi0 * (np.asarray(energy) / e0_GeV) ** (-gamma)


def smoothly_broken_power_law(energy, phi0: float, gamma1: float, gamma2: float, e_break_GeV: float,
                              delta: float, e0_GeV: float = 100.0):
    """Φ0 (E/E0)^(−γ1) [1 + (E/E_b)^((γ2−γ1)/Δ)]^(−Δ), the DAMPE 2017 form.

    Examples
    --------
    >>> float(smoothly_broken_power_law(914.0, 1.62e-4, 3.09, 3.92, 914.0, 0.1) / power_law(914.0, 1.62e-4, 3.09))
    0.933...
    """
    log_e = np.log(np.asarray(energy) / e_break_GeV)
    # log(1 + x^s) as logaddexp keeps large exponents finite
    smooth = -delta * np.logaddexp(0.0, (gamma2 - gamma1) / delta * log_e)
    return power_law(energy, phi0, gamma1, e0_GeV) * np.exp(smooth)


@dataclass(frozen=True)
class SpectralFit:
    """Result of a spectral fit: best values, 1σ errors, covariance, χ²/ndf.

    ``params`` and ``errors`` hold every parameter (fixed ones with error 0); ``covariance`` is that
    of the ``free`` parameters, in that order. Call the result with energies (GeV) to evaluate the
    fitted model.
    """

    model: str
    params: dict[str, float]
    errors: dict[str, float]
    covariance: np.ndarray = field(repr=False)
    free: tuple[str, ...]
    chi2: float
    ndf: int
    e0_GeV: float
    energy_range_GeV: tuple[float, float]
    n_points: int
    statistic: str = "chi2"  #: "chi2", or "poisson": then ``chi2`` holds the Poisson deviance

    def __call__(self, energy):
        function = power_law if self.model == "power_law" else smoothly_broken_power_law
        return function(energy, **self.params, e0_GeV=self.e0_GeV)

    @property
    def chi2_ndf(self) -> float:
        return self.chi2 / self.ndf if self.ndf else float("nan")

    def __repr__(self) -> str:
        lo, hi = self.energy_range_GeV
        what = "chi2" if self.statistic == "chi2" else "deviance"
        lines = [f"SpectralFit({self.model}, {self.n_points} {'points' if what == 'chi2' else 'bins'} {lo:g}-{hi:g} "
                 f"GeV, E0 = {self.e0_GeV:g} GeV, {what}/ndf = {self.chi2:.2f}/{self.ndf})"]
        for name, value in self.params.items():
            err = f"± {self.errors[name]:.3g}" if name in self.free else "(fixed)"
            lines.append(f"  {name:12s} = {value:.4g} {err}")
        return "\n".join(lines)


def _points(spectrum, flux, stat_err, sys_err, energy_range):
    if isinstance(spectrum, xr.Dataset):
        energy, flux, stat_err = spectrum.energy.values, spectrum.flux.values, spectrum.flux_err.values
    else:
        energy = spectrum
    energy, flux, stat_err = (np.asarray(a, dtype=float) for a in (energy, flux, stat_err))
    err = np.hypot(stat_err, 0.0 if sys_err is None else np.asarray(sys_err, dtype=float))
    if energy_range is None:
        lo, hi = energy.min(), energy.max()
    else:
        lo, hi = energy_range
        if not lo < hi:
            raise ValueError(f"energy_range must be (low, high) in GeV with low < high, got {energy_range}")
    keep = (energy >= lo) & (energy <= hi)
    if not np.all(np.isfinite(flux[keep]) & (err[keep] > 0)):
        raise ValueError(f"the points in {lo:g}-{hi:g} GeV need finite flux and positive errors; bins without "
                         "events have zero Poisson error: narrow the energy range or use wider bins")
    return energy[keep], flux[keep], err[keep], (float(lo), float(hi))


_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(8)


def _bin_integrals(function, params: dict, lo: np.ndarray, hi: np.ndarray, e0_GeV: float) -> np.ndarray:
    """∫ model dE over each bin [lo, hi] (GeV): 8-point Gauss-Legendre in ln E, exact to ~1e-12
    for power laws over bins narrower than a decade."""
    a, b = np.log(lo), np.log(hi)
    half = (b - a) / 2
    energy = np.exp((a + b)[:, None] / 2 + half[:, None] * _GAUSS_X)
    return np.sum(_GAUSS_W * function(energy, **params, e0_GeV=e0_GeV) * energy, axis=1) * half


def _poisson_bins(spectrum, sys_err, energy_range):
    """(mask, counts, lo, hi, exposure × acceptance, energy range) of the bins of a flux_spectrum
    inside ``energy_range`` (by bin centre), for the Poisson fit."""
    if not isinstance(spectrum, xr.Dataset) or "counts" not in spectrum or "exposure_s" not in spectrum.attrs:
        raise ValueError("statistic='poisson' fits counts: pass the Dataset of flux_spectrum(counts, edges, ...)")
    if sys_err is not None:
        raise ValueError("statistic='poisson' fits counts, which carry no systematic error: leave out sys_err "
                         "(or fit flux points with statistic='chi2')")
    energy = spectrum.energy.values
    lo, hi = (energy.min(), energy.max()) if energy_range is None else energy_range
    if not lo < hi:
        raise ValueError(f"energy_range must be (low, high) in GeV with low < high, got {energy_range}")
    keep = (energy >= lo) & (energy <= hi)
    counts = np.asarray(spectrum.counts.values, dtype=float)[keep]
    if counts.sum() == 0:
        raise ValueError(f"no events in {lo:g}-{hi:g} GeV: widen the energy range")
    exposure = spectrum.attrs["exposure_s"] * np.asarray(spectrum.acceptance.values, dtype=float)[keep]
    return (keep, counts, spectrum.energy_low.values[keep], spectrum.energy_high.values[keep], exposure,
            (float(lo), float(hi)))


def _poisson_deviance_residuals(counts, expected):
    """Signed square roots of each bin's Poisson deviance: their squares sum to 2 Σ [μ − n + n ln(n/μ)]."""
    deviance = 2 * (expected - counts + xlogy(counts, counts) - xlogy(counts, expected))
    return np.sign(counts - expected) * np.sqrt(np.maximum(deviance, 0.0))


def _residuals(model, spectrum, flux, stat_err, sys_err, energy_range, statistic, e0_GeV):
    """(residuals of a parameter dict, number of data points, energies, flux, error, energy range) of a
    fit's data: the points' (model − flux) / err for χ², the deviance residuals of the counts (every
    bin in range a data point) for the Poisson likelihood, whose flux points with events (√N errors)
    serve the start values."""
    function = power_law if model == "power_law" else smoothly_broken_power_law
    if statistic == "chi2":
        energy, flux, err, erange = _points(spectrum, flux, stat_err, sys_err, energy_range)
        return ((lambda params: (function(energy, **params, e0_GeV=e0_GeV) - flux) / err), len(energy), energy, flux,
                err, erange)
    if statistic != "poisson":
        raise ValueError(f"statistic must be 'chi2' or 'poisson', not {statistic!r}")
    keep, counts, lo, hi, exposure, erange = _poisson_bins(spectrum, sys_err, energy_range)

    def residuals(params):
        return _poisson_deviance_residuals(counts, _bin_integrals(function, params, lo, hi, e0_GeV) * exposure)

    seen = counts > 0
    points = (spectrum[name].values[keep][seen] for name in ("energy", "flux", "flux_err"))
    return residuals, len(counts), *points, erange


def _fit(model, names, start, residual_of, n_points, fix, e0_GeV, energy_range, max_nfev, statistic="chi2"):
    unknown = set(fix) - set(names)
    if unknown:
        raise ValueError(f"cannot fix {sorted(unknown)}: parameters are {list(names)}")
    free = tuple(n for n in names if n not in fix)
    if n_points < len(free):
        raise ValueError(f"{n_points} points in {energy_range[0]:g}-{energy_range[1]:g} GeV for "
                         f"{len(free)} free parameters: widen the energy range or fix parameters")

    def unpack(x):
        values = dict(fix)
        for name, v in zip(free, x):
            values[name] = np.exp(v) if name in _LOG_PARAMS else v
        return {n: float(values[n]) for n in names}

    def residuals(x):
        return residual_of(unpack(x))

    best = None
    for guess in start:
        x0 = [np.log(guess[n]) if n in _LOG_PARAMS else guess[n] for n in free]
        result = least_squares(residuals, x0, method="lm", max_nfev=max_nfev)
        if result.status > 0 and (best is None or result.cost < best.cost):
            best = result
    if best is None:
        raise ValueError(f"the {model} fit did not converge in {max_nfev} evaluations: fix more parameters "
                         "(e.g. delta), narrow the energy range or give a starting point p0")
    params = unpack(best.x)
    # covariance of the fitted (partly logarithmic) parameters, carried to the parameters themselves
    jacobian = np.diag([params[n] if n in _LOG_PARAMS else 1.0 for n in free])
    try:
        cov_internal = np.linalg.inv(best.jac.T @ best.jac)
    except np.linalg.LinAlgError:
        cov_internal = np.full((len(free), len(free)), np.nan)
    covariance = jacobian @ cov_internal @ jacobian
    if not np.all(np.isfinite(covariance)) or np.any(np.diag(covariance) < 0):
        raise ValueError(f"the data in {energy_range[0]:g}-{energy_range[1]:g} GeV do not constrain all of "
                         f"{list(free)}: fix some of them or widen the energy range")
    errors = {n: float(np.sqrt(covariance[i, i])) for i, n in enumerate(free)}
    errors.update({n: 0.0 for n in fix})
    return SpectralFit(model, params, errors, covariance, free, float(2 * best.cost), n_points - len(free),
                       float(e0_GeV), energy_range, n_points, statistic)



def _slope(energy, flux, err):
    """Weighted straight line in log-log: the index and the flux at E0 = 1 (rough start values)."""
    slope, intercept = np.polyfit(np.log(energy), np.log(flux), 1, w=flux / err)
    return -slope, np.exp(intercept)


def fit_power_law(spectrum, flux=None, stat_err=None, sys_err=None, *, energy_range=None,
                  fix: dict | None = None, e0_GeV: float = 100.0, p0: dict | None = None,
                  max_nfev: int = 2000, statistic: str = "chi2") -> SpectralFit:
    """Fit Φ0 (E/E0)^(−γ) by χ² minimisation or by the Poisson likelihood of the counts.

    Parameters
    ----------
    spectrum : xarray.Dataset or array_like
        A :func:`flux_spectrum` result, or the point energies in GeV (then give ``flux`` and
        ``stat_err``).
    flux, stat_err, sys_err : array_like, optional
        Flux points and their statistical and systematic errors (added in quadrature).
    energy_range : (float, float), optional
        Fit only points with energies in this closed range (GeV).
    fix : dict, optional
        Parameters held at the given values, e.g. ``{"gamma": 2.7}``.
    e0_GeV : float
        Reference energy of ``phi0``.
    p0 : dict, optional
        Starting values (default: a straight line in log-log).
    max_nfev : int
        Model evaluations allowed before the fit is declared not converged (ValueError).
    statistic : {"chi2", "poisson"}
        ``chi2`` fits flux points with their errors. ``poisson`` fits the counts of a
        :func:`flux_spectrum` Dataset: the model is integrated over each bin (times exposure and
        acceptance) and the Poisson deviance minimised; bins without events count too, and
        ``energy_range`` selects bins by their centre. Use it for one's own event counts, where few
        events fall in the highest bins.

    Examples
    --------
    >>> e = np.geomspace(10, 1000, 12)
    >>> fit = fit_power_law(e, power_law(e, 2e-3, 2.7), 0.02 * power_law(e, 2e-3, 2.7))
    >>> round(fit.params["gamma"], 3)
    2.7
    """
    residual_of, n_points, energy, flux, err, erange = _residuals("power_law", spectrum, flux, stat_err, sys_err,
                                                                  energy_range, statistic, e0_GeV)
    fix = dict(fix or {})
    if p0 is None:
        if len(energy) < 2:
            raise ValueError(f"{len(energy)} points in {erange[0]:g}-{erange[1]:g} GeV: a power law needs at "
                             "least 2 (widen the energy range)")
        gamma, norm = _slope(energy, flux, err)
        p0 = {"phi0": norm * e0_GeV ** -gamma, "gamma": gamma}
    return _fit("power_law", POWER_LAW, [{**p0, **fix}], residual_of, n_points, fix, e0_GeV, erange, max_nfev,
                statistic)


def fit_broken_power_law(spectrum, flux=None, stat_err=None, sys_err=None, *, energy_range=None,
                         fix: dict | None = None, e0_GeV: float = 100.0, p0: dict | None = None,
                         max_nfev: int = 2000, statistic: str = "chi2") -> SpectralFit:
    """Fit the smoothly broken power law (:func:`smoothly_broken_power_law`) by χ² minimisation or
    by the Poisson likelihood of the counts (``statistic="poisson"``, see :func:`fit_power_law`).

    Parameters are those of :func:`fit_power_law`; ``fix`` defaults to ``{"delta": 0.1}``, the
    smoothness DAMPE fixed (pass ``fix={}`` to fit it too). Without ``p0`` the fit starts from the
    slopes of the lower and upper halves of the points and several break energies across the range,
    and keeps the lowest χ².

    Examples
    --------
    >>> e = np.geomspace(30, 5000, 25)
    >>> truth = smoothly_broken_power_law(e, 1.6e-4, 3.1, 3.9, 900.0, 0.1)
    >>> fit = fit_broken_power_law(e, truth, 0.03 * truth)
    >>> round(fit.params["e_break_GeV"]), round(fit.params["gamma2"], 2)
    (900, 3.9)
    """
    residual_of, n_points, energy, flux, err, erange = _residuals("smoothly_broken_power_law", spectrum, flux,
                                                                  stat_err, sys_err, energy_range, statistic, e0_GeV)
    fix = {"delta": 0.1} if fix is None else dict(fix)
    if p0 is not None:
        starts = [{**p0, **fix}]
    else:
        if len(energy) < 4:
            raise ValueError(f"{len(energy)} points in {erange[0]:g}-{erange[1]:g} GeV: a broken power law "
                             "needs at least 4 (widen the energy range)")
        half = len(energy) // 2
        gamma1, norm = _slope(energy[:half], flux[:half], err[:half])
        gamma2, _ = _slope(energy[half:], flux[half:], err[half:])
        base = {"phi0": norm * e0_GeV ** -gamma1, "gamma1": gamma1, "gamma2": gamma2, "delta": 0.1, **fix}
        starts = [{**base, "e_break_GeV": e} for e in np.geomspace(energy[1], energy[-2], 6)]
    fit = _fit("smoothly_broken_power_law", BROKEN_POWER_LAW, starts, residual_of, n_points, fix, e0_GeV, erange,
               max_nfev, statistic)
    p = fit.params
    if (p["gamma2"] - p["gamma1"]) * p["delta"] < 0 and not {"gamma1", "gamma2"} & set(fix):
        # the same curve with the indices the other way round (with Δ > 0 the slope below the break is
        # the smaller index whatever the labels): fit again from the form where gamma1 is the index below
        swapped = {**p, "gamma1": p["gamma2"], "gamma2": p["gamma1"],
                   "phi0": p["phi0"] * (e0_GeV / p["e_break_GeV"]) ** (p["gamma1"] - p["gamma2"])}
        fit = _fit("smoothly_broken_power_law", BROKEN_POWER_LAW, [swapped], residual_of, n_points, fix, e0_GeV,
                   erange, max_nfev, statistic)
    return fit
