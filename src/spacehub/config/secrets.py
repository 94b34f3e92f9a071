"""Secrets generated on first start into ``<state_dir>/secrets`` (folder 0700, files 0600).

Nothing here is ever written into the checkout or the settings file: deleting the state dir
starts a fresh hub with new secrets.
"""

from __future__ import annotations

import base64
import os
import secrets as _random
from pathlib import Path

#: name -> number of random bytes (rendered url-safe, or hex for the cookie secret)
_GENERATED = {
    "jupyterhub_cookie_secret": 32,
    "proxy_auth_token": 32,
    "service_token_dask-gateway": 32,
    "service_token_dask-gateway-server": 32,
    "dashboard_secret": 32,  # every cluster's dashboard key derives from it (gateway.dashboard_guard)
    "gateway_db_key": 32,  # encrypts the clusters' TLS keys and tokens in the gateway's database
    "service_token_idle-culler": 32,
    "service_token_admin-cli": 32,  # `spacehub groups`: manages the hub's groups (hub.groups)
    "admin_password": 24,  # >= 32 characters, as SharedPasswordAuthenticator requires of admins
    "shared_password": 9,  # 12 characters: short enough to write on a whiteboard
}


def _generate(name: str, nbytes: int) -> str:
    if name == "jupyterhub_cookie_secret":
        return _random.token_hex(nbytes)
    if name == "gateway_db_key":  # what dask-gateway-server's db_encrypt_keys takes: base64 with padding
        return base64.urlsafe_b64encode(_random.token_bytes(nbytes)).decode()
    return _random.token_urlsafe(nbytes)


def secrets_dir(state_dir: str | os.PathLike) -> Path:
    return Path(state_dir) / "secrets"


def ensure_secrets(state_dir: str | os.PathLike) -> dict[str, str]:
    """Create missing secrets, fix loose permissions, and return all of them by name."""
    folder = secrets_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    out = {}
    for name, nbytes in _GENERATED.items():
        path = folder / name
        if not path.exists():
            value = _generate(name, nbytes)
            # O_EXCL: two starts racing never overwrite each other's secret
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(value + "\n")
        os.chmod(path, 0o600)
        out[name] = path.read_text().strip()
    return out
