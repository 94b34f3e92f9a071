"""The data service as a tornado application behind the hub.

Authentication goes through the hub: a token (``Authorization: token ...`` header, or a path
segment ``/t/<token>/`` for HAPI clients that cannot send headers, such as hapiclient) or the hub's
OAuth cookie in a browser. The token must carry ``access:services!service=data``, which every user
has. With ``SPACEHUB_DATA_PUBLIC=1`` (settings ``data_service.public``) anyone may read.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthenticated
from tornado import ioloop, iostream, web

from .binary import BinaryRecords
from .hapi import HAPIError, HAPIServer

log = logging.getLogger("spacehub.data")
PATH_TOKEN = re.compile(r"/t/[^/]+/")


class HAPIHandler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, server: HAPIServer, public: bool):
        self.server, self.public = server, public

    @property
    def hub_auth(self):
        return self.settings.get("hub_auth")

    def compute_etag(self) -> None:
        # tornado would hash every body (0.1 s for 50 MB of records); HAPI clients do not revalidate
        return None

    def _token_from_path(self) -> str | None:
        return self.path_kwargs.get("token")

    async def prepare(self):
        if self.public:
            return
        from jupyterhub.services.auth import HubOAuth

        hub_auth: HubOAuth = self.settings["hub_auth"]
        token = self._token_from_path()
        model = None
        if token:
            model = await hub_auth.user_for_token(token, sync=False)
        else:
            model = await hub_auth.get_user(self, sync=False)
        if model and hub_auth.check_scopes(hub_auth.access_scopes, model):
            self.current_user = model
            return
        if not token and not model and "text/html" in self.request.headers.get("Accept", ""):
            # a browser: log in through the hub (OAuth), then come back here
            self.redirect(self.get_login_url())
            return
        self.set_status(403 if (token or self.request.headers.get("Authorization")) else 401)
        self.set_header("Content-Type", "application/json")
        self.finish(HAPIError(1400, "log in to the hub, or send a hub token with access to this service")
                    .answer()[2])

    async def get(self, endpoint: str, token: str | None = None):
        query = {k: self.get_argument(k) for k in self.request.arguments}
        query.pop("token", None)  # a hub token in the URL is authentication, not a HAPI parameter
        handlers = {"about": self.server.about, "capabilities": self.server.capabilities,
                    "catalog": self.server.catalog_list, "info": self.server.info, "data": self.server.data}
        try:
            if endpoint not in handlers:
                raise HAPIError(1400, f"unknown endpoint {endpoint!r}; HAPI endpoints: {', '.join(handlers)}")
            status, ctype, body = handlers[endpoint](query)
        except HAPIError as e:
            status, ctype, body = e.answer()
        except Exception as e:  # never a traceback page: a HAPI 1500 with what went wrong
            log.exception("HAPI %s failed", endpoint)
            status, ctype, body = HAPIError(1500, f"{type(e).__name__}: {e}").answer()
        self.set_status(status)
        self.set_header("Content-Type", ctype)
        if isinstance(body, BinaryRecords):
            await self._stream(body)
        else:
            self.finish(body)

    async def _stream(self, body: BinaryRecords) -> None:
        """Send the records as they are encoded: a piece goes out while the next one is built."""
        self.set_header("Content-Length", str(body.nbytes))  # known up front: no chunked encoding
        await self.flush()
        connection = self.request.connection
        sending = None
        # the connection takes memoryviews (RequestHandler.write would copy them into bytes); a
        # piece stays valid until the second next one is built, so it is awaited before that
        try:
            for piece in body.chunks():
                if sending is not None:
                    await sending
                sending = connection.write(piece)  # type: ignore[union-attr,arg-type]  # see the comment above
            if sending is not None:
                await sending
        except iostream.StreamClosedError:  # the client went away: nothing left to answer
            log.info("client closed the connection during %s", self.request.path)
            return
        self.finish()


class LandingHandler(web.RequestHandler):
    def get(self):
        self.redirect(self.request.path.rstrip("/") + "/hapi/about")


def make_app(prefix: str = "/services/data/", public: bool = False, catalog=None,
             time_cache_bytes: int = 256 << 20) -> web.Application:
    """The service's tornado application; ``time_cache_bytes`` bounds the formatted times kept for
    repeated requests (0: none kept, every request formats its times)."""
    import spacehub.catalog

    server = HAPIServer(catalog or spacehub.catalog.open(), time_cache_bytes=time_cache_bytes)
    kw = {"server": server, "public": public}
    settings: dict[str, Any] = {"log_function": _log_request}
    handlers: list[Any] = [
        (rf"{prefix}t/(?P<token>[^/]+)/hapi/(?P<endpoint>[a-z]+)", HAPIHandler, kw),
        (rf"{prefix}hapi/(?P<endpoint>[a-z]+)", HAPIHandler, kw),
        (rf"{prefix}?", LandingHandler),
    ]
    if not public:
        from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler

        # the singleton: HubOAuthCallbackHandler finds the OAuth state (and PKCE verifier) there
        settings["hub_auth"] = HubOAuth.instance(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60)
        # signs the OAuth cookie of browser logins; a restart only means logging in again
        settings["cookie_secret"] = os.urandom(32)
        handlers.append((rf"{prefix}oauth_callback", HubOAuthCallbackHandler))
    return web.Application(handlers, **settings)


def _log_request(handler: web.RequestHandler) -> None:
    # tokens in paths or queries never reach the log
    uri = PATH_TOKEN.sub("/t/***/", re.sub(r"token=[^&]+", "token=***", handler.request.uri))
    log.info("%d %s %s %.1fms", handler.get_status(), handler.request.method, uri, 1000 * handler.request.request_time())


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="[%(levelname)1.1s %(asctime)s spacehub.data] %(message)s")
    log.setLevel(logging.INFO)
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/data/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", os.environ.get("SPACEHUB_DATA_URL", "http://127.0.0.1:8003")))
    public = os.environ.get("SPACEHUB_DATA_PUBLIC", "") not in ("", "0")
    app = make_app(prefix, public)
    app.listen(url.port or 8003, url.hostname)
    log.info("HAPI service at %s%shapi (%s)", url.geturl().rstrip("/"), prefix, "public" if public else "hub login")
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:  # the hub stops its services with SIGINT
        pass
    return 0
