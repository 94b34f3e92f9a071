"""The science of spacehub: pure numpy/xarray/dask analyses, one module per analysis.

Modules
-------
bursts
    Gamma-ray bursts in photon event lists or binned light curves: Bayesian blocks, T90.
exposure
    Good time and live time of event files in a UTC range (GTI and LIVETIME).
flares
    GOES XRS solar flares: event detection, flare classes, a forecast baseline.
shocks
    Interplanetary shocks from solar-wind plasma and field: detection, jump ratios, shock types.
spectra
    Cosmic-ray event spectra: log-binned counts (a fast histogram kernel; dask arrays chunk by
    chunk), flux with exposure and acceptance, power-law and smoothly broken power-law fits.
storms
    Geomagnetic storms from Dst or SYM-H and superposed-epoch analysis of their drivers.
substorms
    Substorm onsets from an AL/SML-like index or a chain of ground magnetometers.
transits
    Exoplanet transits in light curves: detrending, box-least-squares search, folding, batch search
    (a package: detrend, bls, bls_kernels, fold, batch).
"""
