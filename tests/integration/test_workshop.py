"""A workshop's life on the real hub, from the host's command line: create → prewarm → a seat logs in with the
workshop password → the materials are in its home → the student edits, the instructor updates the
materials → the edit survives → the instructor opens the student's server, another student cannot →
end → every seat's work archived and verified → the seats' logins refused. Bad input refused with
nothing half-made.

People of this file: walt (instructor), the seats tides-01..03, ursula (another user of the hub).
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
from spacehub.workshops.cli import WorkshopError, create, end, prewarm, status

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
    record = create(settings, "tides", 3, None, ["walt"], str(materials), out=said.append)
    password = said[-1].rsplit(" ", 1)[1]
    assert record["seats"] == ["tides-01", "tides-02", "tides-03"]
    assert password not in (Path(settings.state_dir) / "workshops" / "tides.json").read_text()  # hashed only
    group = hub.api("GET", "groups/tides", session=admin).json()
    assert sorted(group["users"]) == ["tides-01", "tides-02", "tides-03", "walt"]

    # every seat's server started ahead of the session
    assert prewarm(settings, "tides", out=said.append, progress=False) == dict.fromkeys(record["seats"], "ready")
    assert said[-1] == "3 of 3 servers ready"

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
         "missing or empty"),
        (dict(name="lenses", seats=None, roster=None, instructors=["walt"], materials=None), "--seats"),
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
