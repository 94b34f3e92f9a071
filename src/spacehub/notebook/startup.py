"""PYTHONSTARTUP of a spacehub notebook server's kernels (see :mod:`spacehub.notebook`)."""

try:
    from spacehub.notebook import offline_plots, private_hapi_cache
except ImportError:  # a kernel of another environment: nothing to set up
    pass
else:
    offline_plots()
    private_hapi_cache()
    del offline_plots, private_hapi_cache
