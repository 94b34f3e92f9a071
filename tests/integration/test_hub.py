"""The local hub end to end: login form, spawn, a Dask Gateway cluster from inside the user's
server, other users refused, the per-user quota, clusters stopped with the server."""

import aiohttp
import pytest
import requests
from dask_gateway import GatewayClusterError
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
        "print('WORKERS', len(client.scheduler_info()['workers']))\n"
        "print('NAME', cluster.name)\n"
        "print('DASHBOARD', cluster.dashboard_link)\n",
        timeout=180,
    )
    values = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert int(values["SUM"]) == sum(range(1_000_000))
    assert int(values["WORKERS"]) == 2
    name = values["NAME"]
    assert values["DASHBOARD"] == f"{hub.gateway_url}/clusters/{name}/status"
    # the dashboard answers through the hub's proxy
    r = requests.get(values["DASHBOARD"], timeout=30)
    assert r.status_code == 200 and "Dask" in r.text
    alice["cluster"] = name


def test_cluster_options_widget(hub, alice):
    with hub.gateway(alice["token"]) as gw:
        options = gw.cluster_options()
        assert options.worker_cores == 1
        widget = options._widget()  # the ipywidgets form users see
        assert widget is not None
        options.worker_cores = 2
        with pytest.raises(ValueError):
            options.worker_cores = 3  # above the settings' max


def test_other_user_cannot_touch_cluster(hub, alice, bob_token):
    name = alice["cluster"]
    with hub.gateway(bob_token) as gw:
        assert name not in {c.name for c in gw.list_clusters()}
        with pytest.raises(aiohttp.ClientResponseError) as e:
            gw.connect(name)
        assert e.value.status == 403
        with pytest.raises(aiohttp.ClientResponseError) as e:
            gw.stop_cluster(name)
        assert e.value.status == 403
        with pytest.raises(aiohttp.ClientResponseError) as e:
            gw.scale_cluster(name, 0)
        assert e.value.status == 403
    with hub.gateway(alice["token"]) as gw:
        assert gw.get_cluster(name).status.name == "RUNNING"
    # the same over plain HTTP, as any client would send it
    headers = {"Authorization": f"jupyterhub {bob_token}"}
    assert requests.get(f"{hub.gateway_url}/api/v1/clusters/{name}", headers=headers, timeout=10).status_code == 403


def test_user_quota_across_clusters(hub, alice):
    # settings: 4 cores per user, 2 clusters; alice's first cluster holds 1 + 2 x 1 cores
    with hub.gateway(alice["token"]) as gw:
        second = gw.new_cluster()
        try:
            with pytest.raises(GatewayClusterError, match=r"quota of 4 cores.*at most 0 worker"):
                second.scale(1)
            with pytest.raises(ValueError, match="already has 2 running cluster"):
                gw.new_cluster()
            # room appears when the first cluster shrinks
            gw.scale_cluster(alice["cluster"], 1)
            second.scale(1)
        finally:
            second.shutdown()
        gw.scale_cluster(alice["cluster"], 2)


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


def test_stopping_server_stops_clusters(hub, alice):
    name = alice["cluster"]
    r = hub.api("DELETE", "users/alice/server", session=hub.admin())
    assert r.status_code in (202, 204)
    with hub.gateway(alice["token"]) as gw:
        wait_for(lambda: gw.get_cluster(name).status.name in ("STOPPED", "FAILED"), 40,
                 what="alice's cluster stopped after her server stopped")
        assert not gw.list_clusters()
