"""Settings -> files for the scale-out targets: Helm values (kubernetes), a sudoers rule (slurm).

Like :mod:`spacehub.hub.config`, every function here is pure: settings in, data out (the deployment
plan of :mod:`spacehub.deploy`, rendered).
"""

from ..gateway.config import kube_gateway_config
from .kubernetes import dask_gateway_values, jupyterhub_values, write_kubernetes
from .slurm import sudoers_rule

__all__ = ["dask_gateway_values", "jupyterhub_values", "kube_gateway_config", "sudoers_rule", "write_kubernetes"]
