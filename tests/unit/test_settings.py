"""Settings files: valid ones load with defaults, broken ones name the file, key, line and why."""

import os
from pathlib import Path

import pytest
import yaml

from spacehub.cli import main
from spacehub.config import DEFAULT_SETTINGS_FILE, SettingsError, load_settings
from spacehub.config.model import UserQuotaSettings

GIB = 2**30


def write(tmp_path, text):
    p = tmp_path / "spacehub.yaml"
    p.write_text(text)
    return p


def test_shipped_settings_valid():
    s = load_settings(DEFAULT_SETTINGS_FILE)
    # `mode: auto`: started as root, users get accounts of their own; otherwise they share this one
    assert s.mode == ("isolated" if os.geteuid() == 0 else "demo")
    assert s.auth.type == "local"
    assert s.state_dir == DEFAULT_SETTINGS_FILE.parent.parent / ".state"


def test_empty_file_gets_all_defaults(tmp_path):
    s = load_settings(write(tmp_path, ""))
    assert s.hub.port == 8000
    assert s.gateway.user_quota == UserQuotaSettings(cores=12, memory=24 * GIB, clusters=3)
    assert s.culler.enabled is True
    assert s.state_dir == (tmp_path / "../.state").resolve()


def test_partial_mapping_keeps_other_defaults(tmp_path):
    s = load_settings(write(tmp_path, "gateway:\n  user_quota:\n    cores: 6\n"))
    assert s.gateway.user_quota == UserQuotaSettings(cores=6, memory=24 * GIB, clusters=3)
    assert s.gateway.port == 8001


def test_env_var_selects_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SPACEHUB_CONFIG", str(write(tmp_path, "hub: {port: 9100}\n")))
    assert load_settings().hub.port == 9100


@pytest.mark.parametrize("text, key, line, why", [
    ("mode: demo\nhub:\n  prot: 8000\n", "hub.prot", 3, "unknown setting (known here: api_port, base_url"),
    ("mode: demo\ngateway:\n  user_quota:\n    cores: lots\n", "gateway.user_quota.cores", 4,
     "'lots' is not of type 'integer'"),
    ("mode: sandbox\n", "mode", 1, "'sandbox' is not one of ['auto', 'demo', 'isolated']"),
    ("auth:\n  type: github\n  github: {client_id: x}\n", "auth.github", 3, "'client_secret' is required but missing"),
    ("hub:\n  base_url: hub\n", "hub.base_url", 2, "does not match"),
    ("gateway:\n  worker_cores: {default: 4, min: 1, max: 2}\n", "gateway.worker_cores", 2, "min <= default <= max"),
    ("gateway:\n  user_quota: {cores: 1}\n", "gateway.user_quota.cores", 2, "cannot hold one scheduler"),
    ("auth:\n  type: oidc\n", "auth.type", 2, "auth.oidc settings (client id, secret, ...) are missing"),
    # guard rails: what would validate by the schema and hurt at start
    ("state_dir: /\n", "state_dir", 1, "/ is a system folder"),
    ("state_dir: /etc\n", "state_dir", 1, "/etc is a system folder"),
    ("templates:\n  folder: ../victim\n", "templates.folder", 2, "must be a folder inside each user's home"),
    ("templates:\n  folder: /srv/x\n", "templates.folder", 2, "must be a folder inside each user's home"),
    ("folders:\n  root: /\n", "folders.root", 2, "must be a folder of its own inside the state dir"),
    ("folders:\n  root: ../../etc\n", "folders.root", 2, "must be a folder of its own inside the state dir"),
    ("folders:\n  root: secrets\n", "folders.root", 2, "must be a folder of its own inside the state dir"),
    ("hub: {port: 8000}\ngateway: {port: 8000}\n", "gateway.port", 2, "port 8000 is already hub.port's"),
    ("gallery: {port: 8003}\n", "gallery.port", 1, "port 8003 is already data_service.port's"),
    ("gallery: {check_timeout: 1}\n", "gallery.check_timeout", 1, "minimum of 10"),
    ("folders:\n  root: gallery\n", "folders.root", 2, "must be a folder of its own inside the state dir"),
    ("gateway:\n  worker_memory_gib: {max: .inf}\n", "gateway.worker_memory_gib.max", 2, "finite numbers only"),
    ("gateway:\n  user_quota: {memory_gib: .nan}\n", "gateway.user_quota.memory_gib", 2, "finite numbers only"),
])
def test_invalid_settings_name_file_key_line(tmp_path, text, key, line, why):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as e:
        load_settings(path)
    assert e.value.key == key
    assert e.value.line == line
    assert why in e.value.why
    assert str(e.value).startswith(f"{path}:{line}: {key}: ")


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(SettingsError, match=r"spacehub.yaml:\d+: \(top level\): not valid YAML"):
        load_settings(write(tmp_path, "hub:\n  port: [8000\n"))
    with pytest.raises(SettingsError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")
    with pytest.raises(SettingsError, match="must be a mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"))


def test_cli_config_validate(tmp_path, capsys):
    assert main(["config", "validate", str(write(tmp_path, "mode: demo\n"))]) == 0
    assert "valid (demo mode, local logins)" in capsys.readouterr().out
    bad = write(tmp_path, yaml.safe_dump({"culler": {"timeout": 2}}))
    assert main(["config", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: culler.timeout: 2 is less than the minimum of 5" in err


def test_every_schema_property_is_described():
    from spacehub.config.settings import schema

    def walk(node, path):
        for key, prop in node.get("properties", {}).items():
            if "$ref" not in prop:
                assert prop.get("description"), f"{'.'.join(path + [key])} has no description"
            walk(prop, path + [key])

    walk(schema(), [])


def test_units_parsed_once_into_bytes_and_absolute_paths(tmp_path):
    s = load_settings(write(tmp_path, "gateway:\n  worker_memory_gib: {default: 1.5, min: 0.5, max: 4}\n"
                                      "spawner: {memory_gib: 6}\ncache: {dir: dl, size_gib: 0.25}\n"))
    assert (s.gateway.worker_memory.default, s.gateway.worker_memory.min) == (3 * GIB // 2, GIB // 2)
    assert s.spawner.memory == 6 * GIB and s.cache.size == GIB // 4
    assert s.cache.dir == (tmp_path / "../.state/dl").resolve()  # relative cache folders are in the state dir
    assert s.templates.source == (tmp_path / "../notebooks/templates").resolve()


def test_settings_are_immutable(tmp_path):
    import dataclasses

    s = load_settings(write(tmp_path, ""))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.gateway.user_quota.cores = 100  # type: ignore[misc]  # the point of the test


def test_state_dir_may_not_be_a_home_but_a_folder_in_it(tmp_path):
    home = Path.home()
    with pytest.raises(SettingsError, match="is a home folder|is a system folder"):
        load_settings(write(tmp_path, f"state_dir: {home}\n"))
    assert load_settings(write(tmp_path, f"state_dir: {home}/spacehub-state\n")).state_dir == home / "spacehub-state"
