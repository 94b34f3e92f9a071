"""A real single-node Slurm and real Unix users for the slurm target's tests.

`hub/slurm/devslurm.sh` installs (apt) and starts munged, slurmctld and slurmd on loopback in a
temp folder; `hub/users-env.sh` builds the environment the jobs run in (the users' one). Both need root, as does
a hub that runs each user's jobs under their own account: without root these tests are skipped.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hubtools import RunningHub, passable_folder

ROOT = Path(__file__).resolve().parents[2]
DEVSLURM = ROOT / "hub" / "slurm" / "devslurm.sh"
JOB_ENV = Path(os.environ.get("SPACEHUB_JOB_ENV", "/opt/spacehub/env"))
USERS = ("spacehub-t-alice", "spacehub-t-bob")


def _run(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="session")
def slurm_conf():
    """SLURM_CONF of a running single-node Slurm; stopped (by pid) at the end of the session."""
    if os.geteuid() != 0:
        pytest.skip("the slurm tests need root (Slurm daemons, jobs as other users)")
    try:
        _run(DEVSLURM, "install", timeout=600)
        _run(ROOT / "hub" / "users-env.sh", JOB_ENV, ROOT / ".venv" / "bin" / "python", timeout=900)
    except subprocess.CalledProcessError as e:
        pytest.fail(f"could not install Slurm or the job environment:\n{e.stdout}\n{e.stderr}")
    # not under pytest's 0700 temp folders: users' sbatch must read slurm.conf and reach munged
    folder = Path(tempfile.mkdtemp(prefix="spacehub-slurm-"))
    try:
        _run(DEVSLURM, "start", folder, 8, timeout=120)
    except subprocess.CalledProcessError as e:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"Slurm did not start:\n{e.stdout}\n{e.stderr}")
    yield folder / "slurm.conf"
    _run(DEVSLURM, "stop", folder, timeout=120)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def unix_users(slurm_conf):
    """Real Unix accounts with home folders, removed afterwards (after Slurm's jobs are gone)."""
    made = []
    for name in USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            _run("useradd", "--create-home", "--shell", "/bin/sh", name)
            made.append(name)
    yield USERS
    for name in made:
        subprocess.run(["userdel", "--remove", name], capture_output=True)


@pytest.fixture(scope="session")
def slurm_hub(slurm_conf, unix_users):
    """spacehub up on the slurm target: isolated mode, the test Slurm, a 4-core 1-cluster quota."""
    alice, bob = unix_users
    work = passable_folder("spacehub-slurm-hub-")  # the jobs, run as the users, reach the clusters' folders
    hub = RunningHub(
        work,
        mode="isolated", target="slurm", isolated={"accounts": "existing"},
        auth={"type": "local", "admin_users": ["admin"], "allowed_users": [alice, bob, "nobody-here"]},
        slurm={"slurm_conf": str(slurm_conf), "partition": "spacehub", "job_env": str(JOB_ENV),
               "walltime": "00:20:00"},
        # these users have no JupyterLab server running: keep their clusters anyway
        gateway={"stop_with_server": False, "user_quota": {"cores": 4, "memory_gib": 8, "clusters": 1}},
    ).start(timeout=90)
    yield hub
    hub.stop()
    shutil.rmtree(work, ignore_errors=True)
