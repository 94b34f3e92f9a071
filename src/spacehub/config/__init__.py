"""Deployment settings: load ``hub/spacehub.yaml``, validate it against the schema, build the typed
settings (:mod:`spacehub.config.model`). Imports nothing else of spacehub."""

from .model import Settings
from .paths import DEFAULT_SETTINGS_FILE
from .settings import SettingsError, load_settings, settings_path, validate_settings

__all__ = ["DEFAULT_SETTINGS_FILE", "Settings", "SettingsError", "load_settings", "settings_path",
           "validate_settings"]
