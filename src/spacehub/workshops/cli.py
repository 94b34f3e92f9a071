"""``spacehub workshop create | prewarm | status | end``: a workshop from the host's command line.

Run as the account that runs the hub (like ``spacehub groups``): it talks to the running hub with the
``admin-cli`` service's token and keeps the workshop's record in the state dir.

- ``create NAME (--seats N | --roster FILE) --instructors a,b [--materials FOLDER]``: everything is
  checked first (the name, the roster, the instructors, names already in use, the materials folder);
  then the seats are made as hub users, a hub group NAME holds seats and instructors (its folder
  ``groups/NAME/`` where folders are on), each seat's server is shared with the instructors (they open
  it from their home page: "look over the shoulder"), and the workshop password is printed once. If
  a step fails, what was made is undone.
- ``prewarm NAME``: every seat's server started ahead of the session (the hub starts them a few at a
  time), with a progress bar, until all are ready.
- ``status NAME``: each seat, whether its server runs, its last activity.
- ``end NAME``: the seats' servers stopped, every seat's home archived into the first instructor's
  ``~/workshop-archives/`` and verified against its checksums; only then the shares are removed and the
  seats' logins refused. Nothing is deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pwd
import secrets
import time
from pathlib import Path
from typing import Any

from ..config import Settings
from . import records
from .roster import RosterError, clashes, generated, read_roster


class WorkshopError(RuntimeError):
    """What went wrong, said so that the instructor or operator knows what to do."""


def _api(settings: Settings):
    from ..hub.groups import admin_api

    return admin_api(settings, WorkshopError)


def create(settings: Settings, name: str, seats: int | None, roster: str | None, instructors: list[str],
           materials: str | None, out=print) -> dict[str, Any]:
    if records.load(settings.state_dir, name) is not None:
        raise WorkshopError(f"a workshop {name} exists already (ended or not): choose another name")
    try:
        if roster:
            try:
                text = Path(roster).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise WorkshopError(f"the roster {roster} cannot be read: {e}") from None
            people = read_roster(text, name)
        elif seats:
            people = generated(name, seats)
        else:
            raise WorkshopError("say how many seats (--seats 40) or give a roster (--roster people.csv)")
    except RosterError as e:
        raise WorkshopError(str(e)) from None
    if not instructors:
        raise WorkshopError("name at least one instructor (--instructors alice,bob): hub users who teach it")
    if materials is not None:
        source = Path(materials).expanduser().resolve()
        if not source.is_dir() or not any(source.iterdir()):
            raise WorkshopError(f"the materials folder {materials} is missing or empty")
        materials = str(source)
    call = _api(settings)
    if name in {g["name"] for g in call("GET", "groups") or []}:
        raise WorkshopError(f"a hub group {name} exists already: choose another workshop name (its group and "
                            "its folder are the workshop's own)")
    hub_users = {u["name"] for u in call("GET", "users") or []}
    missing = [i for i in instructors if i not in hub_users]
    if missing:
        raise WorkshopError(f"instructor(s) {', '.join(missing)} are not users of this hub: add them first")
    taken = set(hub_users)
    if settings.mode == "isolated":
        taken |= {p.pw_name for p in pwd.getpwall()}
    try:
        clashes(people, taken | set(instructors))
    except RosterError as e:
        raise WorkshopError(str(e)) from None
    names = [p.name for p in people]
    password = secrets.token_urlsafe(9)
    made: list[tuple[str, str]] = []
    try:
        call("POST", "users", json={"usernames": names})
        made.append(("users", ""))
        call("POST", f"groups/{name}", json={"users": names + instructors})
        made.append(("group", name))
        for seat in names:
            for teacher in instructors:
                call("POST", f"shares/{seat}/", json={"user": teacher})
        record = {"name": name, "seats": names, "instructors": instructors, "materials": materials,
                  "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "ended": None,
                  "password": records.hash_password(password),
                  "people": {p.name: {"name": p.full_name, "email": p.email} for p in people}}
        records.save(settings.state_dir, record)
    except BaseException:
        for kind, what in reversed(made):  # undo: nothing half-created
            try:
                if kind == "group":
                    call("DELETE", f"groups/{what}")
                else:
                    for seat in names:
                        call("DELETE", f"users/{seat}")
            except WorkshopError:
                pass
        raise
    out(f"workshop {name}: {len(names)} seats ({names[0]} ... {names[-1]}), instructors {', '.join(instructors)}")
    out(f"workshop password (shown once; give it to the participants): {password}")
    return record


def status(settings: Settings, name: str, out=print) -> list[dict[str, Any]]:
    record = _record(settings, name)
    call = _api(settings)
    rows = []
    for seat in record["seats"]:
        model = call("GET", f"users/{seat}")
        server = (model.get("servers") or {}).get("", {})
        rows.append({"seat": seat, "server": "ready" if server.get("ready") else "pending" if server.get("pending")
                     else "-", "last_activity": model.get("last_activity") or "never"})
    out(f"workshop {name}" + (f" (ended {record['ended']})" if record.get("ended") else ""))
    out(f"{'seat':<24} {'server':<8} last activity")
    for r in rows:
        out(f"{r['seat']:<24} {r['server']:<8} {r['last_activity']}")
    running = sum(r["server"] == "ready" for r in rows)
    out(f"{running} of {len(rows)} servers running")
    return rows


def prewarm(settings: Settings, name: str, out=print, timeout: float = 600, progress: bool = True) -> dict[str, str]:
    """Start every seat's server ahead of the session; the hub starts them a few at a time
    (``spawner.concurrent_starts``), in order. Returns each seat's state when done or at the deadline."""
    from tqdm import tqdm

    record = _record(settings, name)
    if record.get("ended"):
        raise WorkshopError(f"the workshop {name} ended on {record['ended']}")
    call = _api(settings)

    def state(seat: str) -> str:
        server = (call("GET", f"users/{seat}").get("servers") or {}).get("", {})
        return "ready" if server.get("ready") else "starting" if server else "stopped"

    for seat in record["seats"]:
        if state(seat) == "stopped":
            call("POST", f"users/{seat}/server")
    deadline = time.monotonic() + timeout
    states = {seat: state(seat) for seat in record["seats"]}
    with tqdm(total=len(states), desc=f"{name}: servers ready", unit="seat", disable=not progress) as bar:
        bar.update(sum(s == "ready" for s in states.values()))
        while any(s != "ready" for s in states.values()) and time.monotonic() < deadline:
            time.sleep(1)
            for seat, s in states.items():
                if s != "ready" and (now := state(seat)) != s:
                    states[seat] = now
                    bar.update(now == "ready")
    ready = sum(s == "ready" for s in states.values())
    out(f"{ready} of {len(states)} servers ready" + ("" if ready == len(states) else
        f"; not yet: {', '.join(k for k, v in states.items() if v != 'ready')}"))
    return states


def end(settings: Settings, name: str, out=print, timeout: float = 120) -> Path:
    from ..hub.homes import user_home
    from .archive import archive_seats, verify

    record = _record(settings, name)
    if record.get("ended"):
        raise WorkshopError(f"the workshop {name} ended on {record['ended']}; its archive: {record.get('archive')}")
    call = _api(settings)
    for seat in record["seats"]:
        model = call("GET", f"users/{seat}")
        if (model.get("servers") or {}).get(""):
            call("DELETE", f"users/{seat}/server")
    deadline = time.monotonic() + timeout
    while any((call("GET", f"users/{s}").get("servers") or {}).get("") for s in record["seats"]):
        if time.monotonic() > deadline:
            raise WorkshopError(f"seats' servers still running after {timeout:g} s: nothing archived yet, run "
                                "`spacehub workshop end` again")
        time.sleep(0.5)
    homes = {seat: _home(settings, seat, user_home) for seat in record["seats"]}
    teacher = record["instructors"][0]
    teacher_home = _home(settings, teacher, user_home)
    dest = teacher_home / "workshop-archives"
    dest.mkdir(parents=True, exist_ok=True)
    folder = archive_seats(homes, dest, name)
    problems = verify(folder, homes)
    if problems:
        raise WorkshopError(f"the archive {folder} did not verify, so nothing was disabled: {'; '.join(problems[:5])}")
    if settings.mode == "isolated":  # the instructor's own files
        entry = pwd.getpwnam(teacher)
        for path in (dest, folder, *folder.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    for seat in record["seats"]:
        call("DELETE", f"shares/{seat}/")
    record.update(ended=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), archive=str(folder))
    records.save(settings.state_dir, record)
    out(f"workshop {name} ended: {len(homes)} seats archived and verified in {folder}; their logins are refused now")
    return folder


def _home(settings: Settings, user: str, user_home) -> Path:
    if settings.mode == "isolated":
        try:
            return Path(pwd.getpwnam(user).pw_dir)
        except KeyError:
            return settings.isolated.home_root / user  # never logged in: no account, no home
    return user_home(user, str(settings.state_dir / "homes" / "{username}"))[0]


def _record(settings: Settings, name: str) -> dict[str, Any]:
    record = records.load(settings.state_dir, name)
    if record is None:
        known = ", ".join(r["name"] for r in records.every(settings.state_dir)) or "none yet"
        raise WorkshopError(f"no workshop {name} (workshops: {known})")
    return record


def main(settings: Settings, argv: list[str], out=print) -> int:
    p = argparse.ArgumentParser(prog="spacehub workshop", description="a workshop on this hub, from the host")
    sub = p.add_subparsers(dest="action", required=True)
    c = sub.add_parser("create", help="seats, a group, shares with the instructors, the materials")
    c.add_argument("name")
    c.add_argument("--seats", type=int)
    c.add_argument("--roster", help="a CSV file: username,name,email")
    c.add_argument("--instructors", required=True, help="hub users, comma-separated")
    c.add_argument("--materials", help="a folder whose files every seat gets in ~/NAME (edits are never overwritten)")
    s = sub.add_parser("status", help="each seat's server and last activity")
    s.add_argument("name")
    w = sub.add_parser("prewarm", help="start every seat's server ahead of the session (a progress bar)")
    w.add_argument("name")
    e = sub.add_parser("end", help="stop the seats, archive and verify their work, refuse their logins")
    e.add_argument("name")
    args = p.parse_args(argv)
    if args.action == "create":
        create(settings, args.name, args.seats, args.roster, [i for i in args.instructors.split(",") if i],
               args.materials, out=out)
    elif args.action == "status":
        status(settings, args.name, out=out)
    elif args.action == "prewarm":
        states = prewarm(settings, args.name, out=out)
        return 0 if all(s == "ready" for s in states.values()) else 1
    else:
        end(settings, args.name, out=out)
    return 0

