"""Isolated mode as an attacker with an account sees it: two real Unix users, one hub, one machine.

alice and bob log in through the form; the hub makes their Unix accounts, starts their servers as
them and their Dask clusters as them. Then bob, from his own kernel, goes after what is alice's
(her files, her kernels' connection files, her processes' environment, her cluster's TLS key, her
scheduler) and after the hub's secrets. Every attempt must be refused by the operating system.

As root only (isolated mode runs as root); needs the users' environment `make install` builds.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import subprocess
from pathlib import Path

import psutil
import pytest
from hubtools import RunningHub, passable_folder, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="isolated mode runs as root: run the suite as root (make test does "
                                                 "in CI) to see users walled off from each other"),
]

USERS_ENV = Path("/opt/spacehub/env")
GROUP = "spacehub-users"


@pytest.fixture(scope="module")
def isolated(sample_dir):
    if not (USERS_ENV / "bin" / "jupyterhub-singleuser").exists():
        pytest.fail(f"{USERS_ENV} is missing: `make install` builds it as root (hub/users-env.sh)")
    suffix = secrets.token_hex(3)
    names = {"alice": f"alice{suffix}", "bob": f"bob{suffix}", "admin": f"adm{suffix}"}
    group_existed = _group_exists(GROUP)
    gallery_existed = _account_exists("spacehub-gallery")  # the gallery's service makes it
    work = passable_folder("spacehub-isolated-")
    state = work / "state"
    state.mkdir()
    shutil.copytree(sample_dir, state / "sample-data")
    for folder, _, files in os.walk(state / "sample-data"):  # as `spacehub data sample` leaves them
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    hub = RunningHub(work, mode="isolated", unsafe_demo_as_root=False,
                     isolated={"users_env": str(USERS_ENV), "group": GROUP},
                     auth={"type": "local", "admin_users": [names["admin"]],
                           "allowed_users": [names["alice"], names["bob"]]})
    try:
        hub.start(timeout=120)
        hub._admin = hub.login(names["admin"], hub.secret("admin_password"))
        yield hub, names
    finally:
        hub.stop()
        for name in names.values():
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        if not group_existed:
            subprocess.run(["groupdel", GROUP], capture_output=True)
        if not gallery_existed:
            subprocess.run(["userdel", "spacehub-gallery"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="module")
def kernels(isolated):
    hub, names = isolated
    alice = hub.user_kernel(names["alice"], "alice-password-1", timeout=180)
    bob = hub.user_kernel(names["bob"], "bob-password-12", timeout=180)
    yield alice, bob
    alice.close()
    bob.close()


@pytest.fixture(scope="module")
def alice_cluster(isolated, kernels):
    """alice's cluster, started from her kernel; its name and what its workers say they run as."""
    alice, _ = kernels
    out = alice.run(
        "import os, json\n"
        "from dask_gateway import GatewayCluster\n"
        "cluster = GatewayCluster()\n"
        "cluster.scale(1)\n"
        "client = cluster.get_client()\n"
        "client.wait_for_workers(1, timeout=120)\n"
        "print(json.dumps({'name': cluster.name, 'worker_uid': client.submit(os.getuid, pure=False).result(),"
        " 'scheduler_uid': client.run_on_scheduler(os.getuid),"
        " 'scheduler': client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.address)}))\n", timeout=240)
    return json.loads(out.strip().splitlines()[-1])


def test_accounts_made_at_first_login_with_private_homes(isolated, kernels):
    hub, names = isolated
    for who in ("alice", "bob"):
        entry = pwd.getpwnam(names[who])
        assert entry.pw_uid >= 1000
        assert names[who] in grp.getgrnam(GROUP).gr_mem
        assert Path(entry.pw_dir).stat().st_mode & 0o777 == 0o700
        # the templates were copied by the user's own process: theirs, inside the home
        assert (Path(entry.pw_dir) / "templates" / "getting-started.ipynb").stat().st_uid == entry.pw_uid
        servers = [p for p in psutil.process_iter(["uids", "cmdline"])
                   if p.info["uids"] and p.info["uids"].real == entry.pw_uid
                   and any("jupyterhub-singleuser" in part for part in p.info["cmdline"] or [])]
        assert servers, f"{who}'s server does not run as {names[who]}"


def test_hub_state_is_least_privilege(isolated):
    hub, _ = isolated
    state = Path(hub.settings["state_dir"])
    mode = {p: (state / p).stat().st_mode & 0o777 for p in ("", "secrets", "jupyterhub.sqlite", "gateway.sqlite",
                                                            "sample-data", "cache", "gateway-clusters")}
    assert mode == {"": 0o711, "secrets": 0o700, "jupyterhub.sqlite": 0o600, "gateway.sqlite": 0o600,
                    "sample-data": 0o755, "cache": 0o755, "gateway-clusters": 0o711}
    assert all((p.stat().st_mode & 0o077) == 0 for p in (state / "secrets").iterdir())


def test_user_reads_sample_data_and_computes_on_a_cluster_of_their_own(isolated, kernels, alice_cluster):
    hub, names = isolated
    alice, _ = kernels
    uid = pwd.getpwnam(names["alice"]).pw_uid
    assert alice_cluster["worker_uid"] == uid and alice_cluster["scheduler_uid"] == uid
    # bob computes on a cluster of his own at the same time (what one user's workers leave in shared
    # places, such as a scratch folder in /tmp, must not stop another's)
    _, bob = kernels
    bob_uid = bob.run(
        "import os\n"
        "from dask_gateway import GatewayCluster\n"
        "with GatewayCluster() as c:\n"
        "    c.scale(1)\n"
        "    cl = c.get_client()\n"
        "    cl.wait_for_workers(1, timeout=120)\n"
        "    scratch = cl.run(lambda dask_worker: os.path.abspath(dask_worker.local_directory))\n"
        "    print(cl.submit(os.getuid, pure=False).result(), *scratch.values())\n", timeout=240)
    uid, scratch = bob_uid.strip().splitlines()[-1].split(maxsplit=1)
    assert len(scratch.split()) == 1, bob_uid
    assert int(uid) == pwd.getpwnam(names["bob"]).pw_uid
    # a worker's temporary files (spilled data) stay in its cluster's private folder
    assert scratch.startswith(str(Path(hub.settings["state_dir"]) / "gateway-clusters")) and scratch != "/tmp"
    out = alice.run(
        "import spacehub.catalog\n"
        "ds = spacehub.catalog.open()['omni_hro_1min'].read('2015-03-17', '2015-03-18')\n"
        "print(float(ds['SYM_H'].min()))\n")
    assert float(out) < -200  # the St Patrick's Day storm of the samples
    # the hub's cache is read-only to her: what it lacks she downloads into a cache of her own
    own, shared, mode = alice.run(
        "from spacehub.environment import cache_location, shared_cache\n"
        "c = shared_cache(*cache_location(), lambda url: True)\n"
        "print(c.root, *c.shared, oct(c.root.stat().st_mode & 0o777))\n").split()
    home = pwd.getpwnam(names["alice"]).pw_dir
    assert (own, shared, mode) == (f"{home}/.cache/spacehub", str(Path(hub.settings["state_dir"]) / "cache"), "0o700")


def test_other_user_cannot_reach_what_is_alice(isolated, kernels, alice_cluster):
    hub, names = isolated
    alice, bob = kernels
    state = Path(hub.settings["state_dir"])
    home = Path(pwd.getpwnam(names["alice"]).pw_dir)
    alice.run("open(os.path.expanduser('~/secret-notes.txt'), 'w').write('alice only')\n")
    assert (home / "secret-notes.txt").read_text() == "alice only"
    alice_uid = pwd.getpwnam(names["alice"]).pw_uid
    pids = [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == alice_uid]
    workdir = state / "gateway-clusters" / alice_cluster["name"]
    certs = workdir / ".certs"
    # her cluster's folder and credentials are hers alone (the gateway, as root, made them for her)
    for path, mode in ((workdir, 0o700), (certs, 0o700), (certs / "dask.pem", 0o600), (certs / "dask.crt", 0o600)):
        assert (path.stat().st_uid, path.stat().st_mode & 0o777) == (alice_uid, mode), path
    scheduler = alice_cluster["scheduler"]
    assert scheduler.startswith("tls://127.0.0.1:")
    targets = {
        "home listing": f"os.listdir({str(home)!r})",
        "her file": f"open({str(home / 'secret-notes.txt')!r}).read()",
        "her kernels' connection files": f"os.listdir({str(home / '.local/share/jupyter/runtime')!r})",
        "her processes' environment": f"[open(f'/proc/{{pid}}/environ').read() for pid in {pids!r}]",
        "her cluster's TLS key": f"[open(os.path.join({str(certs)!r}, f)).read() for f in ('dask.pem', 'dask.crt')]",
        "the list of clusters": f"os.listdir({str(state / 'gateway-clusters')!r})",
        "hub secrets": f"os.listdir({str(state / 'secrets')!r})",
        "admin password": f"open({str(state / 'secrets' / 'admin_password')!r}).read()",
        "hub database": f"open({str(state / 'jupyterhub.sqlite')!r}, 'rb').read()",
        "gateway database": f"open({str(state / 'gateway.sqlite')!r}, 'rb').read()",
        "the shared cache (plant a file)": f"open({str(state / 'cache' / 'data' / 'planted')!r}, 'w').write('x')",
        "the sample data (change it)": f"open(next(iter(sorted(__import__('glob').glob("
                                        f"{str(state / 'sample-data')!r} + '/**/*.*', recursive=True)))), 'a')",
    }
    code = ["import os, json", "denied = {}"]
    for what, expr in targets.items():
        code += ["try:", f"    {expr}", f"    denied[{what!r}] = 'READ'",
                 "except PermissionError:", f"    denied[{what!r}] = 'denied'",
                 "except Exception as e:", f"    denied[{what!r}] = f'{{type(e).__name__}}: {{e}}'"]
    code.append("print(json.dumps(denied))")
    answers = json.loads(bob.run("\n".join(code)).strip().splitlines()[-1])
    assert answers == dict.fromkeys(targets, "denied")
    # her scheduler, knowing its address: without her cluster's TLS key the handshake fails
    out = bob.run(
        "from distributed import Client\n"
        "from distributed.security import Security\n"
        "try:\n"
        f"    Client({scheduler!r}, security=Security.temporary(), timeout=5).close()\n"
        "    print('CONNECTED')\n"
        "except Exception as e:\n"
        "    print('refused', type(e).__name__)\n", timeout=60)
    assert out.startswith("refused"), out
    # and through the gateway: her cluster is not his to connect to
    r = hub.gateway(hub.token_for(names["bob"])).request("GET", alice_cluster["name"])
    assert r.status_code in (403, 404)


def test_shared_and_group_folders_hold_by_unix_permissions(isolated, kernels):
    """alice is in hub group `physics`, bob is not: after her next start she writes in
    ~/groups/physics, which bob can neither see in his home nor reach by its path; ~/shared is
    everyone's to read and the admin's to write. Runs last: it restarts alice's server."""
    hub, names = isolated
    admin = hub._admin
    alice_name = names["alice"]
    r = hub.api("POST", "groups/physics", session=admin, json={"users": [alice_name]})
    assert r.status_code == 201, r.text
    alice_old, bob = kernels
    alice_old.close()
    hub.api("DELETE", f"users/{alice_name}/server", token=hub.token_for(alice_name))
    wait_for(lambda: not hub.api("GET", f"users/{alice_name}", token=hub.token_for(alice_name)).json()["servers"],
             60, what="alice's server stopped")
    alice = hub.user_kernel(alice_name, "alice-password-1", timeout=180)
    try:
        root = Path(hub.settings["state_dir"]) / "folders"
        out = alice.run(
            "import os, json, stat\n"
            "p = os.path.expanduser('~/groups/physics/plan.txt')\n"
            "open(p, 'w').write('beam time on Monday')\n"
            "st = os.stat(p)\n"
            "try:\n"
            "    open(os.path.expanduser('~/shared/mine.txt'), 'w')\n"
            "    shared = 'WROTE'\n"
            "except PermissionError:\n"
            "    shared = 'denied'\n"
            "print(json.dumps({'mode': oct(st.st_mode & 0o777), 'group': __import__('grp').getgrgid(st.st_gid).gr_name,"
            " 'links': sorted(os.listdir(os.path.expanduser('~/groups'))), 'shared': shared}))\n")
        got = json.loads(out.strip().splitlines()[-1])
        assert got == {"mode": "0o664", "group": "spacehub-g-physics", "links": ["physics"], "shared": "denied"}
        assert (root / "groups" / "physics" / "plan.txt").read_text() == "beam time on Monday"
        # bob: no link in his home, and the folder itself is closed to him (nor can he list the groups)
        out = bob.run(
            "import os, json\n"
            "answers = {'link': os.path.exists(os.path.expanduser('~/groups/physics'))}\n"
            f"for what, expr in (('read', lambda: open({str(root / 'groups' / 'physics' / 'plan.txt')!r}).read()),\n"
            f"                   ('list groups', lambda: os.listdir({str(root / 'groups')!r}))):\n"
            "    try:\n"
            "        expr(); answers[what] = 'READ'\n"
            "    except PermissionError:\n"
            "        answers[what] = 'denied'\n"
            "print(json.dumps(answers))\n")
        assert json.loads(out.strip().splitlines()[-1]) == {"link": False, "read": "denied", "list groups": "denied"}
        # the admin writes ~/shared; alice reads it
        admin_kernel = hub.user_kernel(names["admin"], hub.secret("admin_password"), timeout=180)
        try:
            admin_kernel.run("open(__import__('os').path.expanduser('~/shared/syllabus.md'), 'w').write('week 1')\n")
        finally:
            admin_kernel.close()
        assert alice.run("print(open(__import__('os').path.expanduser('~/shared/syllabus.md')).read())").strip() \
            == "week 1"
    finally:
        alice.close()


def test_the_gallery_re_runs_notebooks_as_an_account_of_their_own_never_root(isolated):
    """alice publishes a notebook that says who runs it, reads catalog data and tries the hub's secrets;
    its outputs as published are those of a run as `spacehub-gallery` refused the secret, so the
    check passes only if the re-run ran so."""
    import requests

    hub, names = isolated
    token = hub.token_for(names["alice"])
    secret = Path(hub.settings["state_dir"]) / "secrets" / "admin_password"
    code = [("import os, pwd\nprint(pwd.getpwuid(os.geteuid()).pw_name, os.geteuid() == 0)", "spacehub-gallery False\n"),
            ("import spacehub.catalog\n"
             "print(spacehub.catalog.open()['omni_hro_1min'].read('2015-03-17', '2015-03-18', ['SYM_H']).time.size)",
             "1440\n"),
            (f"try:\n    open({str(secret)!r}).read()\n    print('READ')\nexcept PermissionError:\n    print('refused')",
             "refused\n")]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                          "display_name": "Python 3"}},
          "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": i + 1, "source": src,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": out}]}
                    for i, (src, out) in enumerate(code)]}
    api = hub.url + "services/gallery/api/"
    h = {"Authorization": f"token {token}"}
    r = requests.post(api + "entries", headers=h, json={"notebook": nb, "title": "Who runs me", "visibility": "private"},
                      timeout=60)
    assert r.status_code == 201, r.text
    entry = r.json()["id"]
    check = wait_for(lambda: (c := requests.get(api + f"entries/{entry}/v1", headers=h, timeout=30).json()
                              .get("check", {})).get("status") in ("passed", "failed") and c, 300,
                     what="the gallery's check")
    assert check["status"] == "passed", check
    store = Path(hub.settings["state_dir"]) / "gallery"
    assert oct(store.stat().st_mode & 0o777) == "0o711" and oct((store / "entries").stat().st_mode & 0o777) == "0o700"
    account = pwd.getpwnam("spacehub-gallery")
    assert account.pw_uid < 1000 and account.pw_shell.endswith("nologin")  # a system account, no login
    assert "spacehub-gallery" not in grp.getgrnam(GROUP).gr_mem
