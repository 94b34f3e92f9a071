"""A Dask scheduler's and worker's HTTP server answering only requests that carry its cluster's key.

A cluster's dashboard (status, logs with tracebacks and paths, ``/json/identity.json``,
``/metrics``, bokeh's websockets...) listens on a TCP port, and on this hub every user runs code
on the machine: loopback is no fence. The gateway hands each cluster's processes their
cluster's key (:func:`dashboard_key`, in ``SPACEHUB_DASHBOARD_KEY``) and runs them with this
module as a ``--preload``; their HTTP server then refuses, with 403, every request (page,
websocket upgrade, anything) without the key in its ``X-Spacehub-Dashboard-Key`` header. The
hub's gate (:mod:`spacehub.gateway.gate`) adds the header once it has decided who may look.

Only the standard library and tornado are imported: this runs inside every scheduler and worker.

Relies on (distributed 2024.1 to 2026.8, tornado 6): ``Server.http_server`` being the tornado
``HTTPServer`` of the dashboard (every route, bokeh's included), started before preloads run;
``HTTPServer.request_callback`` asked by ``start_request`` for each request; the server's
``_connections`` holding the connections it accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from typing import Any

from tornado import httputil

#: the header the gate sends each cluster's key in
KEY_HEADER = "X-Spacehub-Dashboard-Key"
#: the environment variable that hands a cluster's processes their key
KEY_ENV = "SPACEHUB_DASHBOARD_KEY"
#: the gateway's route answering a cluster's owner to whoever presents the cluster's key (under its proxy's prefix)
OWNER_ROUTE = "/api/spacehub/v1/clusters/{cluster_name}/owner"
#: the arguments that run this module in a scheduler or worker
GUARD_PRELOAD = ["--preload", "spacehub.gateway.dashboard_guard"]
#: what a request without the key reads
REFUSAL = b"This Dask dashboard opens through the hub: /services/dask-gateway/clusters/<name>/\n"

log = logging.getLogger("spacehub.dashboard_guard")


def dashboard_key(secret: str, cluster_name: str) -> str:
    """The key of one cluster's dashboard: an HMAC of its name under the hub's dashboard secret.

    One key per cluster, so a cluster's processes (which hold their own key, and in isolated mode
    run as their owner) open no other cluster's dashboard.

    >>> dashboard_key("s3cret", "c0ffee") == dashboard_key("s3cret", "c0ffee") != dashboard_key("s3cret", "beef")
    True
    """
    return hmac.new(secret.encode(), b"dask-dashboard:" + cluster_name.encode(), hashlib.sha256).hexdigest()


class _Refused(httputil.HTTPMessageDelegate):
    """A request without the key: answered 403 as soon as its headers are read, nothing passed on."""

    def __init__(self, request_conn: httputil.HTTPConnection):
        self.request_conn = request_conn

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders) -> None:
        self.request_conn.write_headers(
            httputil.ResponseStartLine("HTTP/1.1", 403, "Forbidden"),
            httputil.HTTPHeaders({"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(REFUSAL)),
                                  "Connection": "close"}),
            REFUSAL)
        self.request_conn.finish()

    def data_received(self, chunk: bytes) -> None:
        pass  # a refused request's body is never read


class _Checked(httputil.HTTPMessageDelegate):
    """One request: passed to the application if its headers carry the key, else refused."""

    def __init__(self, guard: KeyGuard, server_conn: object, request_conn: httputil.HTTPConnection):
        self.guard, self.server_conn, self.request_conn = guard, server_conn, request_conn
        self.inner: httputil.HTTPMessageDelegate | None = None

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders) -> Any:
        if self.guard.allows(headers.get(KEY_HEADER, "")):
            del headers[KEY_HEADER]  # no page, log or websocket handler ever sees it
            self.inner = self.guard.application.start_request(self.server_conn, self.request_conn)
        else:
            self.inner = _Refused(self.request_conn)
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self.inner.data_received(chunk) if self.inner else None

    def finish(self) -> None:
        if self.inner:
            self.inner.finish()

    def on_connection_close(self) -> None:
        if self.inner:
            self.inner.on_connection_close()


class KeyGuard(httputil.HTTPServerConnectionDelegate):
    """The delegate put between a tornado ``HTTPServer`` and its application."""

    def __init__(self, application: httputil.HTTPServerConnectionDelegate, key: str):
        self.application, self._key = application, key.encode()

    def allows(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), self._key)

    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        return _Checked(self, server_conn, request_conn)

    def on_close(self, server_conn: object) -> None:
        self.application.on_close(server_conn)


def guard(http_server: Any, key: str) -> None:
    """Make ``http_server`` (a tornado ``HTTPServer``) refuse every request without ``key``.

    Connections it accepted before are closed: a request already on its way there would otherwise
    reach the application unchecked.
    """
    if not key:
        raise ValueError(f"no dashboard key: {KEY_ENV} is empty")
    if isinstance(http_server.request_callback, KeyGuard):
        return
    http_server.request_callback = KeyGuard(http_server.request_callback, key)
    for conn in list(getattr(http_server, "_connections", ())):
        conn.stream.close()


def dask_setup(server: Any) -> None:
    """The preload's entry point (``--preload spacehub.gateway.dashboard_guard``), for schedulers and workers.

    A plain function, not a click command: the scheduler hands every preload the gateway's
    ``--dg-*`` arguments, which only ``dask_gateway.scheduler_preload`` reads.
    """
    http_server = getattr(server, "http_server", None)
    if http_server is None:  # no HTTP server (no dashboard): nothing to guard
        return
    key = os.environ.get(KEY_ENV, "")
    if not key:
        # started without its key: no one gets in rather than everyone
        log.error("%s is not set: this process's dashboard refuses every request", KEY_ENV)
        key = secrets.token_hex(32)
    guard(http_server, key)
    log.info("Dashboard at port %s answers only requests with the cluster's key", http_server.port)
