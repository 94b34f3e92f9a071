"""Unix accounts of hub users in isolated mode: each hub user runs as an account of their own.

With ``isolated.accounts: create`` the hub makes the account the first time a hub user logs in or
gets a server: in the ``isolated.group`` group, with a private group of its own and a home 0700
under ``isolated.home_root``. An account that already exists is used only if it is in that group,
so a hub login can never take over an operator's or a service's account. With ``existing`` the
site makes the accounts. Either way an account below ``isolated.min_uid`` (root, system accounts)
is never used: no user code runs as root.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess
from pathlib import Path

from ..config.model import IsolatedSettings

#: names useradd takes on every Linux (no dots, no capitals: they also have to be valid hub names)
UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


class AccountError(RuntimeError):
    """A hub user cannot run as a Unix account; the message says why and what to do."""


def account_for(name: str, iso: IsolatedSettings, *, create: bool = True) -> pwd.struct_passwd:
    """The Unix account hub user ``name`` runs as, made now if the settings say so.

    Raises
    ------
    AccountError
        the name cannot be a Unix name, the account is a system account, belongs to someone
        outside the hub's group, or is missing where the site makes accounts.
    """
    if not UNIX_NAME.match(name):
        raise AccountError(f"the hub user name {name!r} cannot be a Unix account name (lower-case letters, "
                           "digits, '_' and '-', starting with a letter, at most 32 characters): an admin can "
                           "create the user under another name")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if iso.accounts != "create" or not create:
            raise AccountError(f"{name} has no Unix account on this machine: an operator must create it "
                               f"(e.g. `useradd --create-home {name}`)") from None
        return _create(name, iso)
    if entry.pw_uid < iso.min_uid:
        raise AccountError(f"{name} is a system account (uid {entry.pw_uid} < isolated.min_uid {iso.min_uid}): "
                           "hub users never run as one; an admin can create the user under another name")
    if iso.accounts == "create" and not _in_group(entry, iso.group):
        raise AccountError(f"the Unix account {name} exists but is not one of the hub's (group {iso.group}): "
                           f"an operator who wants hub user {name} to use it adds it to the group "
                           f"(`usermod -aG {iso.group} {name}`)")
    return entry


def _in_group(entry: pwd.struct_passwd, group: str) -> bool:
    try:
        g = grp.getgrnam(group)
    except KeyError:
        return False
    return entry.pw_name in g.gr_mem or entry.pw_gid == g.gr_gid


def _create(name: str, iso: IsolatedSettings) -> pwd.struct_passwd:
    home = Path(iso.home_root) / name
    _run(["groupadd", "--force", iso.group])
    # a private group of its own (-U); HOME_MODE: the home is made 0700, whatever login.defs says
    _run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash", "-U",
          "--groups", iso.group, "-K", "HOME_MODE=0700", "-K", f"UID_MIN={iso.min_uid}", name])
    entry = pwd.getpwnam(name)
    os.chmod(entry.pw_dir, 0o700)
    return entry


def lock(name: str) -> bool:
    """Disable the Unix account ``name`` (a workshop's seat at its end): its password locked and the
    account expired, so that nothing logs in or runs as it; its files stay. False if there is no such account."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    _run(["usermod", "--lock", "--expiredate", "1", name])
    return True


def _run(cmd: list[str]) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise AccountError(f"{cmd[0]} not found: isolated mode with `accounts: create` needs the shadow tools "
                           "(Debian: apt-get install passwd)") from None
    if done.returncode != 0:
        raise AccountError(f"{' '.join(cmd[:1])} failed: {done.stderr.strip() or done.stdout.strip()}")


def post_auth_hook(iso: IsolatedSettings, authenticator, handler, authentication):
    """``Authenticator.post_auth_hook``: the account is made at the first login (bound with functools.partial).

    A failure does not refuse the login: the spawn says the same thing where the user reads it.
    """
    if authentication:
        name = authenticator.normalize_username(authentication["name"])
        try:
            account_for(name, iso)
        except AccountError as e:
            authenticator.log.warning("no Unix account for %s: %s", name, e)
    return authentication
