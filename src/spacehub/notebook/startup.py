"""PYTHONSTARTUP of a spacehub notebook server's kernels (see :mod:`spacehub.notebook`)."""

try:
    from spacehub.notebook import offline_plots
except ImportError:  # a kernel of another environment: nothing to set up
    pass
else:
    offline_plots()
    del offline_plots
