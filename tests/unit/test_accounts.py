"""Which Unix account a hub user may run as in isolated mode: never root, a system account or
someone else's."""

import grp
import os
import pwd
import subprocess
from pathlib import Path

import pytest

from spacehub.config import validate_settings
from spacehub.hub.accounts import AccountError, account_for, lock


def isolated(**raw):
    return validate_settings({"mode": "isolated", "state_dir": "/srv/state", "isolated": raw}).isolated


@pytest.mark.parametrize("name", ["Alice", "al.ice", "1alice", "a" * 33, "alice smith", "../etc"])
def test_names_that_cannot_be_unix_accounts(name):
    with pytest.raises(AccountError, match="cannot be a Unix account name"):
        account_for(name, isolated(), create=False)


@pytest.mark.parametrize("accounts", ["create", "existing"])
def test_never_root_nor_a_system_account(accounts):
    with pytest.raises(AccountError, match=r"root is a system account \(uid 0 < isolated.min_uid 1000\)"):
        account_for("root", isolated(accounts=accounts))
    daemon = next(e for e in pwd.getpwall() if 0 < e.pw_uid < 1000)
    with pytest.raises(AccountError, match="system account"):
        account_for(daemon.pw_name, isolated(accounts=accounts))


def test_an_account_outside_the_hub_group_is_not_taken_over():
    nobody = pwd.getpwnam("nobody")  # uid 65534: not a system uid, not the hub's
    with pytest.raises(AccountError, match="exists but is not one of the hub's .*usermod -aG spacehub-test-x nobody"):
        account_for("nobody", isolated(group="spacehub-test-x"))
    # where the site makes accounts, it is the site's to give
    assert account_for("nobody", isolated(accounts="existing")).pw_uid == nobody.pw_uid


def test_missing_account_where_the_site_makes_them():
    with pytest.raises(AccountError, match="no Unix account on this machine: an operator must create it"):
        account_for("no-such-user-xq", isolated(accounts="existing"))


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: makes and removes a Unix account")
def test_account_made_in_the_group_with_a_private_home(tmp_path):
    os.chmod(tmp_path, 0o755)
    settings = isolated(group="spacehub-test-g", home_root=str(tmp_path))
    try:
        entry = account_for("spacehub-test-u", settings)
        assert entry.pw_uid >= 1000 and entry.pw_dir == str(tmp_path / "spacehub-test-u")
        assert os.stat(entry.pw_dir).st_mode & 0o777 == 0o700
        assert "spacehub-test-u" in grp.getgrnam("spacehub-test-g").gr_mem
        assert account_for("spacehub-test-u", settings) == entry  # the next login finds it
        (Path(entry.pw_dir) / "work.txt").write_text("kept")
        # a workshop's end: the account locked and expired, its files kept
        assert lock("spacehub-test-u") and not lock("spacehub-test-none")
        shadow = next(line.split(":") for line in Path("/etc/shadow").read_text().splitlines()
                      if line.startswith("spacehub-test-u:"))
        assert shadow[1].startswith("!") and shadow[7] == "1"  # locked password; expired on 1970-01-02
        assert (Path(entry.pw_dir) / "work.txt").read_text() == "kept"
        done = subprocess.run(["su", "-s", "/bin/sh", "spacehub-test-u", "-c", "true"], capture_output=True, text=True)
        assert done.returncode != 0, "a locked, expired account still runs commands"
    finally:
        os.system("userdel --remove spacehub-test-u >/dev/null 2>&1; groupdel spacehub-test-g >/dev/null 2>&1")
