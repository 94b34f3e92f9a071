"""The data service as a tornado application behind the hub.

Authentication goes through the hub: a token in an ``Authorization: token ...`` header, or the hub's
OAuth cookie in a browser. The token must carry ``access:services!service=data``, which every user
has. With ``SPACEHUB_DATA_PUBLIC=1`` (settings ``data_service.public``) anyone may read.

A token is never taken from the URL: one there ends up in the proxy's log, in the browser's history
and in hapiclient's cache folder names. A request with ``?token=`` or with the former path form
``/t/<token>/hapi/...`` is answered with a HAPI error saying to send the header instead
(``spacehub.data.hapi_server()`` makes hapiclient do so), and its token is checked by nobody.
"""

from __future__ import annotations

import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from html import escape
from typing import Any
from urllib.parse import quote, urlparse

from jupyterhub.services.auth import HubOAuthenticated
from tornado import ioloop, iostream, web

from ...deploy.names import DATA_MAX_SPAN_ENV, DATA_MAX_VALUES_ENV, DATA_PUBLIC_ENV
from ...redact import redact, redact_logs
from .binary import BinaryRecords
from .hapi import HAPIError, HAPIServer

log = logging.getLogger("spacehub.data")

#: what a request with a token in its URL is told
NO_TOKEN_IN_URL = ("a token is never accepted in the URL: send it in an `Authorization: token ...` header "
                   "(in a notebook, spacehub.data.hapi_server() does so for hapiclient)")


def _refuse_token_in_url(handler: web.RequestHandler) -> None:
    handler.set_status(400)
    handler.set_header("Content-Type", "application/json")
    handler.finish(HAPIError(1400, NO_TOKEN_IN_URL).answer()[2])


#: a data request asking for more values than this is a large one: it waits for the
#: ``LARGE_AT_ONCE`` thread(s) for those, so that large requests never hold up small ones. One: a
#: second gains nothing (formatting holds the GIL) and takes turns with the event loop
#: (benchmarks/RESULTS.md, "Small HAPI requests while large ones run")
LARGE_VALUES = 1_000_000
LARGE_AT_ONCE = 1
SMALL_AT_ONCE = 4
#: seconds a thread holds the GIL before others may take it (benchmarks/data_service_load.py)
SWITCH_INTERVAL = 0.0005


class Readers:
    """The threads data requests are read and encoded in, off the event loop: one pool for large
    requests, one for the rest. The loop itself only parses requests and sends bodies, so a
    request for ``/about`` or a day of data is answered while years of data are read beside it."""

    def __init__(self, large: int = LARGE_AT_ONCE, small: int = SMALL_AT_ONCE):
        self.large = ThreadPoolExecutor(large, thread_name_prefix="hapi-large")
        self.small = ThreadPoolExecutor(small, thread_name_prefix="hapi-small")

    def for_values(self, values: int) -> ThreadPoolExecutor:
        return self.large if values > LARGE_VALUES else self.small


class HAPIHandler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, server: HAPIServer, public: bool, readers: Readers):
        self.server, self.public, self.readers = server, public, readers

    @property
    def hub_auth(self):
        return self.settings.get("hub_auth")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Tornado's own refusals (a query that is not UTF-8, say) as HAPI statuses, not HTML pages."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        why = self._reason
        if isinstance(error, web.HTTPError) and error.log_message:
            try:
                why = error.log_message % error.args if error.args else error.log_message
            except (TypeError, ValueError):
                why = error.log_message
        self.set_header("Content-Type", "application/json")
        self.finish(HAPIError(1500 if status_code >= 500 else 1400, redact(why)).answer()[2])

    def compute_etag(self) -> None:
        # tornado would hash every body (0.1 s for 50 MB of records); HAPI clients do not revalidate
        return None

    async def prepare(self):
        if any(name.lower() == "token" for name in self.request.query_arguments):
            _refuse_token_in_url(self)  # even where anyone may read: the client should learn it
            return
        if self.public:
            return
        from jupyterhub.services.auth import HubOAuth

        hub_auth: HubOAuth = self.settings["hub_auth"]
        model = await hub_auth.get_user(self, sync=False)
        if model and hub_auth.check_scopes(hub_auth.access_scopes, model):
            self.current_user = model
            return
        if not model and "text/html" in self.request.headers.get("Accept", ""):
            # a browser: log in through the hub (OAuth), then come back here
            self.redirect(self.get_login_url())
            return
        self.set_status(403 if self.request.headers.get("Authorization") else 401)
        self.set_header("Content-Type", "application/json")
        self.finish(HAPIError(1400, "log in to the hub, or send a hub token with access to this service")
                    .answer()[2])

    def set_default_headers(self) -> None:
        cors(self)

    def options(self, endpoint: str) -> None:  # a browser's preflight for a page elsewhere (CORS)
        self.set_status(204)
        self.finish()

    async def get(self, endpoint: str):
        query = {k: self.get_argument(k) for k in self.request.arguments}
        handlers = {"about": self.server.about, "capabilities": self.server.capabilities,
                    "catalog": self.server.catalog_list, "info": self.server.info, "data": self.server.data}
        if endpoint == "":
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(landing_page(self.server))
            return
        try:
            if endpoint not in handlers:
                raise HAPIError(1400, f"unknown endpoint {endpoint!r}; HAPI endpoints: {', '.join(handlers)}")
            if endpoint in ("data", "info"):  # read (info: a sample file, once) in a thread: see Readers
                values = self.server.values_asked(query) if endpoint == "data" else 0
                answer = await ioloop.IOLoop.current().run_in_executor(self.readers.for_values(values),
                                                                        handlers[endpoint], query)
            else:
                answer = handlers[endpoint](query)
        except HAPIError as e:
            answer = e.answer()
        except Exception as e:  # never a traceback page: a HAPI 1500 with what went wrong
            log.exception("HAPI %s failed", endpoint)
            answer = HAPIError(1500, f"{type(e).__name__}: {e}").answer()
        self.set_status(answer.http, reason=answer.reason)
        self.set_header("Content-Type", answer.content_type)
        if endpoint != "data" and answer.http == 200:  # metadata: as of the catalog this service opened
            self.set_header("Last-Modified", self.server.opened)
        if isinstance(answer.body, BinaryRecords):
            await self._stream(answer.body)
        else:
            self.finish(answer.body)

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


class TokenInPathHandler(web.RequestHandler):
    """The former ``/t/<token>/...`` form: told what to do instead, the token looked at by nobody."""

    def get(self, rest: str):
        _refuse_token_in_url(self)


class NotHere(web.RequestHandler):
    """Any other path: a HAPI answer saying where the API is, not an HTML page."""

    def initialize(self, prefix: str):
        self.prefix = prefix

    def prepare(self):
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(HAPIError(1400, f"nothing here: the HAPI endpoints are under {self.prefix}hapi/ "
                                    "(about, capabilities, catalog, info, data)").answer()[2])


class LandingHandler(web.RequestHandler):
    def set_default_headers(self) -> None:
        cors(self)

    def get(self):
        self.redirect(self.request.path.rstrip("/") + ("/" if self.request.path.endswith("/hapi") else "/hapi/"))


def cors(handler: web.RequestHandler) -> None:
    """Any web page may read the API (HAPI clients in a browser): a browser sends no hub cookie to
    an origin answering ``*``, so a page elsewhere reads only with a token it was given."""
    handler.set_header("Access-Control-Allow-Origin", "*")
    handler.set_header("Access-Control-Allow-Methods", "GET, OPTIONS")
    handler.set_header("Access-Control-Allow-Headers", "Authorization")


def landing_page(server: HAPIServer) -> str:
    """The HTML page at ``hapi/``: the endpoints and the datasets, each linked to its info."""
    rows = "".join(f'<li><a href="info?dataset={quote(e.id)}">{escape(e.id)}</a>: {escape(e.title)}</li>'
                   for e in server.served())
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>spacehub HAPI service</title></head><body>"
            "<h1>spacehub HAPI data service</h1><p>A HAPI 3.1 server: "
            '<a href="about">about</a>, <a href="capabilities">capabilities</a>, <a href="catalog">catalog</a>, '
            "info, data.</p>"
            f"<h2>Datasets</h2><ul>{rows}</ul></body></html>")


def make_app(prefix: str = "/services/data/", public: bool = False, catalog=None,
             time_cache_bytes: int = 256 << 20, max_values: int = 20_000_000,
             max_span_days: float = 366) -> web.Application:
    """The service's tornado application; ``time_cache_bytes`` bounds the formatted times kept for
    repeated requests (0: none kept, every request formats its times); a data request for more than
    ``max_values`` values, or more than ``max_span_days`` of a dataset without a cadence, is HAPI 1408."""
    import spacehub.catalog

    server = HAPIServer(catalog or spacehub.catalog.open(own=False), time_cache_bytes=time_cache_bytes,
                        max_values=max_values, max_span_days=max_span_days)
    kw = {"server": server, "public": public, "readers": Readers()}
    settings: dict[str, Any] = {"log_function": _log_request, "default_handler_class": NotHere,
                                "default_handler_args": {"prefix": prefix}}
    handlers: list[Any] = [
        (rf"{prefix}hapi/(?P<endpoint>[^/]*)", HAPIHandler, kw),
        (rf"{prefix}t/(.*)", TokenInPathHandler),
        (rf"{prefix}?", LandingHandler),
        (rf"{prefix}hapi", LandingHandler),
    ]
    if not public:
        from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler

        # the singleton: HubOAuthCallbackHandler finds the OAuth state (and PKCE verifier) there
        # allow_token_in_url: JupyterHub 6.1's default already, unless JUPYTERHUB_ALLOW_TOKEN_IN_URL says otherwise
        settings["hub_auth"] = HubOAuth.instance(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60,
                                                 allow_token_in_url=False)
        # signs the OAuth cookie of browser logins; a restart only means logging in again
        settings["cookie_secret"] = os.urandom(32)
        handlers.append((rf"{prefix}oauth_callback", HubOAuthCallbackHandler))
    return web.Application(handlers, **settings)


def _log_request(handler: web.RequestHandler) -> None:
    # redacted here too, not only by main's redact_logs: an application made elsewhere (tests) logs the same
    uri = redact(handler.request.uri or "")
    log.info("%d %s %s %.1fms", handler.get_status(), handler.request.method, uri, 1000 * handler.request.request_time())


def main(argv=None) -> int:
    redact_logs()  # tornado's and the hub client's own lines too
    # the event loop asks for the GIL back sooner from the threads reading and encoding large
    # requests (5 ms by default): small requests are answered between their slices
    sys.setswitchinterval(SWITCH_INTERVAL)
    logging.basicConfig(level=logging.WARNING, format="[%(levelname)1.1s %(asctime)s spacehub.data] %(message)s")
    log.setLevel(logging.INFO)
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/data/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", os.environ.get("SPACEHUB_DATA_URL", "http://127.0.0.1:8003")))
    public = os.environ.get(DATA_PUBLIC_ENV, "") not in ("", "0")
    app = make_app(prefix, public, max_values=int(os.environ.get(DATA_MAX_VALUES_ENV, "20000000")),
                   max_span_days=float(os.environ.get(DATA_MAX_SPAN_ENV, "366")))
    app.listen(url.port or 8003, url.hostname)
    log.info("HAPI service at %s%shapi (%s)", url.geturl().rstrip("/"), prefix, "public" if public else "hub login")
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:  # the hub stops its services with SIGINT
        pass
    return 0
