"""Print, as JSON, every HTTP route a running spacehub answers, read from the applications themselves.

Run as a child process (``python list_routes.py SETTINGS_FILE``): building the applications sets
process-wide singletons (JupyterHub's OAuth client, jupyter_server's logging) that a test process
should not keep. Each route is ``{"source", "pattern", "handler", "methods"}``:

- ``hub``: the handlers ``JupyterHub.init_handlers`` assembles from our configuration (the
  authenticator's, ``jupyterhub.handlers`` and ``jupyterhub.apihandlers`` default handlers, the
  configured extra handlers, the logo, the API 404 and the catch-alls), plus tornado's static route;
- ``user-server``: the rules of a jupyter_server ``web_app`` with the extensions this environment
  enables, the arguments the hub gives servers and JupyterHub's single-user identity provider, as
  ``jupyterhub-singleuser`` builds it;
- ``data``: the data service's ``make_app`` (hub login mode);
- ``gallery``: the gallery service's ``make_app``;
- ``workshops``: the workshops service's ``make_app``;
- ``gate``: the hub service ``dask-gateway`` (:mod:`spacehub.gateway.gate`) in front of the gateway;
  its websocket route is listed apart (``... (websocket)``), as it matches upgrades only;
- ``gateway``: dask-gateway-server's ``default_routes``, the route its proxy adds to the same app and
  the owner route :class:`spacehub.gateway.upstream.GuardedDashboards` adds; the gate passes
  ``api/`` on to them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _tornado_methods(handler) -> list[str]:
    from tornado.web import RequestHandler
    from tornado.websocket import WebSocketHandler

    if isinstance(handler, type) and issubclass(handler, WebSocketHandler):
        return ["WEBSOCKET"]
    return [m for m in METHODS if getattr(handler, m.lower(), None) is not getattr(RequestHandler, m.lower())]


def _name(handler) -> str:
    return f"{getattr(handler, '__module__', '')}.{getattr(handler, '__qualname__', repr(handler))}"


def _hub_config(settings_file: str):
    from spacehub.config import load_settings
    from spacehub.hub.config import hub_config
    from spacehub.hub.runtime import discover

    class AnySecret(dict):  # the handler list does not depend on the secrets' values
        def __missing__(self, key):
            return "00" * 32

        def get(self, key, default=None):
            return "00" * 32

    settings = load_settings(settings_file)
    runtime = dataclasses.replace(discover(settings), is_root=False)  # who runs the hub changes no route
    return hub_config(settings, AnySecret(), runtime)


def hub_routes(settings_file: str) -> list[dict]:
    from jupyterhub.app import JupyterHub
    from jupyterhub.utils import url_path_join

    c = _hub_config(settings_file)
    for section in c:  # no authenticator state on disk is read or written
        if "dbm_path" in c[section]:
            c[section].dbm_path = os.path.join(tempfile.mkdtemp(), "passwords.dbm")
    app = JupyterHub(config=c)
    app.db = None  # the authenticator's deprecated db session; unused by get_handlers
    app.init_handlers()
    routes = [{"source": "hub", "pattern": h[0], "handler": _name(h[1]), "methods": _tornado_methods(h[1])}
              for h in app.handlers]
    # tornado adds this one from the `static_path` setting JupyterHub gives its Application
    routes.append({"source": "hub", "pattern": url_path_join(app.hub_prefix, "static/(.*)"),
                   "handler": "tornado.web.StaticFileHandler", "methods": ["GET"]})
    return routes


def user_server_routes(server_args: list[str], user: str = "alice") -> list[dict]:
    import tornado.routing
    from jupyter_server.serverapp import ServerApp

    prefix = f"/user/{user}/"
    os.environ.update({"JUPYTERHUB_API_TOKEN": "unused", "JUPYTERHUB_SERVICE_PREFIX": prefix,
                       "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api", "JUPYTERHUB_BASE_URL": "/",
                       "JUPYTERHUB_USER": user, "JUPYTERHUB_CLIENT_ID": f"jupyterhub-user-{user}",
                       "JUPYTERHUB_OAUTH_CALLBACK_URL": prefix + "oauth_callback"})
    root = tempfile.mkdtemp()
    app = ServerApp()
    app.initialize(argv=[f"--ServerApp.base_url={prefix}", f"--ServerApp.root_dir={root}", "--port=0",
                         "--no-browser", "--ServerApp.log_level=ERROR",
                         "--ServerApp.identity_provider_class=jupyterhub.singleuser.extension.JupyterHubIdentityProvider",
                         "--ServerApp.authorizer_class=jupyterhub.singleuser.extension.JupyterHubAuthorizer",
                         *server_args])
    routes: list[dict] = []

    def walk(router):
        for rule in router.rules:
            if isinstance(rule.target, tornado.routing.RuleRouter):
                walk(rule.target)
            elif isinstance(rule.matcher, tornado.routing.PathMatches):
                routes.append({"source": "user-server", "pattern": rule.matcher.regex.pattern,
                               "handler": _name(rule.target), "methods": _tornado_methods(rule.target)})

    walk(app.web_app.default_router)
    return routes


def data_routes() -> list[dict]:
    from spacehub.services.data.app import make_app

    os.environ.setdefault("JUPYTERHUB_API_TOKEN", "unused")
    app = make_app("/services/data/", public=False, catalog=iter(()))
    return [{"source": "data", "pattern": rule.matcher.regex.pattern, "handler": _name(rule.target),
             "methods": _tornado_methods(rule.target)} for rule in app.wildcard_router.rules]


def gallery_routes() -> list[dict]:
    import pathlib

    from jupyterhub.services.auth import HubOAuth

    from spacehub.gallery.app import make_app
    from spacehub.gallery.check import Runner
    from spacehub.gallery.service import Gallery
    from spacehub.gallery.store import Store

    folder = pathlib.Path(tempfile.mkdtemp())
    app = make_app(Gallery(Store(folder), Runner(pathlib.Path(sys.executable), folder)), HubOAuth.instance(api_token="x"))
    return [{"source": "gallery", "pattern": rule.matcher.regex.pattern, "handler": _name(rule.target),
             "methods": _tornado_methods(rule.target)} for rule in app.wildcard_router.rules]


def workshops_routes() -> list[dict]:
    from jupyterhub.services.auth import HubOAuth

    from spacehub.workshops.service import Workshops, make_app

    app = make_app(Workshops(None, None), HubOAuth.instance(api_token="x"))  # type: ignore[arg-type]  # routes only
    return [{"source": "workshops", "pattern": rule.matcher.regex.pattern, "handler": _name(rule.target),
             "methods": _tornado_methods(rule.target)} for rule in app.wildcard_router.rules]


def gateway_routes(prefix: str = "/services/dask-gateway") -> list[dict]:
    from aiohttp import web
    from dask_gateway_server.proxy.core import Proxy
    from dask_gateway_server.routes import default_routes

    from spacehub.gateway.dashboard_guard import OWNER_ROUTE
    from spacehub.gateway.upstream import GuardedDashboards

    app = web.Application()
    app.add_routes(default_routes)
    # Proxy.setup adds this route to the gateway's own app (the proxy's route table; its token only),
    # GuardedDashboards.setup the owner route (the cluster's key only)
    app.add_routes([web.get("/api/v1/routes", Proxy.routes_handler),
                    web.get(OWNER_ROUTE, GuardedDashboards._owner_handler)])
    routes: dict[str, dict] = {}
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource else {}
        path = prefix + (info.get("path") or info.get("formatter", ""))
        entry = routes.setdefault(path, {"source": "gateway", "pattern": path, "handler": _name(route.handler),
                                         "methods": []})
        entry["methods"].append(route.method)
    return list(routes.values())


def gate_routes(prefix: str = "/services/dask-gateway/") -> list[dict]:
    from spacehub.gateway.gate import SocketHandler, make_app

    app = make_app(prefix, upstream=None, hub_auth=None)
    return [{"source": "gate",
             "pattern": rule.matcher.regex.pattern + (" (websocket)" if rule.target is SocketHandler else ""),
             "handler": _name(rule.target), "methods": _tornado_methods(rule.target)}
            for rule in app.wildcard_router.rules]


if __name__ == "__main__":
    server_args = list(_hub_config(sys.argv[1]).Spawner.args)  # as the hub starts servers
    found = (hub_routes(sys.argv[1]) + data_routes() + gallery_routes() + workshops_routes() + gate_routes()
             + gateway_routes()
             + user_server_routes(server_args))
    json.dump(found, sys.stdout, indent=1)
