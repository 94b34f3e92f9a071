"""The slurm target end to end on a real Slurm: a user's Dask cluster runs as Slurm jobs under their
own Unix account, computes, holds to the quota, is private, survives a cancelled worker job, and
leaves no job behind."""

import os
import pwd
import subprocess

import pytest
from hubtools import wait_for

pytestmark = [pytest.mark.slurm, pytest.mark.integration, pytest.mark.slow,
              # jobs run Debian's python3 (3.11.2), this client the hub's (3.11.x): same pickles, patch apart
              pytest.mark.filterwarnings("ignore::distributed.versions.VersionMismatchWarning")]

PASSWORD = "correct-horse-battery"


def jobs(slurm_conf, cluster: str) -> dict[str, tuple[str, str]]:
    """Slurm's jobs of ``cluster``: job id -> (user, job name), from `squeue -o '%i %u %j'`."""
    out = subprocess.run(["squeue", "-h", "-o", "%i %u %j"], env={**os.environ, "SLURM_CONF": str(slurm_conf)},
                         check=True, capture_output=True, text=True).stdout
    rows = (line.split() for line in out.splitlines())
    return {job: (user, name) for job, user, name in rows if name.endswith(cluster)}


def workers(job_table) -> set[str]:
    return {job for job, (_, name) in job_table.items() if name.startswith("dask-worker-")}


@pytest.fixture(scope="module")
def alice(slurm_hub, unix_users):
    name = unix_users[0]
    slurm_hub.login(name, PASSWORD)
    return {"name": name, "token": slurm_hub.token_for(name)}


@pytest.fixture(scope="module")
def cluster(slurm_hub, alice):
    """alice's cluster, scaled to 2 workers; shut down by the last test."""
    gw = slurm_hub.gateway(alice["token"])
    name = gw.new()
    wait_for(lambda: gw.status(name) == "RUNNING", 90, what="cluster running")
    assert gw.scale(name, 2).status_code == 200
    return name


@pytest.fixture(scope="module")
def client(slurm_hub, alice, cluster):
    from dask_gateway import Gateway
    from dask_gateway.auth import JupyterHubAuth

    gateway = Gateway(address=slurm_hub.gateway_url,
                      proxy_address=f"gateway://127.0.0.1:{slurm_hub.settings['gateway']['port']}",
                      auth=JupyterHubAuth(api_token=alice["token"]))
    dask_client = gateway.connect(cluster).get_client()
    dask_client.wait_for_workers(2, timeout=90)
    yield dask_client
    dask_client.close()
    gateway.close()


def test_workers_are_slurm_jobs_of_the_user(slurm_conf, alice, cluster, client):
    table = wait_for(lambda: (t := jobs(slurm_conf, cluster)) and len(t) == 3 and t, 60,
                     what="scheduler + 2 worker jobs in squeue")
    assert sorted(name.split("-")[1] for _, name in table.values()) == ["scheduler", "worker", "worker"]
    assert {user for user, _ in table.values()} == {alice["name"]}
    # the worker processes themselves run under alice's uid
    uids = client.run(os.getuid)
    assert len(uids) == 2
    assert set(uids.values()) == {pwd.getpwnam(alice["name"]).pw_uid}
    import dask.array as da

    assert int(da.arange(1_000_000, chunks=100_000).sum().compute()) == sum(range(1_000_000))


def test_other_user_cannot_touch_the_cluster(slurm_hub, unix_users, alice, cluster):
    bob = unix_users[1]
    slurm_hub.login(bob, "bobs-own-password")
    gw = slurm_hub.gateway(slurm_hub.token_for(bob))
    assert cluster not in gw.names()
    assert gw.request("GET", cluster).status_code == 403
    assert gw.scale(cluster, 0).status_code == 403
    assert gw.stop(cluster).status_code == 403
    assert slurm_hub.gateway(alice["token"]).status(cluster) == "RUNNING"


def test_quota_holds_on_slurm(slurm_conf, slurm_hub, alice, cluster):
    # quota: 4 cores, 1 cluster; the scheduler holds 1 core and each worker 1
    gw = slurm_hub.gateway(alice["token"])
    r = gw.scale(cluster, 4)
    assert r.status_code == 409
    assert f"{alice['name']}'s quota of 4 cores" in r.json()["error"] and "at most 3 worker(s)" in r.json()["error"]
    r = gw.create()
    assert r.status_code == 422 and "already has 1 running cluster(s)" in r.json()["error"]
    assert len(workers(jobs(slurm_conf, cluster))) == 2  # nothing was submitted for the refusals


def test_user_without_unix_account_is_told_what_to_do(slurm_hub):
    slurm_hub.login("nobody-here", "a-long-password")
    r = slurm_hub.gateway(slurm_hub.token_for("nobody-here")).create()
    assert r.status_code == 422
    assert "has no Unix account" in r.json()["error"] and "useradd" in r.json()["error"]


def test_cancelled_worker_job_is_replaced(slurm_conf, cluster, client):
    before = workers(jobs(slurm_conf, cluster))
    assert len(before) == 2
    victim = sorted(before)[0]
    subprocess.run(["scancel", victim], env={**os.environ, "SLURM_CONF": str(slurm_conf)}, check=True)
    # the gateway sees the job gone at its next squeue and submits a new one for the same count
    after = wait_for(lambda: (w := workers(jobs(slurm_conf, cluster))) and len(w) == 2 and victim not in w and w,
                     90, what="a replacement worker job")
    assert victim not in after
    client.wait_for_workers(2, timeout=90)
    assert sum(client.gather(client.map(lambda x: x * x, range(10)))) == 285


def test_shutdown_leaves_no_jobs(slurm_conf, slurm_hub, alice, cluster, client):
    gw = slurm_hub.gateway(alice["token"])
    assert gw.stop(cluster).status_code == 204
    wait_for(lambda: gw.status(cluster) == "STOPPED", 60, what="cluster stopped")
    wait_for(lambda: not jobs(slurm_conf, cluster), 60, what="the cluster's jobs gone from squeue")
