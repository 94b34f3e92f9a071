"""A workshop's materials from a folder, a git repository served over HTTP on this machine (git's own
http-backend), and the gallery's store: each source checked before a workshop is made, and every
student's edit kept when the instructors' new commits are pulled in (nbgitpuller's rules, as the module's
table says)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gittools import git, served

from spacehub.gallery.store import Store
from spacehub.workshops import records
from spacehub.workshops.materials import MaterialsError, describe, main, pull

SRC = Path(__file__).resolve().parents[2] / "src"
def notebook(*cells: str) -> str:
    """A notebook as Jupyter writes it (one line per source line, indent 1)."""
    return json.dumps({"cells": [{"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": [text]}
                                 for i, text in enumerate(cells)],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


def edit(path: Path, index: int, text: str) -> None:
    nb = json.loads(path.read_text())
    nb["cells"][index]["source"] = [text]
    path.write_text(json.dumps(nb, indent=1) + "\n")


LESSON = ("# Storms", "Load the Dst index.", "Plot it.", "Find the minimum.", "Compare with Kp.", "Homework: 2003.")


@pytest.fixture
def lessons(tmp_path):
    """An instructor's working copy (``.work``) pushed to a bare repository served over HTTP (``.url``);
    the default branch is ``spring-2026``, a second branch ``solutions``."""
    work, bare = tmp_path / "instructor", tmp_path / "served" / "lessons.git"
    work.mkdir()
    git("init", "-q", "-b", "spring-2026", cwd=work)
    (work / "lesson.ipynb").write_text(notebook(*LESSON))
    (work / "dst.csv").write_text("time,dst\n2003-10-30T22:00,-383\n")
    (work / "extra.ipynb").write_text(notebook("An optional exercise."))
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "lesson 1", cwd=work)
    git("branch", "solutions", cwd=work)
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    git("remote", "add", "origin", str(bare), cwd=work)
    with served(tmp_path / "served") as base:
        yield type("Lessons", (), {"work": work, "url": f"{base}/lessons.git", "base": base})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(spec: str, tmp_path: Path, **kw) -> dict:
    return describe(spec, state_dir=tmp_path / "state", name="storms", instructors=["alice"], **kw)


# -- describe: folders and repositories -----------------------------------------------------------
def test_a_folder_is_its_absolute_path_and_must_hold_something(tmp_path, monkeypatch):
    (tmp_path / "storms").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MaterialsError, match="storms is empty"):
        check("storms", tmp_path)
    (tmp_path / "storms" / "lesson.ipynb").write_text(notebook("x"))
    assert check("storms", tmp_path) == {"kind": "folder", "path": str(tmp_path / "storms")}
    with pytest.raises(MaterialsError, match="does not exist; give a folder .* a git repository .* gallery entries"):
        check("no-such-folder", tmp_path)
    with pytest.raises(MaterialsError, match="is a file"):
        check("storms/lesson.ipynb", tmp_path)
    with pytest.raises(MaterialsError, match="not a form the hub knows"):
        check("s3://bucket/lessons", tmp_path)


def test_a_repository_is_checked_and_its_default_branch_written_down(tmp_path, lessons, monkeypatch):
    assert check(lessons.url, tmp_path) == {"kind": "git", "url": lessons.url, "branch": "spring-2026"}
    monkeypatch.chdir(tmp_path / "served")  # a repository on this machine: its absolute path
    assert check("lessons.git", tmp_path)["url"] == str(tmp_path / "served" / "lessons.git")
    assert check(lessons.url + "#solutions", tmp_path) == {"kind": "git", "url": lessons.url, "branch": "solutions"}
    with pytest.raises(MaterialsError) as e:
        check(lessons.url + "#autumn", tmp_path)
    assert str(e.value) == (f"the repository {lessons.url} has no branch autumn (it has solutions, spring-2026): "
                            "push it, or name one of those after '#'")
    with pytest.raises(MaterialsError, match="after '#'"):
        check(lessons.url + "@solutions", tmp_path)
    with pytest.raises(MaterialsError, match=f"{lessons.base}/nothing.git cannot be read"):
        check(f"{lessons.base}/nothing.git", tmp_path)


def test_a_repository_nobody_answers_is_refused_quickly_naming_it(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/lessons.git"  # a closed port
    started = time.monotonic()
    with pytest.raises(MaterialsError, match=f"the repository {url} cannot be read .*public repository"):
        check(url, tmp_path)
    assert time.monotonic() - started < 10


def test_a_repository_that_never_answers_is_given_up_at_the_timeout(tmp_path):
    with socket.socket() as silent:  # connections are accepted by the kernel, never answered
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/lessons.git"
        started = time.monotonic()
        with pytest.raises(MaterialsError, match=f"{url} did not answer within 1 s"):
            check(url, tmp_path, timeout=1)
        assert time.monotonic() - started < 8


def test_a_password_is_never_asked_and_credentials_never_shown(tmp_path, lessons):
    started = time.monotonic()
    with pytest.raises(MaterialsError, match="private/lessons.git cannot be read .*terminal prompts disabled"):
        check(f"{lessons.base}/private/lessons.git", tmp_path)
    assert time.monotonic() - started < 10  # refused, not waiting for somebody to type
    for url in (f"https://ada:s3cret-token@{lessons.base[7:]}/lessons.git", "https://ghp_s3cret-token@github.com/o/l.git"):
        for call, args in ((check, (url, tmp_path)), (pull, (url, "main", tmp_path / "seat"))):
            with pytest.raises(MaterialsError, match="carries credentials .* public repository") as e:
                call(*args)
            assert "s3cret" not in str(e.value) and "***@" in str(e.value)
    assert not (tmp_path / "seat").exists()


# -- describe: gallery entries --------------------------------------------------------------------
NB = {"cells": [{"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [],
                 "source": "import pandas as pd\npd.read_csv('omni.csv')"}],
      "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def gallery(tmp_path):
    """A hub's gallery: entries of carol (hub-visible, two versions; withdrawn), dave (private) and alice
    (private, an instructor's own)."""
    store = Store(tmp_path / "state" / "gallery")
    data = os.urandom(4000)
    shared = store.publish("carol", NB, {"title": "Solar wind at L1", "visibility": "hub"},
                           files={"omni.csv": b"time,v\n2003-10-29,2000\n", "mask.bin": data})
    store.publish("carol", {**NB, "metadata": {"v": 2}}, {"title": "Solar wind at L1"}, files={"omni.csv": b"v2\n"},
                  entry_id=shared.id)
    secret = store.publish("dave", NB, {"title": "Unpublished substorm study", "visibility": "private"})
    own = store.publish("alice", NB, {"title": "Alice's own draft", "visibility": "private"})
    gone = store.publish("carol", NB, {"title": "Old notes", "visibility": "public"})
    store.withdraw(gone.id, by="carol", reason="superseded")
    return type("Gallery", (), {"store": store, "shared": shared.id, "secret": secret.id, "own": own.id,
                                "gone": gone.id, "data": data})


def test_gallery_entries_are_copied_whole_into_the_workshops_snapshot(tmp_path, gallery):
    record = check(f"gallery:{gallery.shared}@v1,{gallery.own}", tmp_path)
    snapshot = tmp_path / "state" / "workshops" / "storms.materials"
    assert record == {"kind": "gallery", "path": str(snapshot),
                      "entries": [{"id": gallery.shared, "version": 1}, {"id": gallery.own, "version": 1}]}
    v1 = gallery.store.version_dir(gallery.shared, 1)
    assert sorted(p.name for p in (snapshot / gallery.shared).iterdir()) == ["mask.bin", "omni.csv",
                                                                              "solar-wind-at-l1.ipynb"]
    assert (snapshot / gallery.shared / "solar-wind-at-l1.ipynb").read_bytes() == (v1 / "notebook.ipynb").read_bytes()
    assert (snapshot / gallery.shared / "mask.bin").read_bytes() == gallery.data
    assert (snapshot / gallery.shared / "omni.csv").read_bytes() == b"time,v\n2003-10-29,2000\n"
    assert [p.name for p in (snapshot / gallery.own).iterdir()] == ["alice-s-own-draft.ipynb"]

    # the latest version by default; a snapshot left by a creation that failed is replaced whole
    record = check(f"gallery:{gallery.shared}", tmp_path)
    assert record["entries"] == [{"id": gallery.shared, "version": 2}]
    assert sorted(p.name for p in snapshot.iterdir()) == [gallery.shared]
    assert (snapshot / gallery.shared / "omni.csv").read_bytes() == b"v2\n"
    assert json.loads((snapshot / gallery.shared / "solar-wind-at-l1.ipynb").read_text())["metadata"] == {"v": 2}
    assert not [p for p in snapshot.parent.iterdir() if p.name.startswith(".")]  # nothing half-made left

    records.save(tmp_path / "state", {"name": "storms", "seats": [], "instructors": ["alice"]})
    with pytest.raises(MaterialsError, match="a workshop storms exists already"):
        check(f"gallery:{gallery.own}", tmp_path)


def test_gallery_entries_the_seats_may_not_see_are_refused_by_id_only(tmp_path, gallery):
    with pytest.raises(MaterialsError) as e:
        check(f"gallery:{gallery.shared},{gallery.secret},{gallery.gone},no-such-entry,{gallery.own}@v7", tmp_path)
    said = str(e.value)
    assert said.startswith("gallery entries refused, nothing was copied: ")
    assert f"{gallery.secret}: no such entry the workshop may use" in said
    assert "no-such-entry: no such entry the workshop may use" in said
    assert f"{gallery.gone}: withdrawn from the gallery on " in said
    assert f"{gallery.own}: no version 7 (versions 1)" in said
    assert gallery.shared not in said and "Unpublished substorm study" not in said  # the id is what was given
    unknown = said.split("no-such-entry: ")[1].split(";")[0]
    assert said.split(f"{gallery.secret}: ")[1].split(";")[0] == unknown  # a private entry's said as an unknown's
    assert not (tmp_path / "state" / "workshops" / "storms.materials").exists()
    # dave, teaching, may use his own private entry
    record = describe(f"gallery:{gallery.secret}", state_dir=tmp_path / "state", name="storms",
                      instructors=["alice", "dave"])
    assert record["entries"] == [{"id": gallery.secret, "version": 1}]
    for spec, said in (("gallery:", "name the entries"), ("gallery:Bad_Id", "an entry's id"),
                       (f"gallery:{gallery.shared}@2", "optionally @vN")):
        with pytest.raises(MaterialsError, match=said):
            check(spec, tmp_path)


# -- pull: the students' copies -------------------------------------------------------------------
def test_pulls_clone_then_merge_the_instructors_commits_keeping_every_student_edit(tmp_path, lessons):
    seat = tmp_path / "home" / "storms"
    first = pull(lessons.url, "spring-2026", seat)
    assert first == {"action": "cloned", "commit": git("rev-parse", "HEAD", cwd=lessons.work)}
    assert sorted(p.name for p in seat.iterdir()) == [".git", "dst.csv", "extra.ipynb", "lesson.ipynb"]
    assert cells(seat / "lesson.ipynb") == list(LESSON)

    # the student: notes in the first cell, another answer in the same cell the instructor changes,
    # an optional exercise worked on, the data deleted, a notebook of their own called Übung.ipynb (a name
    # beyond ASCII: git quotes it unless told not to)
    edit(seat / "lesson.ipynb", 0, "# Storms (my notes: Halloween 2003)")
    edit(seat / "lesson.ipynb", 3, "Find the minimum: -383 nT, mine.")
    edit(seat / "extra.ipynb", 0, "My answer to the exercise.")
    (seat / "dst.csv").unlink()
    (seat / "Übung.ipynb").write_text(notebook("The student's own exercise."))
    # the instructor: the same cell and a later one changed, the optional exercise removed, the data
    # updated, two notebooks added
    edit(lessons.work / "lesson.ipynb", 3, "Find the minimum with idxmin().")
    edit(lessons.work / "lesson.ipynb", 5, "Homework: 2003 and 2015.")
    (lessons.work / "extra.ipynb").unlink()
    (lessons.work / "dst.csv").write_text("time,dst\n2003-10-30T22:00,-383\n2003-11-20T20:00,-422\n")
    (lessons.work / "new.ipynb").write_text(notebook("Lesson 2."))
    (lessons.work / "Übung.ipynb").write_text(notebook("The instructor's exercise."))
    git("add", "-A", cwd=lessons.work)
    git("commit", "-q", "-m", "lesson 2", cwd=lessons.work)
    git("push", "-q", "origin", "spring-2026", cwd=lessons.work)

    second = pull(lessons.url, "spring-2026", seat)
    assert second == {"action": "updated", "commit": git("rev-parse", "HEAD", cwd=lessons.work)}
    assert cells(seat / "lesson.ipynb") == [
        "# Storms (my notes: Halloween 2003)",  # the student's edit
        *LESSON[1:3],
        "Find the minimum: -383 nT, mine.",  # both changed this cell: the student's stays
        LESSON[4],
        "Homework: 2003 and 2015."]  # the instructor's change elsewhere in the file arrives
    assert cells(seat / "extra.ipynb") == ["My answer to the exercise."]  # deleted upstream, kept as edited
    assert (seat / "dst.csv").read_text() == (lessons.work / "dst.csv").read_text()  # deleted: restored, as updated
    assert cells(seat / "new.ipynb") == ["Lesson 2."]
    assert cells(seat / "Übung.ipynb") == ["The instructor's exercise."]
    (renamed,) = seat.glob("Übung__*.ipynb")  # the student's own, renamed out of the way
    assert cells(renamed) == ["The student's own exercise."]

    # nothing new: nothing changes
    assert pull(lessons.url, "spring-2026", seat) == second
    assert cells(seat / "lesson.ipynb")[0] == "# Storms (my notes: Halloween 2003)"


def test_a_pull_refuses_a_folder_that_is_not_the_repositorys_clone(tmp_path, lessons):
    mine = tmp_path / "home" / "storms"
    mine.mkdir(parents=True)
    (mine / "thesis.ipynb").write_text("{}")
    with pytest.raises(MaterialsError, match="exists and is not a clone of .*rename it"):
        pull(lessons.url, "spring-2026", mine)
    other = tmp_path / "home" / "other"
    git("clone", "-q", str(lessons.work), str(other), cwd=tmp_path)
    with pytest.raises(MaterialsError, match="is a clone of another repository"):
        pull(lessons.url, "spring-2026", other)
    with pytest.raises(MaterialsError, match="has no branch autumn"):
        pull(lessons.url, "autumn", tmp_path / "home" / "new")
    assert (mine / "thesis.ipynb").read_text() == "{}" and not (tmp_path / "home" / "new").exists()
    empty = tmp_path / "home" / "empty"
    empty.mkdir()
    assert pull(lessons.url, "solutions", empty)["action"] == "cloned"
    (empty / ".git" / "index.lock").touch()  # another git at work in it: nbgitpuller waits for nothing
    with pytest.raises(MaterialsError, match=r"could not be brought into .*empty: Recent \.git/index\.lock found"):
        pull(lessons.url, "solutions", empty)


def test_the_hub_runs_a_pull_as_a_command_printing_one_json_line(tmp_path, lessons):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "spacehub.workshops.materials", "pull", lessons.url, "spring-2026"]
    run = subprocess.run([*command, str(tmp_path / "seat")], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"action": "cloned", "commit": git("rev-parse", "HEAD", cwd=lessons.work)}
    assert run.stdout.count("\n") == 1 and (tmp_path / "seat" / "lesson.ipynb").is_file()
    run = subprocess.run([*command[:-1], "autumn", str(tmp_path / "other")], capture_output=True, text=True, env=env,
                         timeout=120)
    assert (run.returncode, run.stdout) == (1, "")
    assert "has no branch autumn" in run.stderr and "Traceback" not in run.stderr
    assert main(["pull", lessons.url, "spring-2026", str(tmp_path / "seat")]) == 0
