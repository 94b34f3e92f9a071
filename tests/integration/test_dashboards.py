"""A cluster's Dask dashboard opens for its owner, admins and the users its owner shared their server
with, and for no one else: not through the hub, not on the gateway's own port, not on the
scheduler's own port. The cluster's processes listen on loopback only."""

import re

import psutil
import pytest
import requests
import websocket
from hubtools import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
#: pages, plots, JSON, metrics, logs (with tracebacks and paths): every kind of route a dashboard has
PATHS = ["status", "workers", "individual-task-stream", "individual-plots.json", "json/identity.json",
         "metrics", "health", "system", "info/main/workers.html", "info/main/logs.html"]
REFUSAL = "opens through the hub"
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def people(hub):
    """alice (with a running server she shares with bob), bob, erin (nobody shared with her), the admin."""
    alice = hub.login("alice", PASSWORD)
    alice.get(hub.url + "hub/spawn", allow_redirects=False, timeout=30)
    wait_for(lambda: hub.api("GET", "users/alice", session=hub.admin()).json()["servers"].get("", {}).get("ready"),
             90, what="alice's server ready")
    bob = hub.login("bob", "bobs-own-password")
    hub.api("POST", "users/erin", session=hub.admin())  # an admin-made user logs in like the others
    erin = hub.login("erin", "erins-own-password")
    tokens = {name: hub.token_for(name) for name in ("alice", "bob", "erin")}
    r = hub.api("POST", "shares/alice/", token=tokens["alice"], json={"user": "bob"})
    assert r.status_code == 200, r.text
    yield {"alice": alice, "bob": bob, "erin": erin, "admin": hub.admin(), "tokens": tokens}
    hub.api("DELETE", "shares/alice/", token=tokens["alice"], params={"user": "bob"})


@pytest.fixture(scope="module")
def cluster(hub, people):
    """alice's cluster with one worker; its dashboard answers her through the hub."""
    gw = hub.gateway(people["tokens"]["alice"])
    name = gw.new()
    wait_for(lambda: gw.status(name) == "RUNNING", 90, what="alice's cluster running")
    assert gw.scale(name, 1).status_code == 200
    url = f"{hub.gateway_url}/clusters/{name}/"
    wait_for(lambda: people["alice"].get(url + "status", headers=BROWSER, timeout=30).status_code == 200, 60,
             what="the dashboard routed")
    wait_for(lambda: len(processes(hub, name)) >= 2, 60, what="the cluster's worker started")
    yield {"name": name, "url": url}
    gw.stop(name)


def processes(hub, name: str) -> list[psutil.Process]:
    """The cluster's scheduler and workers (their environment names the cluster)."""
    found = []
    for p in hub.processes():
        try:
            if p.environ().get("DASK_GATEWAY_CLUSTER_NAME") == name:
                found.append(p)
        except psutil.Error:
            pass
    return found


@pytest.mark.parametrize("path", PATHS)
def test_dashboard_opens_for_owner_admin_and_shared_users_only(hub, people, cluster, path):
    url = cluster["url"] + path
    for who in ("alice", "admin", "bob"):  # the owner, an admin, the user alice shared her server with
        r = people[who].get(url, headers=BROWSER, timeout=30)
        assert r.status_code == 200, f"{who}: {r.status_code} {r.text[:300]}"
    r = people["erin"].get(url, headers=BROWSER, timeout=30)
    assert r.status_code == 403 and "another user's cluster" in r.text
    # with a token instead of a login: the same answers
    assert requests.get(url, headers={"Authorization": f"token {people['tokens']['alice']}"}, timeout=30).ok
    r = requests.get(url, headers={"Authorization": f"token {people['tokens']['erin']}"}, timeout=30)
    assert r.status_code == 403
    # nobody logged in: a browser goes to the hub's login, anything else is refused
    r = requests.get(url, headers=BROWSER, allow_redirects=False, timeout=30)
    assert r.status_code == 302 and "/hub/" in r.headers["Location"]
    assert requests.get(url, timeout=30).status_code == 401
    # the gateway's own proxy port, with alice's credentials even: refused without the cluster's key
    direct = f"http://127.0.0.1:{hub.settings['gateway']['port']}/services/dask-gateway/clusters/{cluster['name']}/"
    for headers in ({}, {"Authorization": f"token {people['tokens']['alice']}"}):
        r = requests.get(direct + path, headers=headers, timeout=30)
        assert r.status_code == 403 and REFUSAL in r.text


def bokeh_socket(page: str, url: str, **kw) -> websocket.WebSocket:
    """Open the bokeh websocket of a dashboard page whose HTML is ``page``, at ``url``."""
    token = re.search(r'"token":\s*"([^"]+)"', page) or re.search(r"token\s*=\s*['\"]([^'\"]+)", page)
    assert token, "no bokeh session token in the page"
    return websocket.create_connection(url, subprotocols=["bokeh", token.group(1)], timeout=30, **kw)


def test_dashboard_websocket_for_owner_only(hub, people, cluster):
    page = people["alice"].get(cluster["url"] + "status", headers=BROWSER, timeout=30).text
    ws_url = cluster["url"].replace("http", "ws", 1) + "status/ws"
    origin = hub.url.rstrip("/")
    cookies = "; ".join(f"{c.name}={c.value}" for c in people["alice"].cookies)
    ws = bokeh_socket(page, ws_url, cookie=cookies, origin=origin)
    assert ws.recv()  # bokeh's first message: the session's document is on its way
    ws.close()
    # erin, logged in to the gate, and nobody at all
    people["erin"].get(cluster["url"] + "status", headers=BROWSER, timeout=30)
    erin = "; ".join(f"{c.name}={c.value}" for c in people["erin"].cookies)
    for refused, kw in ((403, {"cookie": erin}), (401, {})):
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            bokeh_socket(page, ws_url, origin=origin, **kw)
        assert e.value.status_code == refused
    direct = f"ws://127.0.0.1:{hub.settings['gateway']['port']}/services/dask-gateway/clusters/{cluster['name']}/status/ws"
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        bokeh_socket(page, direct, origin=origin)
    assert e.value.status_code == 403


def test_scheduler_and_workers_listen_on_loopback_and_refuse_without_key(hub, cluster):
    procs = processes(hub, cluster["name"])
    ports = []
    for p in procs:
        for c in p.net_connections(kind="inet"):
            if c.status == psutil.CONN_LISTEN:
                assert c.laddr.ip == "127.0.0.1", f"{p.cmdline()} listens on {c.laddr}"
                ports.append(c.laddr.port)
    # every HTTP server among them (dashboards of the scheduler and the workers) refuses without the key
    dashboards = 0
    for port in ports:
        try:
            r = requests.get(f"http://127.0.0.1:{port}/status", timeout=5)
        except requests.RequestException:  # a TLS port: no HTTP there
            continue
        if REFUSAL in r.text:
            dashboards += 1
            assert r.status_code == 403
            assert requests.get(f"http://127.0.0.1:{port}/json/identity.json", timeout=5).status_code == 403
        else:  # the gateway preload's own API: health only, answering nothing about the cluster
            assert r.status_code == 404
    assert dashboards >= 2  # the scheduler's and the worker's
