"""The dashboard guard in a real distributed Scheduler, and the gate's decision of who may look."""

import asyncio

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.websocket import websocket_connect

from spacehub.gateway.dashboard_guard import KEY_ENV, KEY_HEADER, dashboard_key
from spacehub.gateway.gate import Viewer, may_view, shares_server

KEY = dashboard_key("s3cret", "c0ffee")


async def _scheduler_answers(monkeypatch) -> dict:
    from distributed import Scheduler

    monkeypatch.setenv(KEY_ENV, KEY)
    answers = {}
    async with Scheduler(host="127.0.0.1", port=0, dashboard_address="127.0.0.1:0",
                         preload=["spacehub.gateway.dashboard_guard"]) as s:
        base = f"http://127.0.0.1:{s.http_server.port}"
        client = AsyncHTTPClient()
        for path in ("/status", "/json/identity.json", "/metrics", "/info/main/logs.html", "/health"):
            for name, headers in (("none", {}), ("wrong", {KEY_HEADER: dashboard_key("s3cret", "beef")}),
                                  ("key", {KEY_HEADER: KEY})):
                r = await client.fetch(base + path, headers=headers, raise_error=False)
                answers[path, name] = r.code
        for name, headers in (("none", {}), ("key", {KEY_HEADER: KEY})):
            try:
                from tornado.httpclient import HTTPRequest

                ws = await websocket_connect(HTTPRequest(base.replace("http", "ws") + "/status/ws", headers=headers))
                ws.close()
                answers["ws", name] = 101
            except HTTPClientError as e:
                answers["ws", name] = e.code
    return answers


def test_scheduler_dashboard_answers_only_with_its_cluster_key(monkeypatch):
    answers = asyncio.run(_scheduler_answers(monkeypatch))
    for path in ("/status", "/json/identity.json", "/metrics", "/info/main/logs.html", "/health"):
        assert answers[path, "none"] == answers[path, "wrong"] == 403, path
        assert answers[path, "key"] == 200, path
    # websocket upgrades too: refused before bokeh sees them (with the key, bokeh itself decides)
    assert answers["ws", "none"] == 403 and answers["ws", "key"] != 403


@pytest.mark.parametrize(("viewer", "owner", "shared", "allowed"), [
    (Viewer("alice"), "alice", False, True),  # the owner
    (Viewer("root", admin=True), "alice", False, True),  # a hub admin
    (Viewer("bob"), "alice", True, True),  # alice shared her server with bob
    (Viewer("carol"), "alice", False, False),  # anyone else
])
def test_who_may_view_a_dashboard(viewer, owner, shared, allowed):
    assert may_view(viewer, owner, shared) is allowed


def test_shares_counted_for_the_owners_default_server_only():
    def share(owner, server="", scopes=None):
        return {"server": {"user": {"name": owner}, "name": server},
                "scopes": scopes if scopes is not None else [f"access:servers!server={owner}/{server}"]}

    assert shares_server([share("alice")], "alice")
    assert not shares_server([share("alice")], "dave")
    assert not shares_server([share("alice", "other")], "alice")  # a named server of hers, not the one shared
    assert not shares_server([share("alice", scopes=[])], "alice")
