"""Settings -> JupyterHub traitlets (pure and set-only; see :func:`hub_config`)."""

from .config import Runtime, hub_config, public_url

__all__ = ["Runtime", "hub_config", "public_url"]
