"""Deployment settings: load ``hub/spacehub.yaml``, validate it against the schema, fill defaults."""

from .settings import (
    DEFAULT_SETTINGS_FILE,
    SettingsError,
    Settings,
    load_settings,
    settings_path,
)

__all__ = ["DEFAULT_SETTINGS_FILE", "Settings", "SettingsError", "load_settings", "settings_path"]
