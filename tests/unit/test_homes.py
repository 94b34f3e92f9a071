"""Templates in users' homes: copied once, updated when untouched, never overwriting an edit."""

import json
import os
from pathlib import Path

import pytest

from spacehub.config.settings import validate_settings
from spacehub.hub.config import templates_source
from spacehub.hub.homes import MANIFEST, install_templates


@pytest.fixture
def shipped(tmp_path):
    src = tmp_path / "shipped"
    (src / "data").mkdir(parents=True)
    (src / "flares.ipynb").write_text('{"v": 1}')
    (src / "storms.ipynb").write_text('{"v": 1}')
    (src / "data" / "events.csv").write_text("t,x\n")
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / "flares-checkpoint.ipynb").write_text("{}")
    return src


def test_first_start_copies_everything_but_hidden(shipped, tmp_path):
    home = tmp_path / "home" / "templates"
    assert install_templates(shipped, home) == {"data/events.csv": "new", "flares.ipynb": "new", "storms.ipynb": "new"}
    assert (home / "flares.ipynb").read_text() == '{"v": 1}' and not (home / ".ipynb_checkpoints").exists()
    assert set(json.loads((home / MANIFEST).read_text())) == {"data/events.csv", "flares.ipynb", "storms.ipynb"}
    assert set(install_templates(shipped, home).values()) == {"kept"}


def test_new_version_replaces_untouched_and_is_offered_beside_edits(shipped, tmp_path):
    home = tmp_path / "templates"
    install_templates(shipped, home)
    (home / "flares.ipynb").write_text('{"v": 1, "my": "analysis"}')  # the user's work
    for name in ("flares.ipynb", "storms.ipynb"):
        (shipped / name).write_text('{"v": 2}')
    actions = install_templates(shipped, home)
    assert actions["storms.ipynb"] == "updated" and (home / "storms.ipynb").read_text() == '{"v": 2}'
    assert actions["flares.ipynb"] == "offered"
    assert (home / "flares.ipynb").read_text() == '{"v": 1, "my": "analysis"}'  # the edit is still there
    offered = list(home.glob("flares.updated-*.ipynb"))
    assert len(offered) == 1 and offered[0].read_text() == '{"v": 2}'
    assert install_templates(shipped, home)["flares.ipynb"] == "offered" and len(list(home.glob("flares.updated-*"))) == 1


def test_deleted_templates_stay_deleted_until_the_manifest_goes(shipped, tmp_path):
    home = tmp_path / "templates"
    install_templates(shipped, home)
    (home / "storms.ipynb").unlink()
    assert install_templates(shipped, home)["storms.ipynb"] == "deleted" and not (home / "storms.ipynb").exists()
    (home / MANIFEST).unlink()
    assert install_templates(shipped, home)["storms.ipynb"] == "new"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_files_belong_to_the_user(shipped, tmp_path):
    home = tmp_path / "templates"
    install_templates(shipped, home, owner=(65534, 65534))
    assert {p.stat().st_uid for p in [home, *home.rglob("*")]} == {65534}


def test_settings_point_at_the_shipped_templates():
    source = templates_source(validate_settings({}))
    assert source == Path(__file__).resolve().parents[2] / "notebooks" / "templates"
    assert (source / "getting-started.ipynb").exists()
