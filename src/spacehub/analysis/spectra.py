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

Fits minimise χ² with the given (absolute) errors, statistical and systematic added in quadrature;
parameter uncertainties are the square roots of the diagonal of the covariance matrix (J^T J)⁻¹,
not rescaled by χ²/ndf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

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
    >>> log_edges(10.0, 1000.0, 2)
    array([  10.        ,   31.6227766 ,  100.        ,  316.22776602, 1000.        ])
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

    def __call__(self, energy):
        function = power_law if self.model == "power_law" else smoothly_broken_power_law
        return function(energy, **self.params, e0_GeV=self.e0_GeV)

    @property
    def chi2_ndf(self) -> float:
        return self.chi2 / self.ndf if self.ndf else float("nan")

    def __repr__(self) -> str:
        lo, hi = self.energy_range_GeV
        lines = [f"SpectralFit({self.model}, {self.n_points} points {lo:g}-{hi:g} GeV, E0 = {self.e0_GeV:g} GeV, "
                 f"chi2/ndf = {self.chi2:.2f}/{self.ndf})"]
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


def _fit(model, names, start, energy, flux, err, fix, e0_GeV, energy_range, max_nfev):
    unknown = set(fix) - set(names)
    if unknown:
        raise ValueError(f"cannot fix {sorted(unknown)}: parameters are {list(names)}")
    free = tuple(n for n in names if n not in fix)
    if len(energy) < len(free):
        raise ValueError(f"{len(energy)} points in {energy_range[0]:g}-{energy_range[1]:g} GeV for "
                         f"{len(free)} free parameters: widen the energy range or fix parameters")
    function = power_law if model == "power_law" else smoothly_broken_power_law

    def unpack(x):
        values = dict(fix)
        for name, v in zip(free, x):
            values[name] = np.exp(v) if name in _LOG_PARAMS else v
        return {n: float(values[n]) for n in names}

    def residuals(x):
        return (function(energy, **unpack(x), e0_GeV=e0_GeV) - flux) / err

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
    return SpectralFit(model, params, errors, covariance, free, float(2 * best.cost), len(energy) - len(free),
                       float(e0_GeV), energy_range, len(energy))


def _slope(energy, flux, err):
    """Weighted straight line in log-log: the index and the flux at E0 = 1 (rough start values)."""
    slope, intercept = np.polyfit(np.log(energy), np.log(flux), 1, w=flux / err)
    return -slope, np.exp(intercept)


def fit_power_law(spectrum, flux=None, stat_err=None, sys_err=None, *, energy_range=None,
                  fix: dict | None = None, e0_GeV: float = 100.0, p0: dict | None = None,
                  max_nfev: int = 2000) -> SpectralFit:
    """Fit Φ0 (E/E0)^(−γ) by χ² minimisation.

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

    Examples
    --------
    >>> e = np.geomspace(10, 1000, 12)
    >>> fit = fit_power_law(e, power_law(e, 2e-3, 2.7), 0.02 * power_law(e, 2e-3, 2.7))
    >>> round(fit.params["gamma"], 3)
    2.7
    """
    energy, flux, err, erange = _points(spectrum, flux, stat_err, sys_err, energy_range)
    fix = dict(fix or {})
    if p0 is None:
        if len(energy) < 2:
            raise ValueError(f"{len(energy)} points in {erange[0]:g}-{erange[1]:g} GeV: a power law needs at "
                             "least 2 (widen the energy range)")
        gamma, norm = _slope(energy, flux, err)
        p0 = {"phi0": norm * e0_GeV ** -gamma, "gamma": gamma}
    return _fit("power_law", POWER_LAW, [{**p0, **fix}], energy, flux, err, fix, e0_GeV, erange, max_nfev)


def fit_broken_power_law(spectrum, flux=None, stat_err=None, sys_err=None, *, energy_range=None,
                         fix: dict | None = None, e0_GeV: float = 100.0, p0: dict | None = None,
                         max_nfev: int = 2000) -> SpectralFit:
    """Fit the smoothly broken power law (:func:`smoothly_broken_power_law`) by χ² minimisation.

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
    energy, flux, err, erange = _points(spectrum, flux, stat_err, sys_err, energy_range)
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
    return _fit("smoothly_broken_power_law", BROKEN_POWER_LAW, starts, energy, flux, err, fix, e0_GeV, erange,
                max_nfev)
