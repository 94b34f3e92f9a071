"""Side-effecting start-up steps kept out of the pure translation: find programs, make secrets,
seed the first admin's password."""

from __future__ import annotations

import dbm
import os
import shutil
import sys
from pathlib import Path

from ..config import Settings
from ..config.paths import HUB_DIR
from ..config.secrets import ensure_secrets
from .config import Runtime


def find_proxy(bin_dir: Path) -> str | None:
    """configurable-http-proxy: the one `make install` puts in hub/proxy, else one on PATH."""
    local = HUB_DIR / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def discover(settings: Settings) -> Runtime:
    bin_dir = Path(sys.executable).parent
    return Runtime(
        bin_dir=bin_dir,
        proxy_cmd=find_proxy(bin_dir) or "configurable-http-proxy",
        gateway_config=HUB_DIR / "dask_gateway_config.py",
        settings_file=Path(settings.source),
        is_root=os.geteuid() == 0,
        offline=os.environ.get("SPACEHUB_OFFLINE", "") not in ("", "0"),
    )


def prepare_state(settings: Settings) -> dict[str, str]:
    """Create the state dir and secrets; give the first admin of local accounts their password."""
    state = Path(settings.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    if settings.mode == "isolated":
        _isolated_layout(settings)
    else:
        state.chmod(0o700)  # the hub database holds hashed tokens; homes are private
        (state / "homes").mkdir(exist_ok=True)
    for name in DATABASES:
        os.close(os.open(state / name, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(state / name, 0o600)
    secrets = ensure_secrets(state)
    auth = settings.auth
    if auth.type == "local" and auth.admin_users:
        seed_password(state / "passwords.dbm", auth.admin_users[0], secrets["admin_password"])
    return secrets


#: the hub's own files in the state dir, readable by the hub's account only
PRIVATE_FILES = ("jupyterhub.sqlite", "gateway.sqlite", "passwords.dbm")
#: databases made before their program opens them, so they never exist with the umask's mode
#: (SQLite gives its journal the database's mode); dbm makes the passwords file 0600 itself
DATABASES = ("jupyterhub.sqlite", "gateway.sqlite")


def _isolated_layout(settings: Settings) -> None:
    """The state dir with least privilege, for hub users who are other Unix accounts.

    Users pass through the state dir (0711: they list nothing) to what they may read: the sample
    data and the hub's shared cache (0755, written by the hub's account only, so nobody can plant a
    file another user reads), and their own clusters' folders under ``gateway-clusters`` (0711; each
    cluster's folder is its user's, 0700, with its TLS key). Secrets (``secrets/``, 0700) and the
    hub's database and passwords (0600) stay the hub's.
    """
    state = Path(settings.state_dir)
    state.chmod(0o711)
    for name, mode in (("sample-data", 0o755), ("gateway-clusters", 0o711)):
        (state / name).mkdir(exist_ok=True)
        os.chmod(state / name, mode)
    cache = Path(settings.cache.dir)
    for sub in ("", "data", "tmp", "locks"):
        (cache / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(cache / sub, 0o755)
    for name in PRIVATE_FILES:
        if (state / name).exists():
            os.chmod(state / name, 0o600)


def seed_password(dbm_path: Path, username: str, password: str) -> bool:
    """Store ``password`` for ``username`` in FirstUseAuthenticator's database unless one is set.

    That database maps usernames to bcrypt hashes; the admin can change theirs later through
    the hub's change-password page. Returns True if the password was set now.
    """
    import bcrypt

    with dbm.open(str(dbm_path), "c", 0o600) as db:
        if username.encode() in db:
            return False
        db[username.encode()] = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
    return True
