import dbm
import stat

import bcrypt

from spacehub.config.secrets import ensure_secrets
from spacehub.hub.runtime import seed_password


def test_secrets_generated_once_private(tmp_path):
    first = ensure_secrets(tmp_path)
    assert len(first["admin_password"]) >= 32  # SharedPasswordAuthenticator's minimum for admins
    assert len(first["shared_password"]) >= 8
    assert first == ensure_secrets(tmp_path)  # stable across starts
    folder = tmp_path / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for f in folder.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600


def test_loose_permissions_tightened(tmp_path):
    ensure_secrets(tmp_path)
    p = tmp_path / "secrets" / "proxy_auth_token"
    p.chmod(0o644)
    ensure_secrets(tmp_path)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_seed_password_never_overwrites(tmp_path):
    path = tmp_path / "passwords.dbm"
    assert seed_password(path, "admin", "first-password-xyz")
    assert not seed_password(path, "admin", "second-password")
    with dbm.open(str(path)) as db:
        assert bcrypt.checkpw(b"first-password-xyz", db[b"admin"])


def test_gateway_database_key_is_what_dask_gateway_takes(tmp_path):
    from dask_gateway_server.backends.db_base import DBBackendBase

    key = ensure_secrets(tmp_path)["gateway_db_key"]
    backend = DBBackendBase(db_url=f"sqlite:///{tmp_path / 'gateway.sqlite'}", db_encrypt_keys=[key])
    assert len(backend.db_encrypt_keys) == 1  # accepted: 32 random bytes, base64 with padding
