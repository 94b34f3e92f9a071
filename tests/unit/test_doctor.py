"""`spacehub doctor` and the start-up checks of `spacehub up` say what is wrong and what to do."""

import socket

import yaml

from spacehub.cli import main
from spacehub.doctor import report, run_checks


def settings_file(tmp_path, **raw):
    p = tmp_path / "spacehub.yaml"
    p.write_text(yaml.safe_dump({"state_dir": str(tmp_path / "state"), **raw}))
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_doctor_all_good(tmp_path, capsys):
    ports = {"hub": {"port": free_port(), "api_port": free_port(), "proxy_api_port": free_port()},
             "gateway": {"port": free_port()}, "data_service": {"port": free_port()}}
    assert main(["doctor", "--config", str(settings_file(tmp_path, **ports))]) == 0
    out = capsys.readouterr().out
    assert "[ok] configurable-http-proxy" in out and "everything looks fine" in out


def test_doctor_reports_busy_port_and_bad_settings(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        checks = {c.name: c for c in run_checks(str(settings_file(tmp_path, hub={"port": port})))}
    assert not checks["ports free"].ok
    assert f"hub.port={port} in use" in checks["ports free"].detail
    assert "choose other ports" in checks["ports free"].fix

    bad = tmp_path / "bad.yaml"
    bad.write_text("hub: {prot: 1}\n")
    checks = {c.name: c for c in run_checks(str(bad))}
    assert not checks["settings"].ok and "hub.prot: unknown setting" in checks["settings"].detail
    lines = []
    assert report(list(checks.values()), out=lines.append) is False
    assert any(line.strip().startswith("-> fix the named key") for line in lines)


def test_doctor_isolated_needs_root(tmp_path, monkeypatch):
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    checks = {c.name: c for c in run_checks(str(settings_file(tmp_path, mode="isolated")), check_ports=False)}
    assert not checks["isolated mode runs as root"].ok


def test_up_refuses_busy_port(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["up", "--config", str(settings_file(tmp_path, gateway={"port": port}))]) == 1
    err = capsys.readouterr().err
    assert f"gateway.port={port}" in err and "choose other ports" in err
    assert not (tmp_path / "state" / "jupyterhub.sqlite").exists()


def test_up_refuses_invalid_settings(tmp_path, capsys):
    assert main(["up", "--config", str(settings_file(tmp_path, culler={"every": "often"}))]) == 2
    assert "culler.every: 'often' is not of type 'integer'" in capsys.readouterr().err
