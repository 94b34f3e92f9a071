"""Settings -> dask-gateway configuration, cluster options, per-user quota."""
