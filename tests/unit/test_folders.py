"""Shared folders in a home (spacehub.hub.folders): links to ``shared/`` and to the user's groups'
folders, taken away when the user leaves a group, and nothing of the user's touched. The Unix
permissions of isolated mode: tests/security/test_isolation.py."""

import os

import pytest

from spacehub.hub import folders


def test_a_home_gets_links_to_shared_and_to_its_groups_only(tmp_path):
    root, home = tmp_path / "folders", tmp_path / "home"
    home.mkdir()
    folders.prepare(root, ["physics", "optics"], editors=None)
    done = folders.link(home, root, ["physics"])
    assert done == {"shared": "linked", "groups/physics": "linked"}
    assert os.readlink(home / "shared") == str(root / "shared")
    assert os.readlink(home / "groups" / "physics") == str(root / "groups" / "physics")
    assert not (home / "groups" / "optics").exists()
    (home / "groups" / "physics" / "notes.txt").write_text("shared with the group")
    assert (root / "groups" / "physics" / "notes.txt").read_text() == "shared with the group"
    assert folders.link(home, root, ["physics"]) == {}  # nothing to do the second time


def test_leaving_a_group_takes_its_link_away_and_leaves_the_users_own_files(tmp_path):
    root, home = tmp_path / "folders", tmp_path / "home"
    (home / "groups").mkdir(parents=True)
    folders.prepare(root, ["physics"], editors=None)
    folders.link(home, root, ["physics"])
    (home / "groups" / "my-notes").mkdir()  # the user's own folder in ~/groups
    (home / "groups" / "elsewhere").symlink_to(tmp_path)  # and a link of their own
    assert folders.link(home, root, []) == {"groups/physics": "removed"}
    assert not (home / "groups" / "physics").exists() and (root / "groups" / "physics").is_dir()
    assert (home / "groups" / "my-notes").is_dir() and (home / "groups" / "elsewhere").is_symlink()


def test_a_file_of_the_users_by_the_same_name_is_left_as_it_is(tmp_path):
    root, home = tmp_path / "folders", tmp_path / "home"
    home.mkdir()
    (home / "shared").write_text("my own file called shared")
    folders.prepare(root, [], editors=None)
    assert folders.link(home, root, []) == {"shared": "yours: left as it is"}
    assert (home / "shared").read_text() == "my own file called shared"


@pytest.mark.parametrize("name, ok", [("physics", True), ("lab-2", True), ("a_b", True), ("Physics", False),
                                      ("../x", False), ("", False), ("x" * 22, False), ("-x", False)])
def test_only_group_names_that_make_safe_folders_and_unix_groups_get_one(name, ok):
    assert folders.usable([name]) == (([name], []) if ok else ([], [name]))
    if ok:
        assert len(folders.unix_group(name)) <= 32


def test_the_servers_contents_keep_shared_read_only_for_all_but_admins(tmp_path, monkeypatch):
    """Demo mode (one account for all): the server refuses saving, renaming and deleting in shared/
    with a 403 saying why; elsewhere, and for an admin, it saves as usual."""
    import asyncio

    from tornado import web

    from spacehub.notebook.contents import SharedFoldersContents

    async def check():
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "syllabus.md").write_text("week 1")
        contents = SharedFoldersContents(root_dir=str(tmp_path))
        text = {"type": "file", "format": "text", "content": "x"}
        monkeypatch.setenv("SPACEHUB_READ_ONLY_FOLDERS", "shared")
        for change in (lambda: contents.save(text, "shared/new.md"), lambda: contents.delete_file("shared/syllabus.md"),
                       lambda: contents.rename_file("shared/syllabus.md", "mine.md"),
                       lambda: contents.rename_file("notes.md", "shared/notes.md")):
            with pytest.raises(web.HTTPError) as e:
                await change()
            assert e.value.status_code == 403 and "shared/ is read-only" in e.value.log_message
        assert (tmp_path / "shared" / "syllabus.md").read_text() == "week 1"
        await contents.save(text, "sharedness.md")  # a name that only starts alike
        monkeypatch.setenv("SPACEHUB_READ_ONLY_FOLDERS", "")  # an admin
        await contents.save(text, "shared/new.md")
        assert (tmp_path / "shared" / "new.md").read_text() == "x"

    asyncio.run(check())
