"""Workshop rosters and end-of-workshop archives, without a hub: a bad roster refused whole with every
line that is wrong, names never taken over, every seat's work archived and read back against its
checksums before anything may be removed."""

from __future__ import annotations

import json
import os
import tarfile

import pytest

from spacehub.workshops.archive import MANIFEST, archive_seats, verify
from spacehub.workshops.roster import RosterError, Seat, clashes, generated, read_roster


def test_generated_seats_are_named_after_the_workshop():
    assert [s.name for s in generated("heliophysics", 3)] == ["heliophysics-01", "heliophysics-02", "heliophysics-03"]
    assert generated("w", 120)[-1].name == "w-120"
    with pytest.raises(RosterError, match="starting with a letter"):
        generated("2026-school", 5)
    with pytest.raises(RosterError, match="between 1 and 500"):
        generated("school", 0)


def test_a_roster_is_read_with_its_names_and_emails():
    text = "\ufeffUsername,Name,Email\nada,Ada Lovelace,ada@example.org\n\nBOB,\"Bob, Jr.\",\n"
    assert read_roster(text, "school") == [Seat("ada", "Ada Lovelace", "ada@example.org"), Seat("bob", "Bob, Jr.", "")]


def test_a_bad_roster_is_refused_whole_naming_every_bad_line():
    text = "username,name,email\nada,Ada,ada@example.org\n1ab,X,\nada,Again,\ncy,Cy,not-an-email\nd e,D,\nok,a,b,c\n"
    with pytest.raises(RosterError) as e:
        read_roster(text, "school")
    assert e.value.problems == [
        "line 3: user name '1ab' must be lower-case letters, digits, '_' and '-', starting with a letter, at most 32 characters",
        "line 4: ada is on line 2 already",
        "line 5: 'not-an-email' is not an e-mail address",
        "line 6: user name 'd e' must be lower-case letters, digits, '_' and '-', starting with a letter, at most 32 characters",
        "line 7: 4 values for 3 columns (a comma in a name? quote it)"]
    assert "nothing was created" in str(e.value)
    for text, said in (("", "empty"), ("name,email\nada,a@b.org\n", "'username' column"),
                       ("username,phone\nada,1\n", "unknown column"), ("username\n", "names nobody"),
                       ("username\n\0\n", "not text")):
        with pytest.raises(RosterError, match=said):
            read_roster(text, "school")


def test_names_in_use_are_never_taken_over():
    with pytest.raises(RosterError, match="school-02 is already a user"):
        clashes(generated("school", 3), {"school-02", "root"})
    clashes(generated("school", 3), {"alice"})  # no clash: nothing said


def test_every_seats_work_is_archived_and_read_back_against_its_checksums(tmp_path):
    homes = {}
    for seat in ("school-01", "school-02"):
        home = tmp_path / "homes" / seat
        (home / "work").mkdir(parents=True)
        (home / "work" / "storm.ipynb").write_text(json.dumps({"cells": [], "seat": seat}))
        (home / "data.bin").write_bytes(os.urandom(300_000))
        (home / "elsewhere").symlink_to("/etc")  # links are not followed into the machine
        homes[seat] = home
    homes["school-03"] = tmp_path / "homes" / "school-03"  # never logged in: no home
    folder = archive_seats(homes, tmp_path / "archive", "school")
    assert verify(folder, homes) == []
    manifest = json.loads((folder / MANIFEST).read_text())
    assert sorted(manifest["seats"]["school-01"]["files"]) == ["data.bin", "work/storm.ipynb"]
    assert manifest["seats"]["school-03"] == {**manifest["seats"]["school-03"], "files": {}, "home_missing": True}
    with tarfile.open(folder / "school-02.tar.gz") as tar:
        assert json.load(tar.extractfile("school-02/work/storm.ipynb"))["seat"] == "school-02"
    assert not [p for p in (tmp_path / "archive").iterdir() if p.name.startswith(".")]  # no half-made folder

    # a home changed after the archive, and an archive damaged afterwards: both are problems
    (homes["school-01"] / "work" / "late.ipynb").write_text("{}")
    assert verify(folder, homes) == ["school-01: work/late.ipynb is in the home but not in the archive as it is now"]
    with open(folder / "school-02.tar.gz", "r+b") as f:
        f.seek(100)
        f.write(b"\0" * 16)
    assert verify(folder) == ["school-02: school-02.tar.gz is missing or not as made (sha256 differs)"]


def test_seats_log_in_only_between_the_start_and_the_end():
    import datetime as dt

    from spacehub.workshops.records import closed_because, link_ok, new_link_code

    record = {"name": "prisms", "starts": "2026-12-07T09:00:00+00:00", "ended": None, "links": {}}
    before = dt.datetime(2026, 12, 7, 8, 59, tzinfo=dt.UTC)
    assert closed_because(record, before) == ("The workshop prisms starts at 2026-12-07 09:00 UTC; log in then with "
                                              "the password or link your instructor gives you.")
    assert closed_because(record, before + dt.timedelta(minutes=1)) is None
    assert "has ended" in closed_because({**record, "ended": "2026-12-08T17:00:00+00:00"}, before)
    code, kept = new_link_code()
    record["links"]["prisms-01"] = kept
    assert code not in str(kept) and link_ok(record, "prisms-01", code)
    assert not link_ok(record, "prisms-02", code) and not link_ok(record, "prisms-01", code + "x")
