"""The data service: every time series of the catalog over HAPI, at /services/data/hapi."""
