"""What the request handlers of spacehub's tornado services behind the hub share (the gallery, the
workshops service): who asks (hub OAuth: the browser's login or a token in an ``Authorization``
header, never one in the URL), XSRF for browsers only, refusals said in one redacted sentence,
JSON answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web

from ..redact import redact


class ServiceHandler(HubOAuthenticated, web.RequestHandler):
    user: Any = None  #: the hub's model of the caller, None for a stranger (set by :meth:`identify`)
    json_api = False  #: answers (errors too) are JSON whatever the client accepts
    failed = "the service failed to answer; its log says why"  #: what a 500 says

    @property
    def hub_auth(self):
        return self.settings.get("hub_auth")

    async def identify(self) -> None:
        """Set :attr:`user` from the browser's login or the request's token (a token in the URL is refused)."""
        self.user = None
        if any(name.lower() == "token" for name in self.request.query_arguments):
            raise web.HTTPError(400, "a token is never accepted in the URL: send it in an Authorization header")
        model = await self.hub_auth.get_user(self, sync=False)
        if model and self.hub_auth.check_scopes(self.hub_auth.access_scopes, model):
            self.user = model

    def get_current_user(self):
        return getattr(self, "user", None)

    def check_xsrf_cookie(self) -> None:
        if self.request.headers.get("Authorization"):
            return  # a token: no browser sends it on its own
        super().check_xsrf_cookie()

    def refusal(self, status_code: int, **kwargs: Any) -> str:
        """Why the request failed, in one sentence with no credential in it (for :meth:`write_error`)."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        why = self._reason
        if isinstance(error, web.HTTPError) and error.log_message:
            why = error.log_message % error.args if error.args else error.log_message
        elif status_code >= 500:
            why = self.failed
        return redact(str(why))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        why = self.refusal(status_code, **kwargs)
        if self.json_api or "text/html" not in self.request.headers.get("Accept", ""):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"status": status_code, "message": why}))
        else:
            self.error_page(status_code, why)

    def error_page(self, status_code: int, why: str) -> None:
        """The service's page saying ``why`` (a browser asked)."""
        raise NotImplementedError

    def body(self) -> dict[str, Any]:
        """The request's fields: a form's (its XSRF token left out) or a JSON object."""
        kind = self.request.headers.get("Content-Type", "")
        if kind.startswith("application/x-www-form-urlencoded") or kind.startswith("multipart/form-data"):
            return {k: self.get_body_argument(k) for k in self.request.body_arguments if k != "_xsrf"}
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise web.HTTPError(400, "the body must be a JSON object")
        return data

    def from_form(self) -> bool:
        """A browser's form (not a client's JSON with a token): answered with a page or a redirect."""
        return not self.request.headers.get("Content-Type", "").startswith("application/json") and \
            not self.request.headers.get("Authorization")

    def answer(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value))


def request_logger(log: logging.Logger, name: str) -> Callable[[web.RequestHandler], None]:
    """Start the service's logging (every credential-looking value redacted, the service's ``name`` on
    each line) and return tornado's ``log_function`` for it: one line per request, its URL redacted."""
    from ..redact import redact_logs

    redact_logs()
    logging.basicConfig(level=logging.WARNING, format=f"[%(levelname)1.1s %(asctime)s {name}] %(message)s")
    log.setLevel(logging.INFO)

    def log_request(handler: web.RequestHandler) -> None:
        log.info("%d %s %s %.1fms", handler.get_status(), handler.request.method, redact(handler.request.uri or ""),
                 1000 * handler.request.request_time())

    return log_request
