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

import asyncio
import hashlib
import io
import json
import os
import pwd
import shutil
import tarfile
from pathlib import Path
from urllib.parse import quote

from ..deploy.names import READ_ONLY_ENV

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


async def install_as_user(entry: pwd.struct_passwd, source: Path, folder: str, python: Path) -> dict[str, str]:
    """:func:`install_templates` run as the account ``entry`` itself, never as root.

    Root writing into a user's home would follow whatever links the user left there (``~/templates``
    pointing at ``/etc/cron.d``); the user's own process can only write where the user may. The
    shipped files go to it as a tar stream on its standard input (the user may not be able to read
    the hub's checkout); ``python`` is the users' environment's.
    """
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as tar:
        for name, path in _shipped(source).items():
            tar.add(path, arcname=name)
    return await as_user(entry, python, ["spacehub.hub.homes", str(Path(entry.pw_dir) / folder)], stream.getvalue())


async def as_user(entry: pwd.struct_passwd, python: Path, module_args: list[str], stdin: bytes = b"") -> dict[str, str]:
    """``python -m MODULE ARGS`` as the account ``entry`` (no other groups, its home, a bare
    environment): what it printed (JSON)."""
    proc = await asyncio.create_subprocess_exec(
        str(python), "-m", *module_args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], cwd=entry.pw_dir,
        env={"HOME": entry.pw_dir, "USER": entry.pw_name, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    out, err = await asyncio.wait_for(proc.communicate(stdin), 120)
    if proc.returncode != 0:
        raise OSError(f"{module_args[0]} as {entry.pw_name} failed: {err.decode(errors='replace').strip()[-500:]}")
    actions: dict[str, str] = json.loads(out)
    return actions


async def pre_spawn_hook(source: str | None, folder: str, home_template: str | None, isolated,
                         folders_root: str | None, spawner, state_dir: str | None = None) -> None:
    """JupyterHub's ``Spawner.pre_spawn_hook`` (bound with functools.partial in the hub config).

    In isolated mode (``isolated``: the settings' ``IsolatedSettings``) the user's Unix account is
    made or checked first (a user who cannot have one gets the reason instead of a server), and the
    templates are copied by a process of that account. Then the shared folders of ``folders_root``
    (`spacehub.hub.folders`): those of the user's hub groups made, the account's Unix groups brought
    in line (isolated mode), the links put into the home. Then, for a workshop's seat, its server size
    (and no server at all once the workshop has ended), and the materials of each running workshop
    the user sits in or teaches (``state_dir``'s workshops), into ``~/<workshop>/``, as templates are:
    a file the user edited is never overwritten, a newer version is put beside it.
    """
    name = spawner.user.name
    from ..workshops.records import materials_for, seat_of

    seat = seat_of(state_dir, name) if state_dir is not None else None
    if seat is not None and seat.get("ended"):  # a browser still logged in must not start it again
        from tornado.web import HTTPError

        raise HTTPError(403, f"The workshop {seat['name']} has ended; your work there was kept for its instructors.")
    entry = None
    if isolated is not None:
        from .accounts import account_for

        entry = account_for(name, isolated)  # AccountError: the spawn fails with what to do
    if source is not None:
        await _templates(spawner, source, folder, home_template, isolated, entry)
    if folders_root is not None:
        await _folders(spawner, Path(folders_root), home_template, isolated, entry)
    if state_dir is not None:  # the materials of the workshops this user sits in or teaches
        if seat is not None and seat.get("profile"):  # the workshop's server size for its seats
            size_server(spawner, seat["profile"]["cores"], seat["profile"]["memory"])
        if seat is not None and seat.get("opens"):  # its first notebook: opened, its kernel started ahead
            open_notebook(spawner, f"{seat['name']}/{seat['opens']}")
        for workshop in materials_for(state_dir, name):
            await _materials(spawner, workshop["materials"], workshop["name"], home_template, isolated, entry)


def open_notebook(spawner, path: str) -> None:
    """This start's server opens the notebook ``path`` (of the home) in JupyterLab, and its kernel is
    started and its imports done as the server starts (:mod:`spacehub.notebook.warm`)."""
    from ..deploy.names import OPEN_NOTEBOOK_ENV

    spawner.default_url = "/lab/tree/" + quote(path)
    spawner.environment = {**spawner.environment, OPEN_NOTEBOOK_ENV: path}


def size_server(spawner, cores: float, memory: int) -> None:
    """This start's server size: the spawner's limits (and a Slurm job's request, on that target)."""
    spawner.cpu_limit, spawner.mem_limit = cores, memory
    if hasattr(spawner, "req_nprocs"):  # batchspawner: the job asks Slurm for it
        spawner.req_nprocs, spawner.req_memory = f"{cores:g}", f"{memory // 2**20}M"


async def _materials(spawner, materials: str | dict, folder: str, home_template: str | None, isolated,
                     entry) -> None:
    """A workshop's materials into ``~/<folder>``: a folder's or gallery entries' files as templates are,
    a git repository pulled (:func:`spacehub.workshops.materials.pull`) by the user's own account in
    isolated mode; a failure is logged, and the server starts without them."""
    if isinstance(materials, str) or materials["kind"] != "git":  # (a plain path: a record of an older spacehub)
        path = materials if isinstance(materials, str) else materials["path"]
        return await _templates(spawner, path, folder, home_template, isolated, entry)
    from ..workshops.materials import MaterialsError, pull

    name = spawner.user.name
    try:
        if entry is not None:
            done = await as_user(entry, isolated.users_env / "bin" / "python", [
                "spacehub.workshops.materials", "pull", materials["url"], materials["branch"],
                str(Path(entry.pw_dir) / folder)])
        else:
            home, _ = user_home(name, home_template)
            home.mkdir(parents=True, exist_ok=True)
            done = await asyncio.to_thread(pull, materials["url"], materials["branch"], home / folder)
    except (MaterialsError, OSError, ValueError, TimeoutError) as e:
        spawner.log.warning("workshop materials for %s not pulled: %s", name, e)
        return
    spawner.log.info("workshop materials for %s: %s", name, done)


async def _templates(spawner, source: str, folder: str, home_template: str | None, isolated, entry) -> None:
    name = spawner.user.name
    try:
        if entry is not None:
            actions = await install_as_user(entry, Path(source), folder, isolated.users_env / "bin" / "python")
        else:
            home, owner = user_home(name, home_template)
            if owner is None:
                home.mkdir(parents=True, exist_ok=True)
            actions = install_templates(Path(source), home / folder, owner)
    except KeyError:
        spawner.log.warning("no Unix account %s: templates not installed (the spawn will say why)", name)
        return
    except (OSError, ValueError, TimeoutError) as e:  # a full disk or odd permissions must not stop the server
        spawner.log.warning("templates for %s not installed: %s", name, e)
        return
    changed = {k: v for k, v in actions.items() if v != "kept"}
    if changed:
        spawner.log.info("templates for %s: %s", name, changed)


async def _folders(spawner, root: Path, home_template: str | None, isolated, entry) -> None:
    from . import folders

    name = spawner.user.name
    groups, skipped = folders.usable(sorted(g.name for g in spawner.user.groups))
    if skipped:
        spawner.log.warning("groups of %s without a folder (names must match %s): %s", name,
                            folders.GROUP_NAME.pattern, skipped)
    try:
        editors = folders.editors_group(isolated.group) if entry is not None else None
        folders.prepare(root, groups, editors)
        if entry is not None:
            assert editors is not None  # isolated mode
            changed = folders.sync_memberships(entry.pw_name, groups, bool(spawner.user.admin), editors)
            links = await as_user(entry, isolated.users_env / "bin" / "python",
                                  ["spacehub.hub.folders", entry.pw_dir, str(root), *groups])
        else:
            home, _ = user_home(name, home_template)
            home.mkdir(parents=True, exist_ok=True)
            changed, links = {}, folders.link(home, root, groups)
            # the server keeps shared/ read-only for all but admins (spacehub.notebook.contents); a new
            # dict: the environment given in the hub's config is every spawner's
            spawner.environment = {**spawner.environment, READ_ONLY_ENV: "" if spawner.user.admin else "shared"}
    except (OSError, KeyError, TimeoutError) as e:  # the server starts without them, the log says why
        spawner.log.warning("shared folders for %s not set up: %s", name, e)
        return
    if any(changed.values()) or links:
        spawner.log.info("shared folders for %s: %s %s", name, changed, links)


def main(argv: list[str] | None = None) -> int:
    """``python -m spacehub.hub.homes FOLDER``: install the templates of the tar on standard input into
    FOLDER, as the account running it; print what happened (JSON)."""
    import sys
    import tempfile

    (dest,) = argv if argv is not None else sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode="r") as tar:
            members = tar.getmembers()
            # regular files under the folder only (Python < 3.11.4, Debian 12's, has no extraction filters)
            if any(not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in Path(m.name).parts
                   for m in members):
                raise SystemExit("refusing a templates archive with links or paths outside its folder")
            tar.extractall(tmp, members)  # checked just above
        print(json.dumps(install_templates(Path(tmp), Path(dest))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
