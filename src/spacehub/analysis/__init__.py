"""The science of spacehub: pure numpy/xarray/dask analyses, one module per analysis.

Modules
-------
flares
    GOES XRS solar flares: event detection, flare classes, a forecast baseline.
spectra
    Cosmic-ray event spectra: log-binned counts (a fast histogram kernel; dask arrays chunk by
    chunk), flux with exposure and acceptance, power-law and smoothly broken power-law fits.
storms
    Geomagnetic storms from Dst or SYM-H and superposed-epoch analysis of their drivers.
transits
    Exoplanet transits in light curves: detrending, box-least-squares search, folding.
"""
