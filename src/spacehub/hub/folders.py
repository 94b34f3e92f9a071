"""Shared folders: a hub-wide ``shared/`` and a ``groups/<name>/`` per hub group, in each user's file browser.

The folders live under the settings' ``folders.root`` (``<state_dir>/folders``); before each server
start the hub makes those the user may see and links them into the user's home, beside their
private files: ``~/shared`` and ``~/groups/<name>`` for each JupyterHub group the user is in
(groups from the admin page, the REST API or ``jupyterhub`` itself). A link that is no longer the
user's (they left the group) is taken away; anything else of the user's by those names is left as
it is.

=====================  ======================================  ==================================
folder                 isolated mode (Unix permissions)        demo mode (one account for all)
=====================  ======================================  ==================================
``folders/``           root's, 0711: nobody lists it           the hub's
``shared/``            root : ``<group>-shared``, 2775:        the servers refuse changes but
                       everyone reads, hub admins write        the admins' (notebook.contents)
``groups/``            root's, 0711: group names not listed    the hub's
``groups/<name>/``     root : ``spacehub-g-<name>``, 2770:     linked only into its members'
                       members read and write, others nothing  homes
=====================  ======================================  ==================================

In isolated mode each hub group is a Unix group ``spacehub-g-<name>`` and the hub's admins are in
``<isolated.group>-shared``; an account's memberships are brought in line with the hub's at each of
its server starts (a server runs with the groups it started with), and servers run with umask 002,
so what one member writes in a group folder (setgid: the file belongs to the group) the others can
change. The links are made by a process of the user's own account, never by root. Demo mode runs
every user as one account: it shows each user only their own groups, but a user's code can reach
every folder (and every home) of that account.
"""

from __future__ import annotations

import grp
import json
import os
import re
import subprocess
from pathlib import Path

#: hub group names that become folders (and Unix groups ``spacehub-g-<name>``, at most 32 characters)
GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,20}$")
UNIX_PREFIX = "spacehub-g-"


def unix_group(name: str) -> str:
    """The Unix group of hub group ``name`` (isolated mode)."""
    return UNIX_PREFIX + name


def editors_group(hub_group: str) -> str:
    """The Unix group whose members (the hub's admins) write ``shared/``: ``<isolated.group>-shared``."""
    return f"{hub_group}-shared"


def usable(groups: list[str]) -> tuple[list[str], list[str]]:
    """(the hub groups that get a folder, those whose names cannot be one)."""
    return [g for g in groups if GROUP_NAME.match(g)], [g for g in groups if not GROUP_NAME.match(g)]


def prepare(root: Path, groups: list[str], editors: str | None) -> None:
    """Make ``root/shared`` and ``root/groups/<g>`` for ``groups`` with their modes (see the module's
    table); ``editors``: isolated mode's Unix group of ``shared/``'s writers (None: demo mode)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "groups").mkdir(exist_ok=True)
    (root / "shared").mkdir(exist_ok=True)
    if editors is not None:
        for path in (root, root / "groups"):
            os.chown(path, 0, 0)
            os.chmod(path, 0o711)
        _ensure_group(editors)
        os.chown(root / "shared", 0, grp.getgrnam(editors).gr_gid)
        os.chmod(root / "shared", 0o2775)
    else:  # the account writes it; the servers keep it read-only for all but admins (notebook.contents)
        os.chmod(root / "shared", 0o755)
    for name in groups:
        folder = root / "groups" / name
        folder.mkdir(exist_ok=True)
        if editors is not None:
            _ensure_group(unix_group(name))
            os.chown(folder, 0, grp.getgrnam(unix_group(name)).gr_gid)
            os.chmod(folder, 0o2770)


def sync_memberships(account: str, groups: list[str], admin: bool, editors: str) -> dict[str, list[str]]:
    """Bring the Unix account's ``spacehub-g-*`` and editors memberships in line with the hub's:
    what was added and removed."""
    wanted = {unix_group(g) for g in groups} | ({editors} if admin else set())
    have = {g.gr_name for g in grp.getgrall()
            if account in g.gr_mem and (g.gr_name.startswith(UNIX_PREFIX) or g.gr_name == editors)}
    for group in sorted(wanted - have):
        _run(["gpasswd", "--add", account, group])
    for group in sorted(have - wanted):
        _run(["gpasswd", "--delete", account, group])
    return {"added": sorted(wanted - have), "removed": sorted(have - wanted)}


def link(home: Path, root: Path, groups: list[str]) -> dict[str, str]:
    """``~/shared`` and ``~/groups/<g>`` as links to the folders of ``root``; a link of ``~/groups``
    into ``root/groups`` that is not one of ``groups`` is removed. Run as the home's owner."""
    done: dict[str, str] = {}
    _link(home / "shared", root / "shared", done)
    mine = home / "groups"
    if groups and not mine.exists() and not mine.is_symlink():
        mine.mkdir(mode=0o700)
    if mine.is_dir() and not mine.is_symlink():
        for entry in mine.iterdir():
            target = os.readlink(entry) if entry.is_symlink() else ""
            if target and Path(target).parent == root / "groups" and entry.name not in groups:
                entry.unlink()
                done[f"groups/{entry.name}"] = "removed"
        for name in groups:
            _link(mine / name, root / "groups" / name, done)
    return done


def _link(at: Path, to: Path, done: dict[str, str]) -> None:
    name = f"{at.parent.name}/{at.name}" if at.parent.name == "groups" else at.name
    if at.is_symlink() and os.readlink(at) == str(to):
        return
    if at.is_symlink() and Path(os.readlink(at)).parent == to.parent:
        at.unlink()  # an older link of ours
    if at.exists() or at.is_symlink():
        done[name] = "yours: left as it is"  # the user's own file or link by that name
        return
    at.symlink_to(to, target_is_directory=True)
    done[name] = "linked"


def _ensure_group(name: str) -> None:
    try:
        grp.getgrnam(name)
    except KeyError:
        _run(["groupadd", "--force", name])


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise OSError(f"{cmd[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def main(argv: list[str] | None = None) -> int:
    """``python -m spacehub.hub.folders HOME ROOT [GROUP ...]``: :func:`link`, as the account
    running it; print what happened (JSON)."""
    import sys

    home, root, *groups = argv if argv is not None else sys.argv[1:]
    print(json.dumps(link(Path(home), Path(root), groups)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
