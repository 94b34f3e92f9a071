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
  time), with a progress bar, until all are ready; where the workshop opens a notebook (``create
  --opens``), until its kernel is also started in each seat's server, its modules imported.
- ``status NAME``: each seat, whether its server runs, its last activity.
- ``end NAME``: the seats' servers stopped, every seat's home archived into the first instructor's
  ``~/workshop-archives/`` and verified against its checksums; only then the shares are removed and the
  seats' logins refused. Nothing is deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pwd
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..config import Settings
from . import records
from .roster import RosterError, clashes, generated, read_roster


class WorkshopError(RuntimeError):
    """What went wrong, said so that the instructor or operator knows what to do."""


def _api(settings: Settings, call=None):
    """The hub's REST API: ``call`` as given (the workshops service's own token), else the ``admin-cli`` token's."""
    if call is not None:
        return call
    from ..hub.groups import admin_api

    return admin_api(settings, WorkshopError)


def _time(text: str | None, what: str) -> str | None:
    """An ISO 8601 time as the record keeps it (UTC); a time without a zone is UTC."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WorkshopError(f"--{what} {text!r} is not a time: write it as 2026-12-04T09:00 (UTC) or "
                            "2026-12-04T09:00+01:00") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).isoformat(timespec="seconds")


def create(settings: Settings, name: str, seats: int | None, roster: str | None, instructors: list[str],
           materials: str | None, out=print, *, starts: str | None = None, ends: str | None = None,
           profile: str | None = None, dask_cores: float | None = None, dask_memory_gib: float | None = None,
           roster_text: str | None = None, opens: str | None = None, call=None) -> dict[str, Any]:
    """Make the workshop (see the module's text); ``roster`` is a CSV file, ``roster_text`` its text as given
    (the service's API); ``opens``: the notebook of the materials a seat's JupyterLab opens, its kernel
    started with the server."""
    if settings.auth.type != "local":
        raise WorkshopError(f"workshops need local logins (auth.type: local; this hub's is {settings.auth.type}): "
                            "seats log in with the workshop's password or their own link")
    if records.load(settings.state_dir, name) is not None:
        raise WorkshopError(f"a workshop {name} exists already (ended or not): choose another name")
    starts, ends = _time(starts, "starts"), _time(ends, "ends")
    if ends is not None and ends <= (starts or records.now().isoformat(timespec="seconds")):
        raise WorkshopError(f"--ends {ends} is not after the workshop starts ({starts or 'now'})")
    try:
        if roster_text is not None:
            people = read_roster(roster_text, name)
        elif roster:
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
    seat_size = _profile(settings, profile)
    dask = _dask_quota(settings, dask_cores, dask_memory_gib)
    if not instructors:
        raise WorkshopError("name at least one instructor (--instructors alice,bob): hub users who teach it")
    call = _api(settings, call)
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
    given: dict[str, Any] | None = None
    if materials is not None:  # a folder, a git repository (checked reachable), gallery entries (copied now)
        from .materials import MaterialsError, describe

        try:
            given = describe(materials, state_dir=settings.state_dir, name=name, instructors=instructors)
        except MaterialsError as e:
            raise WorkshopError(str(e)) from None
    opens = _opens(opens, given)
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
        record = {"name": name, "seats": names, "instructors": instructors, "materials": given,
                  "created": records.now().isoformat(timespec="seconds"), "ended": None, "starts": starts,
                  "ends": ends, "links": {}, "profile": seat_size, "dask": dask, "opens": opens,
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
    if ends:
        out(f"it ends by itself at {ends} (UTC): servers stopped, every seat's work archived for the instructors")
    out(f"workshop password (shown once; give it to the participants): {password}")
    return record


def _opens(notebook: str | None, materials: dict[str, Any] | None) -> str | None:
    """The notebook every seat opens first, as a path in the materials (checked there, but in a git
    repository: it is pulled at each seat's start)."""
    if notebook is None:
        return None
    path = notebook.strip().strip("/")
    if materials is None:
        raise WorkshopError("--opens names a notebook of the materials: give the materials too (--materials)")
    if not path.endswith(".ipynb") or any(part in ("", ".", "..") for part in path.split("/")):
        raise WorkshopError(f"--opens {notebook!r}: name a notebook of the materials by its path in them, "
                            "e.g. getting-started.ipynb or day1/intro.ipynb")
    if materials["kind"] != "git" and not (Path(materials["path"]) / path).is_file():
        raise WorkshopError(f"--opens {notebook!r}: no such notebook in the materials ({materials['path']})")
    return path


def _profile(settings: Settings, name: str | None) -> dict[str, Any] | None:
    """The server size every seat gets (one of the settings' ``profiles``), as the record keeps it."""
    if name is None:
        return None
    known = {p.name: p for p in settings.profiles}
    if name not in known:
        raise WorkshopError(f"no profile {name!r} in this hub's settings (profiles: {', '.join(known) or 'none'}); "
                            "add one under `profiles:` or leave --profile out for the usual server size")
    chosen = known[name]
    return {"name": name, "cores": chosen.cores, "memory": chosen.memory}


def _dask_quota(settings: Settings, cores: float | None, memory_gib: float | None) -> dict[str, Any] | None:
    """The Dask quota the seats share (cores, bytes), or None: each seat has the usual per-user quota only."""
    if cores is None and memory_gib is None:
        return None
    if cores is None or memory_gib is None or not (cores > 0 and memory_gib > 0):
        raise WorkshopError("give both --dask-cores and --dask-memory-gib (positive numbers): what all seats' Dask "
                            "clusters may hold together")
    gw = settings.gateway
    if cores < gw.scheduler_cores + gw.worker_cores.min or memory_gib * 2**30 < gw.scheduler_memory + gw.worker_memory.min:
        raise WorkshopError(f"a Dask quota of {cores:g} cores, {memory_gib:g} GiB cannot hold one cluster (a scheduler "
                            f"of {gw.scheduler_cores:g} cores, {gw.scheduler_memory / 2**30:g} GiB and a worker)")
    return {"cores": float(cores), "memory": int(memory_gib * 2**30)}


def links(settings: Settings, name: str, seats: list[str] | None = None) -> dict[str, str]:
    """A new one-time login link for each seat (or the ones named): ``{seat: link}``. A link signs its seat
    in once; a seat's earlier link stops working. The code is after ``#`` so that no server ever logs it."""
    record = _record(settings, name)
    if record.get("ended"):
        raise WorkshopError(f"the workshop {name} ended on {record['ended']}")
    chosen = seats or record["seats"]
    unknown = [s for s in chosen if s not in record["seats"]]
    if unknown:
        raise WorkshopError(f"not seats of {name}: {', '.join(unknown)}")
    codes: dict[str, str] = {}

    def renew(rec: dict[str, Any]) -> None:
        for seat in chosen:
            codes[seat], rec.setdefault("links", {})[seat] = records.new_link_code()

    records.change(settings.state_dir, name, renew)
    base = settings.hub.public_url
    return {seat: f"{base}hub/login#{urlencode({'seat': seat, 'code': code})}" for seat, code in codes.items()}


def status(settings: Settings, name: str, out=print, call=None) -> list[dict[str, Any]]:
    """Each seat: its server (ready, pending, -), its last activity, its Dask clusters, the memory and CPU
    time of its processes on this machine (server, kernels, clusters); printed as a table, returned as rows."""
    record = _record(settings, name)
    call = _api(settings, call)
    models = _users(call, set(record["seats"]))
    used = usage(record["seats"])
    rows = []
    for seat in record["seats"]:
        model = models.get(seat, {})
        server = (model.get("servers") or {}).get("", {})
        mine = used.get(seat, {"rss": 0, "cpu": 0.0, "clusters": 0})
        rows.append({"seat": seat, "name": (record.get("people") or {}).get(seat, {}).get("name", ""),
                     "server": "ready" if server.get("ready") else "pending" if server.get("pending") else "-",
                     "last_activity": model.get("last_activity") or "never", "clusters": mine["clusters"],
                     "memory_mib": round(mine["rss"] / 2**20), "cpu_seconds": round(mine["cpu"], 1)})
    out(f"workshop {name}" + (f" (ended {record['ended']})" if record.get("ended") else
                              f" (ends {record['ends']})" if record.get("ends") else ""))
    out(f"{'seat':<24} {'server':<8} {'clusters':>8} {'memory':>9} {'cpu':>8}  last activity")
    for r in rows:
        out(f"{r['seat']:<24} {r['server']:<8} {r['clusters']:>8} {r['memory_mib']:>5} MiB {r['cpu_seconds']:>7.1f}s  "
            f"{r['last_activity']}")
    running = sum(r["server"] == "ready" for r in rows)
    out(f"{running} of {len(rows)} servers running, {sum(r['memory_mib'] for r in rows)} MiB in all")
    return rows


def _users(call, names: set[str]) -> dict[str, dict[str, Any]]:
    """The hub's models of ``names``, from its paged user list (one call per 200 users, not one per seat)."""
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        page = call("GET", f"users?offset={offset}&limit=200") or []
        found.update({u["name"]: u for u in page if u["name"] in names})
        if len(page) < 200:
            return found
        offset += len(page)


def usage(seats: list[str]) -> dict[str, dict[str, Any]]:
    """What each seat runs on this machine: ``{seat: {"rss": bytes, "cpu": seconds, "clusters": n}}``, its
    server and kernels (found by the ``JUPYTERHUB_USER`` the hub gives them) and its Dask clusters'
    schedulers and workers (by the owner the gateway gives them)."""
    import psutil

    from ..deploy.names import CLUSTER_OWNER_ENV

    wanted = set(seats)
    out: dict[str, dict[str, Any]] = {}
    for proc in psutil.process_iter(["pid"]):
        try:
            env = proc.environ()
            seat = env.get("JUPYTERHUB_USER") or env.get(CLUSTER_OWNER_ENV)
            if seat not in wanted:
                continue
            used = out.setdefault(seat, {"rss": 0, "cpu": 0.0, "clusters": set()})
            times = proc.cpu_times()
            used["rss"] += proc.memory_info().rss
            used["cpu"] += times.user + times.system
            if env.get(CLUSTER_OWNER_ENV):
                used["clusters"].add(env.get("DASK_GATEWAY_CLUSTER_NAME"))
        except (psutil.Error, OSError):
            continue  # gone, or not ours to read
    return {seat: {**used, "clusters": len(used["clusters"])} for seat, used in out.items()}


def prewarm(settings: Settings, name: str, out=print, timeout: float = 600, progress: bool = True,
            call=None) -> dict[str, str]:
    """Start every seat's server ahead of the session; the hub starts them a few at a time
    (``spawner.concurrent_starts``), in order. Where the workshop opens a notebook (``--opens``), a seat is
    ready once its server has also started that notebook's kernel and imported its modules. Returns each
    seat's state (ready, starting, stopped) when all are ready or at the deadline."""
    from tqdm import tqdm

    from ..hub.homes import user_home
    from ..notebook.warm import marker

    record = _record(settings, name)
    if record.get("ended"):
        raise WorkshopError(f"the workshop {name} ended on {record['ended']}")
    call = _api(settings, call)
    warm = {seat: marker(_home(settings, seat, user_home)) for seat in record["seats"]} if record.get("opens") else {}
    cold: dict[str, str] = {}  # seats whose kernel could not be started ahead, and why

    def state(seat: str) -> str:
        server = (call("GET", f"users/{seat}").get("servers") or {}).get("", {})
        if not server.get("ready"):
            return "starting" if server else "stopped"
        if seat not in warm:
            return "ready"
        try:
            done = json.loads(warm[seat].read_text())
        except (OSError, ValueError):
            return "starting"  # its kernel is starting
        if done.get("error"):
            cold[seat] = done["error"]
        return "ready"

    for seat in record["seats"]:
        if state(seat) == "stopped":
            call("POST", f"users/{seat}/server")
    deadline = time.monotonic() + timeout
    states = {seat: state(seat) for seat in record["seats"]}
    what = "servers and kernels ready" if warm else "servers ready"
    with tqdm(total=len(states), desc=f"{name}: {what}", unit="seat", disable=not progress) as bar:
        bar.update(sum(s == "ready" for s in states.values()))
        while any(s != "ready" for s in states.values()) and time.monotonic() < deadline:
            time.sleep(1)
            for seat, s in states.items():
                if s != "ready" and (now := state(seat)) != s:
                    states[seat] = now
                    bar.update(now == "ready")
    ready = sum(s == "ready" for s in states.values())
    out(f"{ready} of {len(states)} seats ready" + (f" ({record['opens']} open, its kernel started)" if warm else "")
        + ("" if ready == len(states) else f"; not yet: {', '.join(k for k, v in states.items() if v != 'ready')}"))
    for seat, why in cold.items():
        out(f"{seat}: its kernel was not started ahead ({why}); it starts when the notebook is opened")
    return states


def end(settings: Settings, name: str, out=print, timeout: float = 120, call=None) -> Path:
    from ..hub.homes import user_home
    from .archive import archive_seats, verify

    record = _record(settings, name)
    if record.get("ended"):
        raise WorkshopError(f"the workshop {name} ended on {record['ended']}; its archive: {record.get('archive')}")
    call = _api(settings, call)
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
    if settings.mode == "isolated":  # nothing runs as a seat's account any more; its files stay
        from ..hub.accounts import AccountError, lock

        for seat in record["seats"]:
            try:
                lock(seat)
            except AccountError as e:
                out(f"the Unix account {seat} was not locked: {e}")
    ended = records.now().isoformat(timespec="seconds")
    records.change(settings.state_dir, name, lambda r: r.update(ended=ended, archive=str(folder), links={}))
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
    c.add_argument("--starts", help="when seats may log in, e.g. 2026-12-07T09:00 (UTC unless a zone is given); "
                                   "default: now")
    c.add_argument("--ends", help="when the workshop ends by itself (servers stopped, work archived), e.g. "
                                 "2026-12-07T17:00")
    c.add_argument("--profile", help="the server size of every seat: one of the settings' profiles")
    c.add_argument("--dask-cores", type=float, help="cores all seats' Dask clusters may hold together")
    c.add_argument("--dask-memory-gib", type=float, help="memory (GiB) all seats' Dask clusters may hold together")
    c.add_argument("--opens", help="the notebook of the materials every seat's JupyterLab opens (e.g. "
                                  "getting-started.ipynb); its kernel starts with the seat's server")
    k = sub.add_parser("links", help="a one-time login link for each seat (CSV: seat,link), to hand out")
    k.add_argument("name")
    k.add_argument("seats", nargs="*", help="only these seats (default: all); their earlier links stop working")
    s = sub.add_parser("status", help="each seat's server and last activity")
    s.add_argument("name")
    w = sub.add_parser("prewarm", help="start every seat's server ahead of the session (a progress bar)")
    w.add_argument("name")
    e = sub.add_parser("end", help="stop the seats, archive and verify their work, refuse their logins")
    e.add_argument("name")
    args = p.parse_args(argv)
    if args.action == "create":
        create(settings, args.name, args.seats, args.roster, [i for i in args.instructors.split(",") if i],
               args.materials, out=out, starts=args.starts, ends=args.ends, profile=args.profile,
               dask_cores=args.dask_cores, dask_memory_gib=args.dask_memory_gib, opens=args.opens)
    elif args.action == "links":
        out("seat,link")
        for seat, link in links(settings, args.name, args.seats).items():
            out(f"{seat},{link}")
    elif args.action == "status":
        status(settings, args.name, out=out)
    elif args.action == "prewarm":
        states = prewarm(settings, args.name, out=out)
        return 0 if all(s == "ready" for s in states.values()) else 1
    else:
        end(settings, args.name, out=out)
    return 0

