"""The gate in front of dask-gateway: what the hub's proxy sends ``/services/dask-gateway`` to.

``.../api/...`` goes to the gateway's own proxy untouched (the gateway checks hub tokens itself).
``.../clusters/<name>/...`` (pages and websockets) goes there only for the cluster's owner, the
users its owner shared their server with (JupyterHub sharing) and hub admins, with the cluster's
dashboard key added (:mod:`spacehub.gateway.dashboard_guard`: without it the dashboard refuses).
A browser not logged in is sent to the hub's login (OAuth); anything else without a login gets
401, a user who may not look 403.

Runs as the hub service ``dask-gateway`` (``python -m spacehub.gateway.gate``); reads
``SPACEHUB_GATEWAY_PROXY`` (the gateway's proxy, http://host:port) and the dashboard secret.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

from jupyterhub.services.auth import HubOAuthenticated
from tornado import httpclient, ioloop, web, websocket
from tornado.routing import PathMatches, Rule

from ..deploy.names import DASHBOARD_SECRET_ENV, GATEWAY_SERVICE
from .dashboard_guard import KEY_HEADER, OWNER_ROUTE, dashboard_key

log = logging.getLogger("spacehub.gate")
PROXY_ENV = "SPACEHUB_GATEWAY_PROXY"
#: seconds a decision about (user, owner) sharing is remembered: a revoked share stops opening new pages after it
SHARES_TTL = 10.0
#: headers that belong to one hop, not passed on (RFC 9110 section 7.6.1)
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
       "transfer-encoding", "upgrade", "content-length"}
REFUSED = ("This Dask dashboard belongs to another user's cluster. Its owner, the users they shared "
           "their server with, and hub admins can open it.")


@dataclass(frozen=True)
class Viewer:
    """Who asks: a hub user's name and admin flag."""

    name: str
    admin: bool = False


def may_view(viewer: Viewer, owner: str, shared_with_viewer: bool) -> bool:
    """Whether ``viewer`` may see the dashboard of a cluster of ``owner``.

    >>> may_view(Viewer("alice"), "alice", False), may_view(Viewer("bob"), "alice", False)
    (True, False)
    >>> may_view(Viewer("bob"), "alice", True), may_view(Viewer("root", admin=True), "alice", False)
    (True, True)
    """
    return viewer.name == owner or viewer.admin or shared_with_viewer


def shares_server(shares: list[dict[str, Any]], owner: str) -> bool:
    """Whether a hub share list (``GET /hub/api/users/<name>/shared``) holds ``owner``'s default server."""
    return any(s.get("server", {}).get("user", {}).get("name") == owner and s.get("server", {}).get("name") == ""
               and any(scope.startswith(f"access:servers!server={owner}/") for scope in s.get("scopes", []))
               for s in shares)


class Upstream:
    """The gateway's proxy and the hub's API, as the gate asks them."""

    def __init__(self, proxy: str, prefix: str, secret: str, hub_api: str, token: str):
        self.proxy, self.prefix, self.secret = proxy.rstrip("/"), prefix.rstrip("/"), secret
        self.hub_api, self.token = hub_api.rstrip("/"), token
        self.client = httpclient.AsyncHTTPClient()
        self._owners: dict[str, str] = {}
        self._shares: dict[tuple[str, str], tuple[bool, float]] = {}

    def key(self, cluster: str) -> str:
        return dashboard_key(self.secret, cluster)

    async def owner(self, cluster: str) -> str | None:
        """The cluster's owner, asked of the gateway (a cluster's owner never changes: kept)."""
        if cluster not in self._owners:
            url = self.proxy + self.prefix + OWNER_ROUTE.format(cluster_name=quote(cluster, safe=""))
            r = await self.client.fetch(url, headers={KEY_HEADER: self.key(cluster)}, raise_error=False)
            if r.code == 404:
                return None
            if r.code != 200:
                raise web.HTTPError(502, f"the gateway answered {r.code} about cluster {cluster}")
            self._owners[cluster] = json.loads(r.body)["owner"]
        return self._owners[cluster]

    async def shared(self, viewer: str, owner: str) -> bool:
        """Whether ``owner`` shares their server with ``viewer`` (directly or through a group)."""
        known = self._shares.get((viewer, owner))
        if known and time.monotonic() - known[1] < SHARES_TTL:
            return known[0]
        url, shares = f"{self.hub_api}/users/{quote(viewer, safe='')}/shared?limit=200", []
        while url:
            r = await self.client.fetch(url, headers={"Authorization": f"token {self.token}",
                                                      "Accept": "application/jupyterhub-pagination+json"},
                                        raise_error=False)
            if r.code == 404:
                break
            if r.code != 200:
                raise web.HTTPError(502, f"the hub answered {r.code} about {viewer}'s shares")
            page = json.loads(r.body)
            shares += page["items"]
            nxt = (page.get("_pagination") or {}).get("next")
            url = nxt["url"] if nxt else ""
        answer = shares_server(shares, owner)
        self._shares[(viewer, owner)] = (answer, time.monotonic())
        return answer


class _Gated(HubOAuthenticated, web.RequestHandler):
    """Decides, in ``prepare``, whether the request may reach cluster ``name``'s dashboard."""

    @property
    def upstream(self) -> Upstream:
        return self.settings["upstream"]

    @property
    def hub_auth(self):
        return self.settings["hub_auth"]

    def target(self) -> str:
        return self.upstream.proxy + self.request.uri

    async def prepare(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        access = {f"access:services!service={GATEWAY_SERVICE}", *self.hub_auth.access_scopes}
        if model and model.get("kind", "user") == "user" and self.hub_auth.check_scopes(access, model):
            viewer = Viewer(model["name"], bool(model.get("admin")))
        else:
            viewer = None
        if viewer is None:
            asks = bool(self.request.headers.get("Authorization"))
            if (not asks and "text/html" in self.request.headers.get("Accept", "")
                    and self.request.headers.get("Upgrade", "").lower() != "websocket"):
                # a browser: log in through the hub (OAuth), then come back here
                self.redirect(self.get_login_url())
                return
            raise web.HTTPError(403 if asks else 401, "log in to the hub, or send a hub token")
        name = self.path_kwargs["name"]
        owner = await self.upstream.owner(name)
        if owner is None:
            raise web.HTTPError(404, f"no cluster {name}")
        if not may_view(viewer, owner, viewer.name != owner and not viewer.admin
                        and await self.upstream.shared(viewer.name, owner)):
            log.info("refused %s the dashboard of %s's cluster %s", viewer.name, owner, name)
            self.set_status(403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(REFUSED + "\n")

    def forwarded_headers(self) -> dict[str, str]:
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in HOP}
        # the hub's cookies and tokens stay here: the cluster's processes are its owner's
        for private in ("Cookie", "Authorization"):
            headers.pop(private, None)
        headers[KEY_HEADER] = self.upstream.key(self.path_kwargs["name"])
        return headers


async def _forward(handler: web.RequestHandler, url: str, headers: dict[str, str]) -> None:
    """Ask ``url`` what ``handler``'s request asks and answer with its answer."""
    method = handler.request.method or "GET"
    body = handler.request.body if method in ("POST", "PUT", "PATCH", "DELETE") else None
    r = await httpclient.AsyncHTTPClient().fetch(
        url, method=method, headers=headers, body=body if body or method != "POST" else b"",
        follow_redirects=False, decompress_response=False, raise_error=False, allow_nonstandard_methods=True,
        # the gateway's API holds ?wait requests open until a cluster is up
        request_timeout=3600)
    if r.code == 599:
        raise web.HTTPError(502, f"the gateway did not answer: {r.error}")
    handler.set_status(r.code, r.reason)
    handler.clear_header("Content-Type")  # the upstream's, not tornado's default
    for k, v in r.headers.get_all():
        if k.lower() == "set-cookie":
            handler.add_header(k, v)
        elif k.lower() not in HOP:
            handler.set_header(k, v)  # one of each: tornado's own Date and Server replaced, not doubled
    # no body at all for an empty answer: tornado refuses even b"" with a 204 (a stopped cluster)
    handler.finish(r.body or None)


class DashboardHandler(_Gated):
    async def get(self, name: str, rest: str = "") -> None:
        await _forward(self, self.target(), self.forwarded_headers())

    post = put = delete = patch = head = get


class SocketHandler(_Gated, websocket.WebSocketHandler):
    """A dashboard's websocket (bokeh's), passed through both ways."""

    upstream_socket: websocket.WebSocketClientConnection | None = None

    async def get(self, *args: Any, **kwargs: Any) -> None:
        protocols = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        headers = {k: v for k, v in self.forwarded_headers().items()
                   if not k.lower().startswith("sec-websocket")}
        request = httpclient.HTTPRequest("ws" + self.target()[4:], headers=headers)
        try:
            self.upstream_socket = await websocket.websocket_connect(
                request, on_message_callback=self._from_upstream, subprotocols=protocols or None)
        except Exception as e:
            raise web.HTTPError(502, f"the dashboard did not answer: {e}") from None
        await super().get(*args, **kwargs)

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return self.upstream_socket.selected_subprotocol if self.upstream_socket else None

    def _from_upstream(self, message: str | bytes | None) -> None:
        if message is None:
            self.close()
        elif self.ws_connection is not None:
            self.write_message(message, binary=isinstance(message, bytes))

    async def on_message(self, message: str | bytes) -> None:
        if self.upstream_socket is not None:
            await self.upstream_socket.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        if self.upstream_socket is not None:
            self.upstream_socket.close()


class ApiHandler(web.RequestHandler):
    """The gateway's REST API, passed on as it is (the gateway authenticates hub tokens itself)."""

    async def get(self, rest: str = "") -> None:
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in HOP}
        await _forward(self, self.settings["upstream"].proxy + self.request.uri, headers)

    post = put = delete = patch = head = get

    def check_xsrf_cookie(self) -> None:
        pass  # nothing here reads cookies: the gateway takes tokens only


class _WebSocketPath(PathMatches):
    """A path that matches websocket upgrades only."""

    def match(self, request: Any) -> dict[str, Any] | None:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None
        return super().match(request)


def make_app(prefix: str, upstream: Upstream, hub_auth: Any) -> web.Application:
    """The gate's tornado application under ``prefix`` (``<base>services/dask-gateway/``)."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler

    cluster = rf"{prefix}clusters/(?P<name>[^/]+)(?P<rest>/.*)?"
    return web.Application([
        Rule(_WebSocketPath(cluster), SocketHandler),
        (cluster, DashboardHandler),
        (rf"{prefix}oauth_callback", HubOAuthCallbackHandler),
        (rf"{prefix}(?P<rest>api/.*)", ApiHandler),
    ], upstream=upstream, hub_auth=hub_auth, cookie_secret=os.urandom(32), log_function=_log_request)


def _log_request(handler: web.RequestHandler) -> None:
    if handler.get_status() >= 400 or isinstance(handler, (DashboardHandler, SocketHandler)):
        log.info("%d %s %s %.1fms", handler.get_status(), handler.request.method, handler.request.path,
                 1000 * handler.request.request_time())


def main(argv: list[str] | None = None) -> int:
    from jupyterhub.services.auth import HubOAuth

    logging.basicConfig(level=logging.WARNING, format="[%(levelname)1.1s %(asctime)s spacehub.gate] %(message)s")
    log.setLevel(logging.INFO)
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    proxy = os.environ[PROXY_ENV]
    secret = os.environ.get(DASHBOARD_SECRET_ENV, "")
    if not secret:
        raise SystemExit(f"{DASHBOARD_SECRET_ENV} is not set")
    token = os.environ["JUPYTERHUB_API_TOKEN"]
    # the proxy's prefix is the gate's: both serve /services/dask-gateway
    upstream = Upstream(proxy, prefix, secret, os.environ["JUPYTERHUB_API_URL"], token)
    # the singleton: HubOAuthCallbackHandler finds the OAuth state (and PKCE verifier) there
    hub_auth = HubOAuth.instance(api_token=token, cache_max_age=60)
    app = make_app(prefix, upstream, hub_auth)
    app.listen(url.port or 80, url.hostname)
    log.info("gate at %s%s -> %s", url.geturl().rstrip("/"), prefix, proxy)
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:  # the hub stops its services with SIGINT
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
