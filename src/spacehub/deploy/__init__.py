"""The deployment plan derived once from the settings, which every target renders.

``spacehub.deploy`` imports only :mod:`spacehub.config`; the targets (hub, gateway, render) import it.
"""

from .names import CULLER_SERVICE, DATA_SERVICE, GATEWAY_SERVICE
from .plan import Auth, Homes, Network, Plan, Service, gateway_fullname, plan
from .published import PublishedLimits, PublishedLimitsError

__all__ = ["CULLER_SERVICE", "DATA_SERVICE", "GATEWAY_SERVICE", "Auth", "Homes", "Network", "Plan", "PublishedLimits",
           "PublishedLimitsError", "Service", "gateway_fullname", "plan"]
