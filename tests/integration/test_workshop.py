"""A workshop's life on the real hub, from the host's command line: create → a seat logs in with the
workshop password → the materials are in its home → the student edits, the instructor updates the
materials → the edit survives → the instructor opens the student's server, another student cannot →
end → every seat's work archived and verified → the seats' logins refused. Bad input refused with
nothing half-made.

People of this file: walt (instructor), the seats optics-01..03, ursula (another user of the hub).
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
import requests
from hubtools import wait_for

from spacehub.config import load_settings
from spacehub.workshops.archive import verify
from spacehub.workshops.cli import WorkshopError, create, end, status

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LESSON = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Lesson 1"}]}


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
    record = create(settings, "optics", 3, None, ["walt"], str(materials), out=said.append)
    password = said[-1].rsplit(" ", 1)[1]
    assert record["seats"] == ["optics-01", "optics-02", "optics-03"]
    assert password not in (Path(settings.state_dir) / "workshops" / "optics.json").read_text()  # hashed only
    group = hub.api("GET", "groups/optics", session=admin).json()
    assert sorted(group["users"]) == ["optics-01", "optics-02", "optics-03", "walt"]

    # the seat logs in with the workshop password (any other is refused) and finds the materials
    with pytest.raises(PermissionError):
        hub.login("optics-01", "not-the-password")
    student = hub.user_kernel("optics-01", password)
    lesson = contents(hub, "optics-01", student.token, "optics/lesson.ipynb")
    assert lesson.status_code == 200 and lesson.json()["content"]["cells"][0]["source"] == "# Lesson 1"
    # the student edits it; the instructor updates the materials; at the next start the edit is still hers
    edited = {**LESSON, "cells": LESSON["cells"] + [{"cell_type": "markdown", "id": "s", "metadata": {},
                                                     "source": "my notes"}]}
    r = requests.put(hub.url + "user/optics-01/api/contents/optics/lesson.ipynb", timeout=30,
                     headers={"Authorization": f"token {student.token}"},
                     json={"type": "notebook", "format": "json", "content": edited})
    assert r.status_code == 200, r.text
    (materials / "lesson.ipynb").write_text(json.dumps({**LESSON, "cells": [{**LESSON["cells"][0], "source": "# Lesson 1, v2"}]}))
    student.close()
    assert hub.api("DELETE", "users/optics-01/server", session=admin).status_code in (202, 204)
    wait_for(lambda: not hub.api("GET", "users/optics-01", session=admin).json()["servers"], 60, what="stopped")
    student = hub.user_kernel("optics-01", password)
    mine = contents(hub, "optics-01", student.token, "optics/lesson.ipynb").json()["content"]
    assert mine["cells"][-1]["source"] == "my notes"
    beside = [f["name"] for f in contents(hub, "optics-01", student.token, "optics").json()["content"]]
    assert any(n.startswith("lesson.updated-") for n in beside), beside  # the new version, beside hers

    # the instructor opens her server (shared with him); another student and another user cannot
    walt = hub.token_for("walt")
    assert contents(hub, "optics-01", walt, "optics/lesson.ipynb").status_code == 200
    for other in ("optics-02", "ursula"):
        assert contents(hub, "optics-01", hub.token_for(other), "optics/lesson.ipynb").status_code in (403, 404)

    lines: list[str] = []
    rows = status(settings, "optics", out=lines.append)
    assert [r["server"] for r in rows] == ["ready", "-", "-"] and "1 of 3 servers running" in lines[-1]

    # the end: servers stopped, every seat archived and verified, then the logins refused
    student.close()
    folder = end(settings, "optics", out=lines.append)
    homes = Path(settings.state_dir) / "homes"
    assert folder.parent == homes / "walt" / "workshop-archives"
    assert verify(folder, {s: homes / s for s in record["seats"]}) == []
    with tarfile.open(folder / "optics-01.tar.gz") as tar:
        kept = json.load(io.TextIOWrapper(tar.extractfile("optics-01/optics/lesson.ipynb")))
    assert "".join(kept["cells"][-1]["source"]) == "my notes"
    assert not hub.api("GET", "users/optics-01", session=admin).json()["servers"]
    with pytest.raises(PermissionError):
        hub.login("optics-01", password)
    assert contents(hub, "optics-01", walt, "optics/lesson.ipynb").status_code != 200  # no share any more
    assert (homes / "optics-01" / "optics" / "lesson.ipynb").exists()  # nothing deleted
    with pytest.raises(WorkshopError, match="ended on"):
        end(settings, "optics", out=lines.append)


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
         "missing or empty"),
        (dict(name="lenses", seats=None, roster=None, instructors=["walt"], materials=None), "--seats"),
    ]
    (tmp_path / "clash.csv").write_text("username\nursula\n")
    cases.append((dict(name="lenses", seats=None, roster=str(tmp_path / "clash.csv"), instructors=["walt"],
                       materials=None), "ursula is already a user"))
    for kw, said in cases:
        with pytest.raises(WorkshopError, match=said):
            create(settings, out=lambda *_: None, **kw)
    assert {u["name"] for u in hub.api("GET", "users", session=hub.admin()).json()} == users_before
    assert hub.api("GET", "groups/lenses", session=hub.admin()).status_code == 404
