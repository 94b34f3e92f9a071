"""The local hub end to end: login form, spawn, a Dask Gateway cluster from inside the user's
server, other users refused, the per-user quota, clusters stopped with the server."""

import json
from pathlib import Path

import pytest
import requests
from hubtools import Kernel, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def alice(hub):
    """alice logged in through the form (first login sets her password) with a running server."""
    session = hub.login("alice", PASSWORD)
    r = session.get(hub.url + "hub/spawn", allow_redirects=False, timeout=30)
    assert r.status_code in (200, 302), r.text
    wait_for(lambda: hub.api("GET", "users/alice", session=hub.admin()).json()["servers"].get("", {}).get("ready"),
             60, what="alice's server ready")
    token = hub.token_for("alice")
    return {"session": session, "token": token, "server": hub.url + "user/alice/"}


@pytest.fixture(scope="module")
def bob_token(hub):
    hub.login("bob", "bobs-own-password")
    return hub.token_for("bob")


@pytest.fixture(scope="module")
def alice_kernel(alice):
    kernel = Kernel(alice["server"], alice["token"])
    yield kernel
    kernel.close()


def test_login_form_and_lab(hub, alice):
    # the browser session reaches her JupyterLab through the hub's OAuth
    r = alice["session"].get(alice["server"] + "lab", timeout=30)
    assert r.status_code == 200
    assert "JupyterLab" in r.text
    # the templates were put into her home before the server started, and she can open them
    home = hub.workdir / "state" / "homes" / "alice"
    assert (home / "templates" / "getting-started.ipynb").is_file()
    r = alice["session"].get(alice["server"] + "api/contents/templates/getting-started.ipynb", timeout=30)
    assert r.status_code == 200 and r.json()["type"] == "notebook"
    # a wrong password is refused at the form
    with pytest.raises(PermissionError):
        hub.login("alice", "not-her-password")


def test_unlisted_user_cannot_sign_up(hub):
    with pytest.raises(PermissionError):
        hub.login("mallory", "any-password-at-all")


def test_anonymous_requests_refused(hub, alice):
    assert requests.get(hub.url + "hub/api/users", timeout=10).status_code == 403
    assert requests.get(hub.gateway_url + "/api/v1/clusters/", timeout=10).status_code == 401
    r = requests.get(alice["server"] + "api/contents", timeout=10, allow_redirects=False)
    assert r.status_code in (302, 403)
    if r.status_code == 302:
        assert "/hub/" in r.headers["Location"]


def test_cluster_from_inside_server(hub, alice, alice_kernel):
    out = alice_kernel.run(
        "from dask_gateway import GatewayCluster\n"
        "cluster = GatewayCluster()\n"
        "cluster.scale(2)\n"
        "client = cluster.get_client()\n"
        "client.wait_for_workers(2, timeout=120)\n"
        "import dask.array as da\n"
        "print('SUM', int(da.arange(1_000_000, chunks=100_000).sum().compute()))\n"
        # mission data read lazily in the notebook, computed by the cluster's workers
        "import spacehub.catalog\n"
        "ds = spacehub.catalog.open().omni_hro_1min.read('2015-02-01', '2015-05-01', ['SYM_H'], lazy=True)\n"
        "print('SYMH_MIN', float(ds.SYM_H.min().compute()))\n"
        "print('WORKERS', len(client.scheduler_info()['workers']))\n"
        "print('NAME', cluster.name)\n"
        "print('DASHBOARD', cluster.dashboard_link)\n",
        timeout=180,
    )
    values = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert int(values["SUM"]) == sum(range(1_000_000))
    assert float(values["SYMH_MIN"]) < -150  # the injected storm, found by the workers
    assert int(values["WORKERS"]) == 2
    name = values["NAME"]
    assert values["DASHBOARD"] == f"{hub.gateway_url}/clusters/{name}/status"
    # the dashboard answers its owner through the hub's proxy (tests/integration/test_dashboards.py: only her)
    r = requests.get(values["DASHBOARD"], headers={"Authorization": f"token {alice['token']}"}, timeout=30)
    assert r.status_code == 200 and "Dask" in r.text
    alice["cluster"] = name


def test_cluster_options_widget(alice_kernel):
    # the options form users see, built and driven inside the server
    out = alice_kernel.run(
        "from dask_gateway import Gateway\n"
        "gateway = Gateway()\n"
        "options = gateway.cluster_options()\n"
        "widget = options._widget()\n"
        "print('WIDGET', type(widget).__name__)\n"
        "print('DEFAULT', options.worker_cores)\n"
        "options.worker_cores = 2\n"
        "try:\n"
        "    options.worker_cores = 3\n"
        "except ValueError as e:\n"
        "    print('REFUSED', str(e).replace(chr(10), ' '))\n"
        "print('CHOSEN', options.worker_cores)\n"
        "gateway.close()\n")
    values = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert values["WIDGET"] == "VBox"
    assert values["DEFAULT"] == "1"
    assert "3" in values["REFUSED"] and values["CHOSEN"] == "2"


def test_cluster_panel_against_the_real_gateway(alice, alice_kernel):
    """The templates' ClusterPanel drives alice's real cluster and shows her real quota and refusals."""
    out = alice_kernel.run(
        "from spacehub.widgets import ClusterPanel\n"
        "panel = ClusterPanel(background=False)\n"
        "m = panel.model\n"
        "print('QUOTA', m.limits.describe())\n"
        f"m.attach({alice['cluster']!r})\n"
        "print('RUNNING', m.status, m.workers, bool(m.dashboard_link))\n"
        "m.scale(20)\n"
        "print('REFUSED', m.failed, m.message.replace(chr(10), ' '))\n"
        "m.refresh()\n"
        "print('STILL', m.status, m.workers)\n",
        timeout=180,
    )
    values = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert values["QUOTA"] == "4 cores, 8.0 GiB, 2 clusters"  # the test hub's gateway.user_quota
    assert values["RUNNING"] == "running 2 True"
    failed, message = values["REFUSED"].split(" ", 1)
    assert failed == "True" and "scaling to 20 workers failed" in message and "4" in message, message
    assert values["STILL"] == "running 2"  # the refusal changed nothing


def test_other_user_cannot_touch_cluster(hub, alice, bob_token):
    name = alice["cluster"]
    bob = hub.gateway(bob_token)
    assert name not in bob.names()
    assert bob.request("GET", name).status_code == 403
    assert bob.stop(name).status_code == 403
    assert bob.scale(name, 0).status_code == 403
    assert hub.gateway(alice["token"]).status(name) == "RUNNING"
    # and without any token
    anonymous = hub.gateway(None)
    assert anonymous.request("GET", name).status_code == 401
    assert anonymous.stop(name).status_code == 401


def test_user_quota_across_clusters(hub, alice):
    # settings: 4 cores and 2 clusters per user; alice's first cluster holds 1 + 2 x 1 cores
    gw = hub.gateway(alice["token"])
    second = gw.new()
    try:
        wait_for(lambda: gw.status(second) == "RUNNING", 60, what="second cluster running")
        r = gw.scale(second, 1)
        assert r.status_code == 409
        why = r.json()["error"]
        assert "alice's quota of 4 cores" in why and "at most 0 worker(s)" in why
        r = gw.create()
        assert r.status_code == 422
        assert "already has 2 running cluster(s)" in r.json()["error"]
        # room appears when the first cluster shrinks
        assert gw.scale(alice["cluster"], 1).json() == {"ok": True, "msg": None}
        assert gw.scale(second, 1).status_code == 200
    finally:
        gw.stop(second)
    wait_for(lambda: gw.status(second) == "STOPPED", 30, what="second cluster stopped")
    assert gw.scale(alice["cluster"], 2).status_code == 200


def test_rtc_enabled(alice):
    r = requests.put(alice["server"] + "api/collaboration/session/Untitled.ipynb",
                     headers={"Authorization": f"token {alice['token']}"},
                     json={"format": "json", "type": "notebook"}, timeout=30)
    assert r.status_code in (200, 201), r.text
    assert r.json()["fileId"]


def test_server_sharing(hub, alice, bob_token):
    r = hub.api("POST", "shares/alice/", token=alice["token"], json={"user": "bob"})
    assert r.status_code == 200, r.text
    r = requests.get(alice["server"] + "api/status", headers={"Authorization": f"token {bob_token}"}, timeout=10)
    assert r.status_code == 200
    r = hub.api("DELETE", "shares/alice/", token=alice["token"], params={"user": "bob"})
    assert r.status_code in (200, 204)


def test_hapiclient_in_her_kernel_caches_in_her_home(hub, alice_kernel):
    """hapiclient with its defaults (it caches) in alice's kernel: her own ~/.cache/hapiclient (0700),
    nothing in the temp dir every account shares, no token in any name."""
    out = alice_kernel.run(
        "import json, os, stat, tempfile\n"
        "import spacehub.data\n"
        "from hapiclient import hapi\n"
        "from hapiclient.cache import server2dirname\n"
        "server = spacehub.data.hapi_server()\n"
        "data, _ = hapi(server, 'omni_hro_1min', 'SYM_H', '2015-03-17T00:00:00Z', '2015-03-18T00:00:00Z')\n"
        "def walk(top):\n"
        "    return [os.path.join(d, n) for d, ds, fs in os.walk(top) for n in ds + fs]\n"
        "folder = os.path.expanduser('~/.cache/hapiclient')\n"
        "shared = os.path.join(tempfile.gettempdir(), 'hapi-data')\n"
        "token = os.environ['JUPYTERHUB_API_TOKEN']\n"
        "print(json.dumps({'records': len(data), 'folder': folder, 'mode': stat.S_IMODE(os.stat(folder).st_mode),\n"
        "                  'cached': walk(folder), 'shared': [p for p in walk(shared) if server2dirname(server) in p],\n"
        "                  'token_in_a_name': any(token in p for p in walk(folder) + walk(shared))}))\n")
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["records"] == 1440
    assert seen["folder"] == str(hub.workdir / "state" / "homes" / "alice" / ".cache" / "hapiclient")
    assert seen["mode"] == 0o700
    assert any(p.endswith(".bin") for p in seen["cached"]), seen["cached"]
    assert seen["shared"] == [] and seen["token_in_a_name"] is False


def test_a_token_in_a_url_opens_nothing(hub, alice):
    """Tokens go in headers: the hub's API, her server and the data service take none from a URL
    (JupyterHub 6.1: the hub reads only the header, and servers' HubAuth.allow_token_in_url is off)."""
    token = alice["token"]
    assert requests.get(f"{hub.url}hub/api/user?token={token}", timeout=10).status_code == 403
    assert requests.get(f"{hub.url}hub/api/user", headers={"Authorization": f"token {token}"}, timeout=10).ok
    r = requests.get(f"{alice['server']}api/contents?token={token}", timeout=10, allow_redirects=False)
    assert r.status_code in (302, 403), r.status_code
    assert requests.get(f"{alice['server']}api/contents", headers={"Authorization": f"token {token}"}, timeout=10).ok
    r = requests.get(f"{hub.url}services/data/hapi/catalog?token={token}", timeout=10)
    assert r.status_code == 400 and "Authorization: token" in r.json()["status"]["message"]


def test_stopping_server_stops_clusters(hub, alice):
    name = alice["cluster"]
    r = hub.api("DELETE", "users/alice/server", session=hub.admin())
    assert r.status_code in (202, 204)
    gw = hub.gateway(alice["token"])
    wait_for(lambda: gw.status(name) == "STOPPED", 40, what="alice's cluster stopped after her server stopped")
    assert not gw.names()


def test_health_endpoints(hub):
    assert requests.get(hub.url + "hub/health", timeout=10).status_code == 200
    r = requests.get(hub.gateway_url + "/api/health", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "pass"


def test_data_service_through_hub(hub, alice, bob_token):
    """The HAPI service behind the hub: anonymous refused, every user served, scope checked."""
    hapi = hub.url + "services/data/hapi"
    assert requests.get(hapi + "/catalog", timeout=10).status_code == 401
    assert requests.get(hapi + "/catalog", headers={"Authorization": "token not-a-real-token"},
                        timeout=10).status_code == 403
    for token in (alice["token"], bob_token):
        r = requests.get(hapi + "/catalog", headers={"Authorization": f"token {token}"}, timeout=10)
        assert r.status_code == 200 and "omni_hro_1min" in r.text
    # a browser logged in to the hub gets in through the service's OAuth
    r = alice["session"].get(hapi + "/catalog", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200 and r.json()["status"]["code"] == 1200
    assert requests.get(hapi + "/catalog", headers={"Accept": "text/html"}, timeout=10,
                        allow_redirects=False).status_code == 302  # and a stranger is sent to log in
    # a token without access to the data service is refused
    r = hub.api("POST", "users/bob/tokens", session=hub.admin(), json={"scopes": ["read:users:name!user=bob"]})
    narrow = r.json()["token"]
    r = requests.get(hapi + "/catalog", headers={"Authorization": f"token {narrow}"}, timeout=10)
    assert r.status_code == 403


def test_hapiclient_through_hub(hub, alice, tmp_path):
    """hapiclient sends the token as a header (spacehub.data.hapi_client), and values match read()."""
    from hapiclient import hapi as hapi_client

    from spacehub.data.hapi_client import authorize

    server = f"{hub.url}services/data/hapi"
    authorize(server, alice["token"])
    data, _ = hapi_client(server, "omni_hro_1min", "SYM_H", "2015-03-17T00:00:00Z", "2015-03-18T00:00:00Z",
                          format="binary", cachedir=str(tmp_path), usecache=False, logging=False)
    assert len(data) == 1440
    assert data["SYM_H"].min() < -150  # the injected storm
    assert alice["token"] not in hub.log()


def test_shared_and_group_folders_in_the_file_browser(hub):
    """Demo mode: rosa's file browser shows shared/ and the folder of her group, where what she saves
    lands for the group; quinn, in no group, has no groups/ folder."""
    admin = hub.admin()
    for name in ("rosa", "quinn"):
        assert hub.api("POST", f"users/{name}", session=admin).status_code in (201, 409)
    assert hub.api("POST", "groups/optics", session=admin, json={"users": ["rosa"]}).status_code == 201
    rosa, quinn = (hub.user_kernel(name, f"{name}-password-1") for name in ("rosa", "quinn"))
    try:
        def contents(user, path, **kw):
            return requests.request(kw.pop("method", "GET"), hub.url + f"user/{user}/api/contents/{path}",
                                    headers={"Authorization": f"token {hub.token_for(user)}"}, timeout=30, **kw)

        listing = contents("rosa", "groups").json()
        assert [(c["name"], c["type"]) for c in listing["content"]] == [("optics", "directory")]
        saved = contents("rosa", "groups/optics/lab-notes.md", method="PUT",
                         json={"type": "file", "format": "text", "content": "laser aligned"})
        assert saved.status_code in (200, 201), saved.text
        root = Path(hub.settings["state_dir"]) / "folders"
        assert (root / "groups" / "optics" / "lab-notes.md").read_text() == "laser aligned"
        assert contents("rosa", "shared").status_code == 200
        assert contents("quinn", "groups").status_code == 404 and contents("quinn", "shared").status_code == 200
        # shared/ is the admins': rosa's server refuses her change, saying why (demo mode: her code could)
        refused = contents("rosa", "shared/notes.md", method="PUT", json={"type": "file", "format": "text", "content": "x"})
        assert refused.status_code == 403 and "read-only" in refused.json()["message"]
        assert not (root / "shared" / "notes.md").exists()
    finally:
        rosa.close()
        quinn.close()


def test_groups_from_the_hosts_command_line(hub, alice):
    """`spacehub groups`, run by the hub's account on the host, changes the hub's groups (those the
    folders follow), with the admin-cli service's token (which also makes workshops' seats, starts, stops and
    shares their servers), never the hub's tokens, proxy or shutdown."""
    import os
    import subprocess
    import sys

    def groups(*args):
        done = subprocess.run([sys.executable, "-m", "spacehub.cli", "groups", *args, "--config", str(hub.config)],
                              capture_output=True, text=True, timeout=60, env={**os.environ})
        return done.returncode, done.stdout + done.stderr

    assert groups("create", "geology", "alice") == (0, "created group geology with alice\n")
    assert groups("add", "geology", "bob")[0] == 0
    code, listing = groups("list")
    assert code == 0 and "geology: alice, bob" in listing
    assert groups("remove", "geology", "bob")[0] == 0
    members = hub.api("GET", "groups/geology", session=hub.admin()).json()["users"]
    assert members == ["alice"]
    code, said = groups("add", "no-such-group", "alice")
    assert code == 1 and "the hub refused POST groups/no-such-group/users: 404" in said
    # the token makes groups and workshops' seats, and shares seats' servers (so it reaches servers: JupyterHub
    # lets only who can open a server share it); the hub's tokens, its proxy and its shutdown stay closed
    token = (Path(hub.settings["state_dir"]) / "secrets" / "service_token_admin-cli").read_text().strip()
    for method, path in (("GET", "users/alice/tokens"), ("GET", "proxy"), ("POST", "users/alice/tokens")):
        assert hub.api(method, path, token=token).status_code == 403, (method, path)
    assert groups("delete", "geology")[0] == 0
