"""The gallery service: a tornado application behind the hub (``/services/gallery/``, hub OAuth).

Pages (HTML): the list with search (``?q=``, ``?tag=``), an entry, a version (its permanent URL),
a version's sanitised preview, a re-run's result. API (JSON, a hub token in an ``Authorization``
header or the browser's login): ``api/entries`` (list, publish), ``api/entries/<id>`` (read,
change, withdraw), ``api/entries/<id>/versions`` (publish a new version), ``api/entries/<id>/v<N>``
(a version, its check), ``.../check`` (check again), ``.../runs`` (re-run with other parameters),
``.../bundle`` (the notebook and its files, for "open in my hub").

Strangers see public entries only; every change needs a login, and forms in the pages carry
tornado's XSRF token (requests with a token header need none: a browser never sends one by itself).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tornado import ioloop, web

from ..services.web import ServiceHandler, request_logger
from . import pages
from .check import Runner, gallery_account
from .service import Gallery, check_parameters, may_change, may_see
from .store import NotFound, Store, StoreError, check_metadata, check_notebook

log = logging.getLogger("spacehub.gallery")

#: the gallery's environment variables (set by the hub's configuration)
DIR_ENV, PYTHON_ENV, TIMEOUT_ENV = "SPACEHUB_GALLERY_DIR", "SPACEHUB_GALLERY_PYTHON", "SPACEHUB_GALLERY_TIMEOUT"
MAX_MB_ENV, RUN_AS_ENV, PUBLIC_URL_ENV = "SPACEHUB_GALLERY_MAX_MB", "SPACEHUB_GALLERY_RUN_AS", "SPACEHUB_PUBLIC_URL"


class Base(ServiceHandler):
    """Who asks (the hub's model, or None for a stranger), answers as JSON or pages."""

    failed = "the gallery failed to answer; the service's log says why"

    @property
    def gallery(self) -> Gallery:
        return self.settings["gallery"]

    async def prepare(self):
        await self.identify()

    def login_or_refuse(self) -> None:
        """A stranger: a browser goes to the hub's login, a client gets 401."""
        if self.request.method == "GET" and "text/html" in self.request.headers.get("Accept", ""):
            self.redirect(self.get_login_url())
            raise web.Finish()
        raise web.HTTPError(401, "log in to the hub, or send a hub token with access to the gallery")

    def entry(self, entry_id: str, *, change: bool = False) -> dict[str, Any]:
        """The entry if the caller may see it (and change it); 404 for what they may not see."""
        try:
            entry = self.gallery.store.entry(entry_id)
        except NotFound:
            entry = None
        if entry is None or not may_see(self.user, entry):
            if self.user is None and entry is not None:
                self.login_or_refuse()
            raise web.HTTPError(404, f"no entry {entry_id!r} in the gallery (or not one you may see)")
        if change and not may_change(self.user, entry):
            raise web.HTTPError(403, f"only {entry['author']} (its author) or an admin may change {entry_id}")
        return entry

    def version(self, entry: dict[str, Any], number: str | int) -> int:
        n = int(number)
        if n not in entry["versions"]:
            raise web.HTTPError(404, f"{entry['id']} has no version {n} (it has {entry['versions']})")
        if entry.get("withdrawn"):
            raise web.HTTPError(410, f"{entry['id']} was withdrawn on {entry['withdrawn']['at']}")
        return n

    def error_page(self, status_code: int, why: str) -> None:
        self.set_header("Content-Security-Policy", pages.PAGE_CSP)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(pages.error_page(self, status_code, why))

    def visible(self) -> list[dict[str, Any]]:
        """The entries the caller may see, withdrawn ones left out."""
        out = []
        for entry_id in self.gallery.store.ids():
            entry = self.gallery.store.entry(entry_id)
            if not entry.get("withdrawn") and may_see(self.user, entry):
                out.append(pages.summary(self.gallery.store, entry))
        return out

    def page(self, html: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", pages.PAGE_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(html)



# -- pages ----------------------------------------------------------------------------------------
class ListPage(Base):
    def get(self):
        q, tag = self.get_argument("q", ""), self.get_argument("tag", "")
        entries = pages.search(self.visible(), q, tag)
        self.page(pages.list_page(self, entries, q, tag))


class EntryPage(Base):
    def get(self, entry_id: str):
        entry = self.entry(entry_id)
        if entry.get("withdrawn"):
            self.set_status(410)
            self.page(pages.withdrawn_page(self, entry))
            return
        self.redirect(f"{self.settings['prefix']}entries/{entry_id}/v{entry['versions'][-1]}/")


class VersionPage(Base):
    def get(self, entry_id: str, number: str):
        entry = self.entry(entry_id)
        if entry.get("withdrawn"):
            self.set_status(410)
            self.page(pages.withdrawn_page(self, entry))
            return
        n = self.version(entry, number)
        self.page(pages.version_page(self, entry, n, self.gallery.store.version(entry_id, n)))


class Preview(Base):
    async def get(self, entry_id: str, number: str):
        entry = self.entry(entry_id)
        n = self.version(entry, number)
        folder = self.gallery.store.version_dir(entry_id, n)
        html = await ioloop.IOLoop.current().run_in_executor(None, pages.cached_preview, folder / "notebook.ipynb",
                                                             folder / "preview.html", entry["title"])
        pages.send_preview(self, html)


class Download(Base):
    def get(self, entry_id: str, number: str, name: str):
        entry = self.entry(entry_id)
        n = self.version(entry, number)
        folder = self.gallery.store.version_dir(entry_id, n)
        path = folder / "notebook.ipynb" if name == "notebook.ipynb" else folder / "files" / name
        if name != "notebook.ipynb" and name not in self.gallery.store.files(entry_id, n):
            raise web.HTTPError(404, f"{entry_id} v{n} has no file {name!r}")
        self.set_header("Content-Type", "application/x-ipynb+json" if name.endswith(".ipynb") else "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{entry_id}-v{n}-{name}"')
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(path.read_bytes())


class RunPage(Base):
    def get(self, key: str):
        request, status = self.run_of(key)
        if self.get_argument("preview", ""):
            executed = self.gallery.store.runs / key / "executed.ipynb"
            if not executed.is_file():
                raise web.HTTPError(404, "this run has no result yet")
            pages.send_preview(self, pages.cached_preview(executed, executed.with_name("preview.html"),
                                                          f"{request['title']} (v{request['version']}, re-run)"))
            return
        self.page(pages.run_page(self, key, request, status))

    def run_of(self, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
        folder = self.gallery.store.runs / key
        if not key.isalnum() or not (folder / "request.json").is_file():
            raise web.HTTPError(404, "no such run")
        request = json.loads((folder / "request.json").read_text())
        entry = self.entry(request["entry"])
        self.version(entry, request["version"])
        request["title"] = entry["title"]
        return request, json.loads((folder / "status.json").read_text())


# -- API ------------------------------------------------------------------------------------------
class EntriesAPI(Base):
    json_api = True

    def get(self):
        self.answer({"entries": self.visible()})

    async def post(self):
        if self.user is None:
            self.login_or_refuse()
        published = await publish(self, None)
        self.answer(published, 201)


class EntryAPI(Base):
    json_api = True

    def get(self, entry_id: str):
        entry = self.entry(entry_id)
        self.answer(pages.summary(self.gallery.store, entry, full=True))

    def patch(self, entry_id: str):
        self.entry(entry_id, change=True)
        try:
            fields = check_metadata(self.body(), partial=True)
        except StoreError as e:
            raise web.HTTPError(400, str(e)) from None
        self.gallery.store.change(entry_id, fields)
        self.answer(pages.summary(self.gallery.store, self.gallery.store.entry(entry_id), full=True))

    def delete(self, entry_id: str):
        self.entry(entry_id, change=True)
        self.gallery.store.withdraw(entry_id, self.user["name"], str(self.body().get("reason", "")))
        if self.from_form():
            self.redirect(f"{self.settings['prefix']}", status=303)
            return
        self.set_status(204)
        self.finish()

    def post(self, entry_id: str):  # forms cannot send DELETE
        self.entry(entry_id, change=True)
        if self.body().get("action") != "withdraw":
            raise web.HTTPError(405, "POST here withdraws (action=withdraw); publish a version at .../versions")
        self.delete(entry_id)


class VersionsAPI(Base):
    json_api = True

    async def post(self, entry_id: str):
        entry = self.entry(entry_id, change=True)
        if entry.get("withdrawn"):
            raise web.HTTPError(410, f"{entry_id} was withdrawn: publish it as a new entry")
        self.answer(await publish(self, entry_id), 201)


class VersionAPI(Base):
    json_api = True

    def get(self, entry_id: str, number: str):
        entry = self.entry(entry_id)
        n = self.version(entry, number)
        info = self.gallery.store.version(entry_id, n)
        info["citation"] = pages.citation(self, entry, n, info)
        info["url"] = pages.permanent_url(self, entry_id, n)
        self.answer(info)


class CheckAPI(Base):
    json_api = True

    def post(self, entry_id: str, number: str):
        entry = self.entry(entry_id, change=True)
        n = self.version(entry, number)
        self.gallery.enqueue_check(entry_id, n, why=f"asked by {self.user['name']}")
        if self.from_form():
            self.redirect(f"{self.settings['prefix']}entries/{entry_id}/v{n}/", status=303)
            return
        self.answer({"status": "queued"}, 202)


class RunsAPI(Base):
    json_api = True

    def post(self, entry_id: str, number: str):
        if self.user is None:
            self.login_or_refuse()
        entry = self.entry(entry_id)
        n = self.version(entry, number)
        info = self.gallery.store.version(entry_id, n)
        body = self.body()
        given = body.get("parameters", body) if not self.from_form() else \
            {k: pages.form_value(v) for k, v in body.items()}
        try:
            parameters = check_parameters(given, info.get("parameters") or {})
        except StoreError as e:
            raise web.HTTPError(400, str(e)) from None
        try:
            key = self.gallery.enqueue_run(entry_id, n, parameters, self.user["name"])
        except StoreError as e:
            raise web.HTTPError(429, str(e)) from None
        url = f"{self.settings['prefix']}runs/{key}/"
        if self.from_form():
            self.redirect(url, status=303)
            return
        self.answer({"run": key, "url": url}, 202)


class RunAPI(RunPage):
    json_api = True

    def get(self, key: str):
        request, status = self.run_of(key)
        self.answer({**request, **status})


class BundleAPI(Base):
    """The notebook and its files in one answer, for "open in my hub" (a user's server asks)."""

    json_api = True

    def get(self, entry_id: str, number: str):
        entry = self.entry(entry_id)
        n = self.version(entry, number)
        folder = self.gallery.store.version_dir(entry_id, n)
        files = {name: base64.b64encode((folder / "files" / name).read_bytes()).decode()
                 for name in self.gallery.store.files(entry_id, n)}
        self.answer({"id": entry_id, "version": n, "title": entry["title"],
                     "notebook": json.loads((folder / "notebook.ipynb").read_text()), "files": files})


async def publish(handler: Base, entry_id: str | None) -> dict[str, Any]:
    """A publish from the API: the notebook (JSON or an uploaded .ipynb), its files and fields."""
    limit = handler.settings["max_bytes"]
    body = handler.body()
    raw = body.pop("notebook", None)
    if raw is None and "notebook" in handler.request.files:
        raw = handler.request.files["notebook"][0]["body"]
    if raw is None:
        raise web.HTTPError(400, "no notebook: send the .ipynb as 'notebook'")
    files = body.pop("files", {}) or {}
    environment = body.pop("environment", {}) or {}
    try:
        data = raw if isinstance(raw, bytes) else (raw.encode() if isinstance(raw, str) else json.dumps(raw).encode())
        notebook = check_notebook(data, limit)
        meta = check_metadata(body, partial=entry_id is not None)
        if not isinstance(files, dict):
            raise StoreError("files: an object of file name → base64 content")
        decoded = {name: base64.b64decode(content, validate=True) for name, content in files.items()
                   if isinstance(content, str)}
        if len(decoded) != len(files):
            raise StoreError("files: each file's content as base64 text")
        if sum(map(len, decoded.values())) + len(data) > limit:
            raise StoreError(f"the notebook and its files are more than this gallery takes ({limit / 2**20:.0f} MiB)")
        if not isinstance(environment, dict) or len(json.dumps(environment)) > 200_000:
            raise StoreError("environment: an object of package → version")
    except (StoreError, ValueError) as e:
        raise web.HTTPError(400, str(e)) from None
    store = handler.gallery.store
    try:
        published = await ioloop.IOLoop.current().run_in_executor(
            None, lambda: store.publish(handler.user["name"], notebook, meta, decoded, environment, entry_id=entry_id))
    except StoreError as e:
        raise web.HTTPError(400, str(e)) from None
    handler.gallery.enqueue_check(published.id, published.version, why="published")
    return {"id": published.id, "version": published.version,
            "url": pages.permanent_url(handler, published.id, published.version), "check": "queued"}


def make_app(gallery: Gallery, hub_auth: Any, prefix: str = "/services/gallery/", max_bytes: int = 20 << 20,
             public_url: str = "", hub_prefix: str = "/", log_function=None) -> web.Application:
    e, v = r"(?P<entry_id>[a-z0-9][a-z0-9-]{0,63})", r"(?P<number>[1-9][0-9]{0,5})"
    routes: list[Any] = [
        (rf"{prefix}?", ListPage),
        (rf"{prefix}entries/{e}/?", EntryPage),
        (rf"{prefix}entries/{e}/v{v}/", VersionPage),
        (rf"{prefix}entries/{e}/v{v}/preview", Preview),
        (rf"{prefix}entries/{e}/v{v}/(?P<name>notebook\.ipynb|files/[A-Za-z0-9][A-Za-z0-9._-]{{0,127}})", Download),
        (rf"{prefix}runs/(?P<key>[0-9a-f]{{20}})/", RunPage),
        (rf"{prefix}api/entries", EntriesAPI),
        (rf"{prefix}api/entries/{e}", EntryAPI),
        (rf"{prefix}api/entries/{e}/versions", VersionsAPI),
        (rf"{prefix}api/entries/{e}/v{v}", VersionAPI),
        (rf"{prefix}api/entries/{e}/v{v}/check", CheckAPI),
        (rf"{prefix}api/entries/{e}/v{v}/runs", RunsAPI),
        (rf"{prefix}api/entries/{e}/v{v}/bundle", BundleAPI),
        (rf"{prefix}api/runs/(?P<key>[0-9a-f]{{20}})", RunAPI),
    ]
    settings: dict[str, Any] = {"gallery": gallery, "prefix": prefix, "max_bytes": max_bytes, "public_url": public_url,
                                "hub_prefix": hub_prefix, "xsrf_cookies": True, "log_function": log_function,
                                "cookie_secret": os.urandom(32), "hub_auth": hub_auth}
    from jupyterhub.services.auth import HubOAuthCallbackHandler

    routes.append((rf"{prefix}oauth_callback", HubOAuthCallbackHandler))
    # the body limit: a notebook, its files as base64 (4/3) and the fields
    return web.Application(routes, max_body_size=max_bytes * 4 // 3 + (1 << 20), **settings)


def main(argv=None) -> int:
    log_request = request_logger(log, "spacehub.gallery")
    from jupyterhub.services.auth import HubOAuth

    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/gallery/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8005"))
    root = Path(os.environ[DIR_ENV])
    runner = Runner(python=Path(os.environ.get(PYTHON_ENV) or sys.executable), work=root / "work",
                    timeout=float(os.environ.get(TIMEOUT_ENV, "600")),
                    data_roots=tuple(Path(os.environ[k]) for k in ("SPACEHUB_SAMPLE_DATA", "SPACEHUB_CACHE_DIR")
                                     if os.environ.get(k)))
    if os.environ.get(RUN_AS_ENV) and os.geteuid() == 0:
        runner.run_as = gallery_account(os.environ[RUN_AS_ENV])  # isolated mode: no user code as root
    (root / "work").mkdir(parents=True, exist_ok=True)
    os.chmod(root / "work", 0o711)  # each run's folder in it is the run's account's own (0700)
    gallery = Gallery(Store(root), runner, at_once=int(os.environ.get("SPACEHUB_GALLERY_AT_ONCE", "1")))
    hub_auth = HubOAuth.instance(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60,
                                 allow_token_in_url=False)
    app = make_app(gallery, hub_auth, prefix, max_bytes=int(float(os.environ.get(MAX_MB_ENV, "20")) * 2**20),
                   public_url=os.environ.get(PUBLIC_URL_ENV, ""), hub_prefix=os.environ.get("JUPYTERHUB_BASE_URL", "/"),
                   log_function=log_request)
    app.listen(url.port or 8005, url.hostname)
    loop = ioloop.IOLoop.current()
    loop.add_callback(gallery.start)
    # the hub stops its services with SIGINT, `spacehub up` ends those of a crashed hub with SIGTERM:
    # either way the re-runs under way (their own process groups) end with the service
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: loop.add_callback_from_signal(loop.stop))
    log.info("gallery at %s%s (store %s)", url.geturl().rstrip("/"), prefix, root)
    try:
        loop.start()
    finally:
        runner.stop_all()
    return 0
