"""Settings -> JupyterHub traitlets (pure and set-only; see :func:`hub_config`).

:mod:`spacehub.hub.config` is imported when one of its names is first used: a user's server starts
through :mod:`spacehub.hub.launch` and needs none of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Runtime, hub_config, public_url

__all__ = ["Runtime", "hub_config", "public_url"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import config

    return getattr(config, name)
