"""Analysis templates in every user's home: copied on first start, kept up to date, never clobbered.

Before each server start the hub copies the shipped templates (``notebooks/templates``) into the
user's ``~/templates``. A manifest (``~/templates/.spacehub-templates.json``) records the checksum
of each file as shipped when it was copied, so a later start can tell the user's edits from a new
shipped version:

============================  ===============================  ============================
file in the home              shipped file changed since copy  what happens
============================  ===============================  ============================
missing, never copied         -                                copied (``new``)
missing, copied before        -                                left deleted (``deleted``)
unchanged since copied        no                               nothing (``kept``)
unchanged since copied        yes                              replaced (``updated``)
edited by the user            no                               nothing (``kept``)
edited by the user            yes                              new version beside it, as
                                                               ``<name>.updated-<hash>.ipynb``
                                                               (``offered``); the edit stays
============================  ===============================  ============================

Deleting the manifest makes every template come back on the next start (edited ones are offered).
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
from pathlib import Path

MANIFEST = ".spacehub-templates.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shipped(source: Path) -> dict[str, Path]:
    return {str(p.relative_to(source)): p for p in sorted(source.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(source).parts)}


def install_templates(source: Path, folder: Path, owner: tuple[int, int] | None = None) -> dict[str, str]:
    """Bring the templates of ``source`` into ``folder`` (see the module's table).

    Parameters
    ----------
    source : the shipped templates.
    folder : the user's templates folder (created if missing).
    owner : ``(uid, gid)`` for what is written, when the hub runs as root for other users.

    Returns
    -------
    dict
        relative name -> ``new``, ``updated``, ``offered``, ``kept`` or ``deleted``.

    Examples
    --------
    >>> install_templates(Path("notebooks/templates"), Path.home() / "templates")  # doctest: +SKIP
    {'getting-started.ipynb': 'new', ...}
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    written: list[Path] = [folder]
    actions = {}
    for name, src in _shipped(source).items():
        dest, shipped = folder / name, _digest(src)
        recorded = manifest.get(name)
        if not dest.exists():
            if recorded is not None:
                actions[name] = "deleted"
                continue
            action = "new"
        elif recorded == shipped or _digest(dest) == shipped:
            actions[name] = "kept"
            manifest[name] = shipped
            continue
        elif recorded is not None and _digest(dest) == recorded:
            action = "updated"
        else:  # edited (or unknown to the manifest) and a different version is shipped: offer it beside
            offer = dest.with_name(f"{dest.stem}.updated-{shipped[:8]}{dest.suffix}")
            if not offer.exists():
                shutil.copyfile(src, offer)
                written.append(offer)
            actions[name] = "offered"
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)  # a half-copied notebook is never visible
        written += [dest.parent, dest]
        manifest[name] = shipped
        actions[name] = action
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    written.append(manifest_path)
    if owner is not None:
        for path in set(written):
            os.chown(path, *owner)
    return actions


def user_home(username: str, home_template: str | None) -> tuple[Path, tuple[int, int] | None]:
    """Where a user's files live: ``home_template`` with the name filled in (demo mode: a folder of
    the hub's account), else their Unix account's home, with its owner."""
    if home_template is not None:
        return Path(home_template.format(username=username)), None
    entry = pwd.getpwnam(username)
    return Path(entry.pw_dir), (entry.pw_uid, entry.pw_gid)


def pre_spawn_hook(source: str, folder: str, home_template: str | None, spawner) -> None:
    """JupyterHub's ``Spawner.pre_spawn_hook`` (bound with functools.partial in the hub config)."""
    name = spawner.user.name
    try:
        home, owner = user_home(name, home_template)
    except KeyError:
        spawner.log.warning("no Unix account %s: templates not installed (the spawn will say why)", name)
        return
    if owner is None:
        home.mkdir(parents=True, exist_ok=True)
    try:
        actions = install_templates(Path(source), home / folder, owner)
    except OSError as e:  # a full disk or odd permissions must not stop the user's server
        spawner.log.warning("templates for %s not installed: %s", name, e)
        return
    changed = {k: v for k, v in actions.items() if v != "kept"}
    if changed:
        spawner.log.info("templates for %s: %s", name, changed)
