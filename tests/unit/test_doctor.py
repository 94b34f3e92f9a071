"""`spacehub doctor` and the start-up checks of `spacehub up` say what is wrong and what to do."""

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
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
             "gateway": {"port": free_port(), "gate_port": free_port()}, "data_service": {"port": free_port()}}
    as_root = {"unsafe_demo_as_root": True} if os.geteuid() == 0 else {}
    assert main(["doctor", "--config", str(settings_file(tmp_path, **ports, **as_root))]) == 0
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


def fake_sinfo(tmp_path, partitions):
    """A `sinfo` on PATH that lists ``partitions`` (with the other Slurm commands beside it)."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for name in ("sbatch", "squeue", "scancel"):
        (bin_dir / name).write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sinfo").write_text("#!/bin/sh\nprintf '%s\\n' " + " ".join(partitions) + "\n")
    for p in bin_dir.iterdir():
        p.chmod(0o755)
    return bin_dir


def slurm_checks(tmp_path, monkeypatch, path, **slurm):
    monkeypatch.setenv("PATH", str(path))
    raw = {"target": "slurm", "mode": "isolated", "auth": {"allowed_users": ["root", "no-such-user-xq"]},
           "slurm": {"job_env": str(tmp_path / "no-job-env"), **slurm}}
    return {c.name: c for c in run_checks(str(settings_file(tmp_path, **raw)), check_ports=False)}


def test_doctor_slurm_target_without_slurm(tmp_path, monkeypatch):
    checks = slurm_checks(tmp_path, monkeypatch, tmp_path / "empty-path")
    assert not checks["Slurm commands"].ok
    assert checks["Slurm commands"].detail == "missing: sbatch, squeue, scancel, sinfo"
    assert "apt-get install slurm-client" in checks["Slurm commands"].fix
    assert not checks["sudo for the gateway"].ok and "apt-get install sudo" in checks["sudo for the gateway"].fix
    assert not checks["Slurm job environment"].ok and "hub/users-env.sh" in checks["Slurm job environment"].fix
    accounts = checks["hub users have Unix accounts"]
    assert not accounts.ok and accounts.detail == "without an account: admin, no-such-user-xq"


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: the check runs Python as an ordinary account")
def test_doctor_slurm_job_env_without_spacehub(tmp_path, monkeypatch):
    """An environment with Dask but without spacehub: every scheduler job would die at its preload."""
    folder = Path(tempfile.mkdtemp(prefix="spacehub-job-env-"))  # not pytest's 0700 ones: nobody runs it
    os.chmod(folder, 0o711)
    env = folder / "job-env"
    (env / "bin").mkdir(parents=True)
    env.chmod(0o755)
    (env / "bin").chmod(0o755)
    (env / "bin" / "python").symlink_to("/usr/bin/python3")
    for prog in ("dask", "dask-gateway-jobqueue-launcher"):
        (env / "bin" / prog).write_text("#!/bin/sh\n")
    try:
        checks = slurm_checks(tmp_path, monkeypatch, tmp_path / "empty-path", job_env=str(env))
    finally:
        shutil.rmtree(folder)
    check = checks["Slurm job environment"]
    assert not check.ok and "cannot import" in check.detail and "spacehub" in check.detail
    assert f"hub/users-env.sh {env}" in check.fix


def test_doctor_slurm_unknown_partition(tmp_path, monkeypatch):
    fake = fake_sinfo(tmp_path, ["debug", "compute"])
    checks = slurm_checks(tmp_path, monkeypatch, f"{fake}:/usr/bin:/bin", partition="gpu")
    assert checks["Slurm commands"].ok
    assert not checks["Slurm partition"].ok
    assert checks["Slurm partition"].fix == "set slurm.partition to one of: compute, debug"
    other = tmp_path / "other"
    other.mkdir()
    assert slurm_checks(other, monkeypatch, f"{fake}:/usr/bin:/bin", partition="compute")["Slurm partition"].ok


def test_doctor_slurm_needs_isolated_mode(tmp_path):
    checks = {c.name: c for c in run_checks(str(settings_file(tmp_path, target="slurm")), check_ports=False)}
    assert not checks["slurm target runs in isolated mode"].ok
    assert "set `mode: isolated`" in checks["slurm target runs in isolated mode"].fix


def test_up_refuses_slurm_target_without_slurm(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    cfg = settings_file(tmp_path, target="slurm", mode="isolated",
                        gateway={"port": free_port()}, hub={"port": free_port(), "api_port": free_port(),
                                                            "proxy_api_port": free_port()},
                        data_service={"port": free_port()})
    assert main(["up", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "cannot start the slurm target" in err and "apt-get install slurm-client" in err
    assert not (tmp_path / "state").exists()


def test_up_refuses_kubernetes_target(tmp_path, capsys):
    ports = {"hub": {"port": free_port(), "api_port": free_port(), "proxy_api_port": free_port()},
             "gateway": {"port": free_port(), "gate_port": free_port()}, "data_service": {"port": free_port()}}
    assert main(["up", "--config", str(settings_file(tmp_path, target="kubernetes", **ports))]) == 1
    assert "spacehub render kubernetes" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: demo mode is refused as root")
def test_demo_mode_as_root_is_refused_with_what_to_do(tmp_path, capsys):
    ports = {"hub": {"port": free_port(), "api_port": free_port(), "proxy_api_port": free_port()},
             "gateway": {"port": free_port(), "gate_port": free_port()}, "data_service": {"port": free_port()}}
    assert main(["up", "--config", str(settings_file(tmp_path, mode="demo", **ports))]) == 1
    err = capsys.readouterr().err
    assert "no user code as root" in err and "mode: isolated" in err and "unsafe_demo_as_root" in err
    assert not (tmp_path / "state").exists()  # refused before anything was made
