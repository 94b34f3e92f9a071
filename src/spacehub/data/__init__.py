"""Data on this hub: the offline sample data (real products' layouts) and, later, the shared cache."""

from __future__ import annotations

import os
from pathlib import Path


def sample_dir() -> Path:
    """Folder of the offline sample data: ``$SPACEHUB_SAMPLE_DATA``, else ``<state_dir>/sample-data``
    of the hub's settings."""
    env = os.environ.get("SPACEHUB_SAMPLE_DATA")
    if env:
        return Path(env)
    from ..config import load_settings

    return Path(load_settings().state_dir) / "sample-data"
