"""A workshop's life on the real hub, from the host's command line: create → prewarm → a seat logs in with the
workshop password → the materials are in its home → the student edits, the instructor updates the
materials → the edit survives → the instructor opens the student's server, another student cannot →
end → every seat's work archived and verified → the seats' logins refused. Bad input refused with
nothing half-made.

People of this file: walt (instructor), the seats tides-01..03, ursula (another user of the hub).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from gittools import git, served
from hubtools import Kernel, wait_for

from spacehub.config import load_settings
from spacehub.workshops.archive import verify
from spacehub.workshops.cli import WorkshopError, create, end, prewarm, status

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LESSON = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Lesson 1"},
    {"cell_type": "code", "id": "c", "metadata": {}, "outputs": [], "execution_count": None,
     "source": "import colorsys\nfrom fractions import Fraction"}]}


def contents(hub, user: str, token: str, path: str) -> requests.Response:
    return requests.get(hub.url + f"user/{user}/api/contents/{path}", headers={"Authorization": f"token {token}"},
                        timeout=30, allow_redirects=False)


def test_a_workshop_from_creation_to_its_archive(hub, tmp_path):
    settings = load_settings(hub.config)
    admin = hub.admin()
    for name in ("walt", "ursula"):
        assert hub.api("POST", f"users/{name}", session=admin).status_code in (201, 409)
    materials = tmp_path / "materials"
    materials.mkdir()
    (materials / "lesson.ipynb").write_text(json.dumps(LESSON))
    said: list[str] = []
    record = create(settings, "tides", 3, None, ["walt"], str(materials), out=said.append, opens="lesson.ipynb")
    password = said[-1].rsplit(" ", 1)[1]
    assert record["seats"] == ["tides-01", "tides-02", "tides-03"]
    assert password not in (Path(settings.state_dir) / "workshops" / "tides.json").read_text()  # hashed only
    group = hub.api("GET", "groups/tides", session=admin).json()
    assert sorted(group["users"]) == ["tides-01", "tides-02", "tides-03", "walt"]

    # every seat's server started ahead of the session, and in it the lesson's kernel, its modules imported
    assert prewarm(settings, "tides", out=said.append, progress=False) == dict.fromkeys(record["seats"], "ready")
    assert said[-1] == "3 of 3 seats ready (lesson.ipynb open, its kernel started)"
    token = hub.token_for("tides-02")
    server = hub.url + "user/tides-02/"
    auth = {"Authorization": f"token {token}"}
    sessions = requests.get(server + "api/sessions", headers=auth, timeout=30).json()
    assert [s["path"] for s in sessions] == ["tides/lesson.ipynb"]
    # JupyterLab lands on the lesson, and opening it joins that kernel (no second one)
    landing = requests.get(server, headers=auth, timeout=30, allow_redirects=False)
    assert urlsplit(landing.headers["Location"]).path.endswith("/user/tides-02/lab/tree/tides/lesson.ipynb")
    opened = requests.post(server + "api/sessions", headers=auth, timeout=30, json={
        "path": "tides/lesson.ipynb", "type": "notebook", "name": "lesson.ipynb", "kernel": {"name": "python3"}})
    assert opened.json()["kernel"]["id"] == sessions[0]["kernel"]["id"]
    assert len(requests.get(server + "api/kernels", headers=auth, timeout=30).json()) == 1
    warm = Kernel(server, token, kernel_id=sessions[0]["kernel"]["id"])
    try:  # the modules are loaded, nothing is bound in the notebook's namespace, in the lesson's folder
        assert warm.run("import os, sys; print('colorsys' in sys.modules, 'fractions' in sys.modules, "
                        "'colorsys' in dir(), os.getcwd().endswith('tides'))") == "True True False True\n"
    finally:
        warm.ws.close()

    # the seat logs in with the workshop password (any other is refused) and finds the materials
    with pytest.raises(PermissionError):
        hub.login("tides-01", "not-the-password")
    student = hub.user_kernel("tides-01", password)
    lesson = contents(hub, "tides-01", student.token, "tides/lesson.ipynb")
    assert lesson.status_code == 200 and lesson.json()["content"]["cells"][0]["source"] == "# Lesson 1"
    # the student edits it; the instructor updates the materials; at the next start the edit is still hers
    edited = {**LESSON, "cells": LESSON["cells"] + [{"cell_type": "markdown", "id": "s", "metadata": {},
                                                     "source": "my notes"}]}
    r = requests.put(hub.url + "user/tides-01/api/contents/tides/lesson.ipynb", timeout=30,
                     headers={"Authorization": f"token {student.token}"},
                     json={"type": "notebook", "format": "json", "content": edited})
    assert r.status_code == 200, r.text
    (materials / "lesson.ipynb").write_text(json.dumps({**LESSON, "cells": [{**LESSON["cells"][0], "source": "# Lesson 1, v2"}]}))
    student.close()
    assert hub.api("DELETE", "users/tides-01/server", session=admin).status_code in (202, 204)
    wait_for(lambda: not hub.api("GET", "users/tides-01", session=admin).json()["servers"], 60, what="stopped")
    student = hub.user_kernel("tides-01", password)
    mine = contents(hub, "tides-01", student.token, "tides/lesson.ipynb").json()["content"]
    assert mine["cells"][-1]["source"] == "my notes"
    beside = [f["name"] for f in contents(hub, "tides-01", student.token, "tides").json()["content"]]
    assert any(n.startswith("lesson.updated-") for n in beside), beside  # the new version, beside hers

    # the instructor opens her server (shared with him); another student and another user cannot
    walt = hub.token_for("walt")
    assert contents(hub, "tides-01", walt, "tides/lesson.ipynb").status_code == 200
    for other in ("tides-02", "ursula"):
        assert contents(hub, "tides-01", hub.token_for(other), "tides/lesson.ipynb").status_code in (403, 404)

    lines: list[str] = []
    rows = status(settings, "tides", out=lines.append)
    assert [r["server"] for r in rows] == ["ready"] * 3 and "3 of 3 servers running" in lines[-1]

    # the end: servers stopped, every seat archived and verified, then the logins refused
    student.close()
    folder = end(settings, "tides", out=lines.append)
    homes = Path(settings.state_dir) / "homes"
    assert folder.parent == homes / "walt" / "workshop-archives"
    assert verify(folder, {s: homes / s for s in record["seats"]}) == []
    with tarfile.open(folder / "tides-01.tar.gz") as tar:
        kept = json.load(io.TextIOWrapper(tar.extractfile("tides-01/tides/lesson.ipynb")))
    assert "".join(kept["cells"][-1]["source"]) == "my notes"
    assert not any(hub.api("GET", f"users/{seat}", session=admin).json()["servers"] for seat in record["seats"])
    with pytest.raises(PermissionError):
        hub.login("tides-01", password)
    assert contents(hub, "tides-01", walt, "tides/lesson.ipynb").status_code != 200  # no share any more
    assert (homes / "tides-01" / "tides" / "lesson.ipynb").exists()  # nothing deleted
    with pytest.raises(WorkshopError, match="ended on"):
        end(settings, "tides", out=lines.append)


def test_bad_workshops_are_refused_with_nothing_made(hub, tmp_path):
    settings = load_settings(hub.config)
    for name in ("walt", "ursula"):
        assert hub.api("POST", f"users/{name}", session=hub.admin()).status_code in (201, 409)
    users_before = {u["name"] for u in hub.api("GET", "users", session=hub.admin()).json()}
    roster = tmp_path / "people.csv"
    roster.write_text("username,name\nada,Ada\n2bad,X\n")
    cases = [
        (dict(name="Bad Name", seats=3, roster=None, instructors=["walt"], materials=None), "workshop name"),
        (dict(name="lenses", seats=3, roster=None, instructors=["nobody-here"], materials=None), "not users of this hub"),
        (dict(name="lenses", seats=None, roster=str(roster), instructors=["walt"], materials=None), "line 3"),
        (dict(name="lenses", seats=3, roster=None, instructors=["walt"], materials=str(tmp_path / "none")),
         "does not exist"),
        (dict(name="lenses", seats=None, roster=None, instructors=["walt"], materials=None), "--seats"),
        (dict(name="lenses", seats=3, roster=None, instructors=["walt"], materials=None, opens="a.ipynb"),
         "give the materials too"),
        (dict(name="lenses", seats=3, roster=None, instructors=["walt"], materials=str(tmp_path),
              opens="missing.ipynb"), "no such notebook in the materials"),
        (dict(name="lenses", seats=3, roster=None, instructors=["walt"], materials=str(tmp_path),
              opens="../people.csv"), "name a notebook of the materials by its path"),
    ]
    (tmp_path / "clash.csv").write_text("username\nursula\n")
    assert hub.api("POST", "groups/wavelets", session=hub.admin()).status_code in (201, 409)
    cases.append((dict(name="wavelets", seats=2, roster=None, instructors=["walt"], materials=None),
                  "hub group wavelets exists already"))
    cases.append((dict(name="lenses", seats=None, roster=str(tmp_path / "clash.csv"), instructors=["walt"],
                       materials=None), "ursula is already a user"))
    for kw, said in cases:
        with pytest.raises(WorkshopError, match=said):
            create(settings, out=lambda *_: None, **kw)
    assert {u["name"] for u in hub.api("GET", "users", session=hub.admin()).json()} == users_before
    assert hub.api("GET", "groups/lenses", session=hub.admin()).status_code == 404


@pytest.fixture
def lessons(tmp_path):
    """vera's course as a git repository served over HTTP on this machine: ``(working copy, URL)``."""
    work, bare = tmp_path / "course", tmp_path / "served" / "reefs.git"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "lesson.ipynb").write_text(json.dumps(LESSON, indent=1))
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "lesson 1", cwd=work)
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    git("remote", "add", "origin", str(bare), cwd=work)
    with served(tmp_path / "served") as base:
        yield work, f"{base}/reefs.git"


def test_instructors_run_their_own_workshops_through_the_service(hub, tmp_path, lessons):
    """The workshops service: admins make workshops (materials from a git repository), each instructor
    sees and runs their own only, a seat's one-time link signs it in once, an instructor's new commit
    reaches a seat without undoing her edit, prewarm and end over the API, the end time ends a workshop.
    People: vera (instructor of reefs), walt (of tides, from the test above, or none), ursula."""
    settings = load_settings(hub.config)
    admin = hub.admin()
    for name in ("walt", "vera", "ursula"):
        assert hub.api("POST", f"users/{name}", session=admin).status_code in (201, 409)
    course, url = lessons
    api = hub.url + "services/workshops/api/workshops"
    tokens = {who: hub.token_for(who) for who in ("walt", "vera", "ursula", "admin")}

    def call(method: str, path: str, who: str | None, **kw) -> requests.Response:
        headers = {"Authorization": f"token {tokens[who]}"} if who else {}
        return requests.request(method, api + path, headers=headers, timeout=120, **kw)

    # only admins make workshops; bad input is refused with what to do and nothing made
    reefs = {"name": "reefs", "roster": "username,name\nreefs-ana,Ana Lima\nreefs-ben,Ben Okoro\n",
             "instructors": ["vera"], "materials": url, "dask_cores": 2, "dask_memory_gib": 4}
    assert call("POST", "", "vera", json=reefs).status_code == 403
    assert call("POST", "", None, json=reefs).status_code == 403  # no token, no XSRF token: refused first
    for bad, said in (({**reefs, "name": "reefs2", "roster": "username\nursula\n"}, "ursula is already a user"),
                      ({**reefs, "name": "reefs2", "roster": "username\n2bad\n"}, "line 2"),
                      ({**reefs, "name": "reefs2", "ends": "tomorrow"}, "is not a time"),
                      ({**reefs, "name": "reefs2", "seats": "many", "roster": None}, "whole number"),
                      ({**reefs, "name": "reefs2", "profile": "huge"}, "no profile 'huge'"),
                      ({**reefs, "name": "reefs2", "dask_cores": 0.5}, "cannot hold one cluster"),
                      ({**reefs, "name": "reefs2", "materials": url.replace("reefs.git", "gone.git")},
                       "cannot be read")):
        r = call("POST", "", "admin", json=bad)
        assert r.status_code == 400 and said in r.json()["message"], (bad, r.text)
    assert hub.api("GET", "groups/reefs2", session=admin).status_code == 404
    r = call("POST", "", "admin", json=reefs)
    assert r.status_code == 201, r.text
    password = r.json()["password"]
    assert r.json()["seats"] == ["reefs-ana", "reefs-ben"]

    # each instructor sees their own workshops; anyone else is told there is none
    assert [w["name"] for w in call("GET", "", "vera").json()] == ["reefs"]
    assert "reefs" in [w["name"] for w in call("GET", "", "admin").json()]
    assert call("GET", "", "ursula").json() == []
    for who in ("walt", "ursula"):
        for method, path in (("GET", "/reefs"), ("POST", "/reefs/links"), ("POST", "/reefs/prewarm"),
                             ("POST", "/reefs/end")):
            assert call(method, path, who).status_code == 404, (who, method, path)
    assert call("GET", "/reefs", None).status_code == 401
    assert call("GET", "/reefs?token=" + tokens["vera"], None).status_code == 400  # never a token in a URL

    # a one-time login link: the code after '#' (no server sees it); it signs its seat in once
    link = call("POST", "/reefs/links", "vera", json={"seats": ["reefs-ana"]}).json()["reefs-ana"]
    page, fragment = link.split("#")
    assert page == hub.url + "hub/login"
    code = dict(pair.split("=") for pair in fragment.split("&"))["code"]
    assert code not in (Path(settings.state_dir) / "workshops" / "reefs.json").read_text()  # its hash only
    hub.login("reefs-ana", code)
    with pytest.raises(PermissionError):
        hub.login("reefs-ana", code)
    hub.login("reefs-ben", password)  # the workshop password works beside the links

    # prewarm from the API; the status says each seat's server and what its processes use
    assert call("POST", "/reefs/prewarm", "vera").status_code == 202
    wait_for(lambda: [s["server"] for s in call("GET", "/reefs", "vera").json()["status"]] == ["ready", "ready"],
             180, what="reefs' seats ready")
    rows = call("GET", "/reefs", "vera").json()["status"]
    assert [r["name"] for r in rows] == ["Ana Lima", "Ben Okoro"] and all(r["memory_mib"] > 20 for r in rows)
    seat = hub.token_for("reefs-ana")
    assert requests.get(api + "/reefs", headers={"Authorization": f"token {seat}"}, timeout=30).status_code == 404

    # the materials, pulled from vera's repository; ana edits the lesson, vera commits a new version
    # and a second notebook: at ana's next start both arrive and her edit is still there
    lesson = contents(hub, "reefs-ana", seat, "reefs/lesson.ipynb").json()["content"]
    assert lesson["cells"][0]["source"] == "# Lesson 1"
    mine = {**lesson, "cells": lesson["cells"] + [{"cell_type": "markdown", "id": "a", "metadata": {},
                                                   "source": "ana's notes"}]}
    r = requests.put(hub.url + "user/reefs-ana/api/contents/reefs/lesson.ipynb", timeout=30,
                     headers={"Authorization": f"token {seat}"}, json={"type": "notebook", "content": mine})
    assert r.status_code == 200, r.text
    (course / "lesson.ipynb").write_text(json.dumps({**LESSON, "cells": [{**LESSON["cells"][0],
                                                                          "source": "# Lesson 1, corrected"}]}, indent=1))
    (course / "lesson2.ipynb").write_text(json.dumps(LESSON, indent=1))
    git("commit", "-qam", "lesson 1 corrected", cwd=course)
    git("add", "lesson2.ipynb", cwd=course)
    git("commit", "-qm", "lesson 2", cwd=course)
    git("push", "-q", "origin", "main", cwd=course)
    assert hub.api("DELETE", "users/reefs-ana/server", session=admin).status_code in (202, 204)
    wait_for(lambda: not hub.api("GET", "users/reefs-ana", session=admin).json()["servers"], 60, what="ana stopped")
    assert call("POST", "/reefs/prewarm", "vera").status_code == 202
    wait_for(lambda: [s["server"] for s in call("GET", "/reefs", "vera").json()["status"]] == ["ready", "ready"],
             180, what="ana's server again")
    wait_for(lambda: call("GET", "/reefs", "vera").json()["under_way"] is None, 60, what="prewarm done")
    cells = [c["source"] for c in contents(hub, "reefs-ana", seat, "reefs/lesson.ipynb").json()["content"]["cells"]]
    assert cells[-1] == "ana's notes", cells  # her edit kept
    assert contents(hub, "reefs-ana", seat, "reefs/lesson2.ipynb").status_code == 200  # the new one arrived

    # the seats share 2 cores for Dask (each alone could hold 4): a scheduler each, then no room for a worker
    ben_token = hub.token_for("reefs-ben")
    ana, ben = hub.gateway(seat), hub.gateway(ben_token)
    hers, his = ana.new(), ben.new()
    wait_for(lambda: ana.status(hers) == "RUNNING" and ben.status(his) == "RUNNING", 90, what="the seats' clusters")
    assert [r["clusters"] for r in call("GET", "/reefs", "vera").json()["status"]] == [1, 1]  # the status counts them
    r = ana.scale(hers, 1)
    assert r.status_code == 409 and "The workshop reefs's seats share 2 cores" in r.json()["error"], r.text
    assert "at most 0 worker(s)" in r.json()["error"]
    assert ben.stop(his).status_code == 204
    wait_for(lambda: his not in ben.names(), 60, what="ben's cluster gone")
    assert ana.scale(hers, 1).status_code == 200  # room again once another seat's cluster stopped
    assert ana.stop(hers).status_code == 204

    # the instructor ends it: archived and verified into her home, logins refused
    assert call("POST", "/reefs/end", "vera").status_code == 202
    wait_for(lambda: call("GET", "/reefs", "vera").json()["ended"], 180, what="reefs ended")
    ended = call("GET", "/reefs", "vera").json()
    assert ended["problem"] is None and Path(ended["archive"]).parent == Path(settings.state_dir) / "homes" / "vera" / \
        "workshop-archives"
    assert verify(Path(ended["archive"]), {}) == []
    with pytest.raises(PermissionError):
        hub.login("reefs-ben", password)
    # still logged in somewhere (a browser, a token): his server does not start again
    r = hub.api("POST", "users/reefs-ben/server", token=ben_token)
    assert r.status_code >= 400 and "The workshop reefs has ended" in r.text, r.text
    assert not hub.api("GET", "users/reefs-ben", session=admin).json()["servers"]
    assert call("POST", "/reefs/prewarm", "vera").status_code == 409

    # a workshop ends by itself at its end time (the service looks every second here)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)).isoformat(timespec="seconds")
    r = call("POST", "", "admin", json={"name": "shoals", "seats": 1, "instructors": ["vera"], "ends": soon})
    assert r.status_code == 201, r.text
    wait_for(lambda: call("GET", "/shoals", "vera").json()["ended"], 60, what="shoals ended at its end time")
    assert Path(call("GET", "/shoals", "vera").json()["archive"], "manifest.json").is_file()
    with pytest.raises(PermissionError):
        hub.login("shoals-01", r.json()["password"])


def test_the_readmes_workshop_commands_run_as_written(hub, tmp_path):
    """README "Running a workshop": its create command (on another name, the materials in a folder of
    this test) and its links command, through the command line's own entry."""
    import re
    import shlex

    from spacehub.workshops.cli import main

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Running a workshop"):readme.index("## Operating it")]
    command = re.search(r"```sh\n(.*?)```", section, flags=re.S).group(1).replace("\\\n", " ")
    argv = shlex.split(command)
    assert argv[:3] == ["spacehub", "workshop", "create"]
    materials = tmp_path / "course"
    materials.mkdir()
    (materials / "lesson.ipynb").write_text(json.dumps(LESSON))
    argv = [str(materials) if a == "~/optics-course" else "prisms" if a == "optics" else a for a in argv[2:]]
    for name in ("alice", "bob"):
        assert hub.api("POST", f"users/{name}", session=hub.admin()).status_code in (201, 409)
    settings = load_settings(hub.config)
    said: list[str] = []
    assert main(settings, argv, out=said.append) == 0
    assert said[0].startswith("workshop prisms: 40 seats (prisms-01 ... prisms-40), instructors alice, bob")
    record = json.loads((Path(settings.state_dir) / "workshops" / "prisms.json").read_text())
    assert (record["starts"], record["ends"]) == ("2026-12-07T09:00:00+00:00", "2026-12-08T17:00:00+00:00")
    assert record["opens"] == "lesson.ipynb"
    for line in section.splitlines():
        if "`spacehub workshop links optics`" in line:
            break
    else:
        pytest.fail("the README no longer shows `spacehub workshop links`")
    said.clear()
    assert main(settings, ["links", "prisms"], out=said.append) == 0
    assert said[0] == "seat,link" and len(said) == 41 and said[1].startswith("prisms-01," + hub.url + "hub/login#seat=")
