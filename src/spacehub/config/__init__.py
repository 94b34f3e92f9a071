"""Deployment settings: load ``hub/spacehub.yaml``, validate it against the schema, build the typed
settings (:mod:`spacehub.config.model`). Imports nothing else of spacehub.

Its names are imported when first used: a user's server imports :mod:`spacehub.config.jsonschema_`
at each start (see :mod:`spacehub.hub.launch`) and needs none of the settings' modules."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Settings
    from .paths import DEFAULT_SETTINGS_FILE
    from .settings import SettingsError, load_settings, settings_path, validate_settings

_WHERE = {"Settings": ".model", "DEFAULT_SETTINGS_FILE": ".paths", "SettingsError": ".settings",
          "load_settings": ".settings", "settings_path": ".settings", "validate_settings": ".settings"}

__all__ = ["DEFAULT_SETTINGS_FILE", "Settings", "SettingsError", "load_settings", "settings_path",
           "validate_settings"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
