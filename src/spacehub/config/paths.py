"""Where the files spacehub ships are: one place for every module that needs them.

From a checkout (``pip install -e .``, the Makefile's way) they are the checkout's own folders, so an
edit to ``catalogs/omni.yaml`` is seen at once. From a wheel (``pip install .``) they are installed as
data files under ``<prefix>/share/spacehub/`` (see ``[tool.setuptools.data-files]`` in
pyproject.toml).

>>> (CATALOG_DIR / "schema.yaml").is_file(), (HUB_DIR / "spacehub.yaml").is_file()
(True, True)
"""

from __future__ import annotations

import site
import sys
import sysconfig
from pathlib import Path

#: the source tree this module sits in: ``src/spacehub/config/paths.py`` -> the checkout
_CHECKOUT = Path(__file__).resolve().parents[3]


def _share_dirs() -> list[Path]:
    """Where an installer puts data files: the environment's data path, then the user base."""
    candidates = [sysconfig.get_path("data"), sys.prefix, getattr(site, "USER_BASE", None)]
    return [Path(p) / "share" / "spacehub" for p in candidates if p]


def shipped_root() -> Path:
    """The folder holding ``catalogs/``, ``hub/`` and ``notebooks/``: the checkout, else the
    installed share folder. Raises FileNotFoundError naming the places looked in."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "catalogs" / "schema.yaml").is_file():
        return _CHECKOUT
    for share in _share_dirs():
        if (share / "catalogs" / "schema.yaml").is_file():
            return share
    looked = ", ".join(str(p) for p in [_CHECKOUT, *_share_dirs()])
    raise FileNotFoundError(f"spacehub's shipped files (catalogs/, hub/) are in none of: {looked}; "
                            "reinstall spacehub (`pip install .` from its checkout)")


ROOT = shipped_root()
#: the mission catalogs (``*.yaml`` and their ``schema.yaml``)
CATALOG_DIR = ROOT / "catalogs"
#: jupyterhub_config.py, dask_gateway_config.py, the default settings and the proxy's package
HUB_DIR = ROOT / "hub"
#: the default settings file (``SPACEHUB_CONFIG`` overrides it)
DEFAULT_SETTINGS_FILE = HUB_DIR / "spacehub.yaml"
#: the analysis templates copied into users' homes
TEMPLATES_DIR = ROOT / "notebooks" / "templates"
