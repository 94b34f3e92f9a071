"""The workshops service (``/services/workshops/``, hub OAuth): each workshop's page and REST API for
its instructors, and the clock that ends a workshop at its end time.

Who may do what: the hub's admins, every workshop; a workshop's instructors (named when it was
made), that workshop only; anyone else is told there is no such workshop (404), a stranger is sent
to the hub's login (401 for clients). Only admins create workshops here (the instructors' hub
accounts and the materials' folder are the operator's to name). The service acts on the hub with
its own token (the ``spacehub-workshops`` role: seats, the workshop's group, shares, servers), never
with the caller's.

Pages (no JavaScript, forms with tornado's XSRF token): the list of one's workshops, and a
workshop's status (each seat's server, Dask clusters, last activity, memory and CPU time) with *Start every
seat's server*, *New login links* and *End the workshop now*.

API (JSON, a hub token in an ``Authorization`` header or the browser's login):
``GET api/workshops``, ``POST api/workshops`` (admins), ``GET api/workshops/<name>``,
``POST api/workshops/<name>/prewarm`` (202), ``POST api/workshops/<name>/links`` (a one-time login
link per seat, returned once), ``POST api/workshops/<name>/end`` (202; the archive is made and
verified before anything is disabled, as ``spacehub workshop end`` does).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
from html import escape
from typing import Any
from urllib.parse import urlparse

from tornado import ioloop, web

from ..config import Settings
from ..services.web import ServiceHandler, request_logger
from . import cli, records

log = logging.getLogger("spacehub.workshops")

PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'self'")
STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:1.5rem auto;padding:0 1rem;color:#1d2330}
a{color:#1a5fb4} .muted{color:#5e6673} table{border-collapse:collapse;margin:.8rem 0}
td,th{padding:.25rem .7rem;border-bottom:1px solid #eceff2;text-align:left} td.num{text-align:right}
form.inline{display:inline-block;margin-right:1rem} .ready{color:#2e7d32;font-weight:600}
.box{background:#f6f8fa;border:1px solid #e3e6ea;border-radius:.4rem;padding:.6rem 1rem;margin:.8rem 0}
button{padding:.3rem .8rem} .danger{background:#c62828;color:#fff;border:0;border-radius:.3rem}
"""


def may_teach(user: dict[str, Any] | None, record: dict[str, Any]) -> bool:
    return user is not None and (bool(user.get("admin")) or user.get("name") in record.get("instructors", []))


class Workshops:
    """What the handlers share: the settings, the hub's API (the service's token), the operations
    under way (one per workshop at a time), and the end-time clock."""

    def __init__(self, settings: Settings, call) -> None:
        self.settings, self.call = settings, call
        self.busy: dict[str, str] = {}  #: workshop -> what is under way (prewarm, end)
        self.problems: dict[str, str] = {}  #: workshop -> why its last operation failed
        self._tasks: set[asyncio.Task] = set()  # held until done: the loop keeps only weak references

    async def run(self, name: str, what: str, job) -> bool:
        """Run ``job`` (blocking) in a thread unless something else is under way for ``name``."""
        if name in self.busy:
            return False
        self.busy[name] = what
        self.problems.pop(name, None)

        async def go() -> None:
            try:
                await asyncio.to_thread(job)
            except Exception as e:  # shown on the workshop's page and in the log; the service goes on
                self.problems[name] = f"{what} failed: {e}"
                log.warning("workshop %s: %s failed: %s", name, what, e)
            finally:
                self.busy.pop(name, None)

        task = asyncio.get_running_loop().create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def end_when_due(self) -> None:
        """End every workshop whose end time has come (as ``spacehub workshop end`` does)."""
        for record in await asyncio.to_thread(records.every, self.settings.state_dir):
            ends = records.when(record.get("ends"))
            if record.get("ended") or ends is None or ends > records.now() or record["name"] in self.problems:
                continue
            name = record["name"]
            if await self.run(name, "end", lambda n=name: cli.end(self.settings, n, out=log.info, call=self.call)):
                log.info("workshop %s: its end time %s has come; ending it", name, record["ends"])


class Base(ServiceHandler):
    failed = "the workshops service failed to answer; its log says why"

    @property
    def workshops(self) -> Workshops:
        return self.settings["workshops"]

    async def prepare(self):
        method = self.request.method.lower()
        if getattr(type(self), method, None) is getattr(web.RequestHandler, method, None):
            raise web.HTTPError(405)  # a method this route does not have: the same answer for everyone
        await self.identify()
        if self.user is None:
            if self.request.method == "GET" and not self.json_api:
                self.redirect(self.get_login_url())
                raise web.Finish()
            raise web.HTTPError(401, "log in to the hub, or send a hub token with access to the workshops service")

    def record(self, name: str) -> dict[str, Any]:
        record = records.load(self.workshops.settings.state_dir, name)
        if record is None or not may_teach(self.user, record):
            raise web.HTTPError(404, f"no workshop {name} that you teach")
        return record

    def mine(self) -> list[dict[str, Any]]:
        return [r for r in records.every(self.workshops.settings.state_dir) if may_teach(self.user, r)]

    def error_page(self, status_code: int, why: str) -> None:
        self.page(f"{status_code}", f"<h1>{status_code}</h1><p>{escape(why)}</p>")

    def page(self, title: str, body: str) -> None:
        prefix = self.settings["prefix"]
        who = escape(self.user["name"]) if self.user else "nobody"
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", PAGE_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)} · workshops"
                    f"</title><style>{STYLE}</style></head><body><p class='muted'><a href='{prefix}'>workshops</a> · "
                    f"logged in as <b>{who}</b> · <a href='{self.settings['hub_prefix']}hub/home'>hub</a></p>"
                    f"{body}</body></html>")


def _summary(record: dict[str, Any], busy: str | None = None, problem: str | None = None) -> dict[str, Any]:
    out = {k: record.get(k) for k in ("name", "seats", "instructors", "created", "starts", "ends", "ended", "archive",
                                       "opens")}
    out["materials"] = record.get("materials")
    out["under_way"], out["problem"] = busy, problem
    return out


# -- pages ----------------------------------------------------------------------------------------
class ListPage(Base):
    def get(self):
        prefix = self.settings["prefix"]
        rows = "".join(
            f"<tr><td><a href='{prefix}{escape(r['name'])}/'>{escape(r['name'])}</a></td><td>{len(r['seats'])}</td>"
            f"<td>{escape(', '.join(r['instructors']))}</td><td>{escape(_state(r))}</td></tr>" for r in self.mine())
        body = ("<h1>Your workshops</h1>" + (
            f"<table><tr><th>workshop</th><th>seats</th><th>instructors</th><th>state</th></tr>{rows}</table>"
            if rows else "<p>You teach no workshop on this hub. An admin makes one with "
                         "<code>spacehub workshop create</code> and names you an instructor.</p>"))
        self.page("Your workshops", body)


def _ago(text: str) -> str:
    """The hub's activity time as a person reads it: "never", "just now", "12 min ago", a date."""
    try:
        then = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    then = then if then.tzinfo else then.replace(tzinfo=dt.UTC)
    minutes = int((records.now() - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{then:%Y-%m-%d %H:%M} UTC"


def _state(record: dict[str, Any]) -> str:
    if record.get("ended"):
        return f"ended {record['ended']}"
    starts, ends = records.when(record.get("starts")), records.when(record.get("ends"))
    if starts and starts > records.now():
        return f"starts {record['starts']}"
    return f"running, ends {record['ends']}" if ends else "running"


class WorkshopPage(Base):
    async def get(self, name: str):
        record = self.record(name)
        ws = self.workshops
        rows = await asyncio.to_thread(cli.status, ws.settings, name, lambda *_: None, ws.call)
        hub = self.settings["hub_prefix"]
        table = "".join(
            f"<tr><td><a href='{hub}user/{escape(r['seat'])}/lab'>{escape(r['seat'])}</a></td><td>{escape(r['name'])}</td>"
            f"<td class='{'ready' if r['server'] == 'ready' else ''}'>{escape(r['server'])}</td>"
            f"<td class='num'>{r['clusters']}</td>"
            f"<td class='num'>{r['memory_mib']} MiB</td><td class='num'>{r['cpu_seconds']:.1f} s</td>"
            f"<td>{escape(_ago(r['last_activity']))}</td></tr>" for r in rows)
        running = sum(r["server"] == "ready" for r in rows)
        xsrf = self.xsrf_form_html()
        actions = ""
        if not record.get("ended"):
            actions = (
                f"<div class='box'><form class='inline' method='post' action='prewarm'>{xsrf}"
                "<button>Start every seat's server</button></form>"
                f"<form class='inline' method='post' action='links'>{xsrf}<button>New login links</button></form>"
                f"<form class='inline' method='post' action='end'>{xsrf}<label><input type='checkbox' name='confirm' "
                "value='yes' required> stop every seat, archive their work and close their logins</label> "
                "<button class='danger'>End the workshop now</button></form></div>")
        busy, problem = ws.busy.get(name), ws.problems.get(name)
        notes = (f"<p class='box'>Under way: {escape(busy)} (reload to follow it).</p>" if busy else "") + \
            (f"<p class='box'>{escape(problem)}</p>" if problem else "")
        archive = f"<p id='archive'>Every seat's work is in <code>{escape(record['archive'])}</code>.</p>" \
            if record.get("archive") else ""
        body = (f"<h1>Workshop {escape(name)}</h1><p class='muted' id='state'>{escape(_state(record))} · instructors "
                f"{escape(', '.join(record['instructors']))} · materials in each seat's <code>~/{escape(name)}/</code>"
                f"</p>{notes}{archive}<p><b>{running} of {len(rows)}</b> servers running, "
                f"{sum(r['memory_mib'] for r in rows)} MiB in all. Open a seat's server (shared with you) from its name."
                f"</p>{actions}<table><tr><th>seat</th><th>name</th><th>server</th><th>Dask clusters</th>"
                f"<th>memory</th><th>CPU</th><th>last activity</th></tr>{table}</table>")
        self.page(f"Workshop {name}", body)


# -- API ------------------------------------------------------------------------------------------
class WorkshopsAPI(Base):
    json_api = True

    def get(self):
        ws = self.workshops
        self.answer([_summary(r, ws.busy.get(r["name"]), ws.problems.get(r["name"])) for r in self.mine()])

    async def post(self):
        if not self.user.get("admin"):
            raise web.HTTPError(403, "only the hub's admins make workshops")
        data = self.body()
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise web.HTTPError(400, "give the workshop's name")
        roster, seats = data.get("roster"), data.get("seats")
        instructors = data.get("instructors") or []
        if not isinstance(instructors, list) or not all(isinstance(i, str) for i in instructors):
            raise web.HTTPError(400, "instructors must be a list of hub user names")
        if roster is not None and not isinstance(roster, str):
            raise web.HTTPError(400, "roster must be the CSV text (username,name,email per line)")
        if seats is not None and (not isinstance(seats, int) or isinstance(seats, bool)):
            raise web.HTTPError(400, "seats must be a whole number")
        ws = self.workshops
        said: list[str] = []
        if data.get("opens") is not None and not isinstance(data["opens"], str):
            raise web.HTTPError(400, "opens must be a notebook's path in the materials")
        for key in ("dask_cores", "dask_memory_gib"):
            if data.get(key) is not None and (not isinstance(data[key], int | float) or isinstance(data[key], bool)):
                raise web.HTTPError(400, f"{key} must be a number")
        try:
            record = await asyncio.to_thread(
                cli.create, ws.settings, name, seats, None, instructors, data.get("materials"), said.append,
                starts=data.get("starts"), ends=data.get("ends"), profile=data.get("profile"),
                dask_cores=data.get("dask_cores"), dask_memory_gib=data.get("dask_memory_gib"), roster_text=roster,
                opens=data.get("opens"), call=ws.call)
        except cli.WorkshopError as e:
            raise web.HTTPError(400, str(e)) from None
        password = said[-1].rsplit(" ", 1)[1]
        self.answer({**_summary(record), "password": password}, 201)


class WorkshopAPI(Base):
    json_api = True

    async def get(self, name: str):
        record = self.record(name)
        ws = self.workshops
        rows = await asyncio.to_thread(cli.status, ws.settings, name, lambda *_: None, ws.call)
        self.answer({**_summary(record, ws.busy.get(name), ws.problems.get(name)), "status": rows})


class Action(Base):
    """``POST`` prewarm / links / end, from the API (JSON) or the workshop's page (a form)."""

    json_api = True

    async def post(self, name: str, action: str):
        record = self.record(name)
        ws = self.workshops
        if record.get("ended"):
            raise web.HTTPError(409, f"the workshop {name} ended on {record['ended']}")
        form = not self.json_api and self.from_form()  # the workshop's page
        if action == "links":
            chosen = None if form else self.body().get("seats")
            if chosen is not None and (not isinstance(chosen, list) or not all(isinstance(s, str) for s in chosen)):
                raise web.HTTPError(400, "seats must be a list of the workshop's seat names")
            try:
                made = await asyncio.to_thread(cli.links, ws.settings, name, chosen)
            except cli.WorkshopError as e:
                raise web.HTTPError(400, str(e)) from None
            if form:
                return self.links_page(name, made)
            return self.answer(made)
        if action == "end" and form and self.get_body_argument("confirm", "") != "yes":
            raise web.HTTPError(400, "tick the box to say you mean to end the workshop")
        def job() -> object:
            if action == "prewarm":
                return cli.prewarm(ws.settings, name, out=log.info, progress=False, call=ws.call)
            return cli.end(ws.settings, name, out=log.info, call=ws.call)

        if not await ws.run(name, action, job):
            raise web.HTTPError(409, f"{ws.busy.get(name)} of {name} is under way; wait for it to finish")
        if form:
            return self.redirect(f"{self.settings['prefix']}{name}/")
        self.answer({"name": name, "under_way": action}, 202)

    def links_page(self, name: str, made: dict[str, str]) -> None:
        rows = "".join(f"<tr><td>{escape(seat)}</td><td><code>{escape(link)}</code></td></tr>" for seat, link in made.items())
        self.page(f"Login links of {name}", (
            f"<h1>Login links of {escape(name)}</h1><p>Give each participant their own link: it signs them in "
            "once, then stops working (a seat's earlier link stopped working now). They are shown this once; make "
            f"new ones whenever needed.</p><table><tr><th>seat</th><th>link</th></tr>{rows}</table>"
            f"<p><a href='{self.settings['prefix']}{escape(name)}/'>back to the workshop</a></p>"))


NAME = r"(?P<name>[a-z][a-z0-9-]{0,20})"


def make_app(workshops: Workshops, hub_auth: Any, prefix: str = "/services/workshops/",
             hub_prefix: str = "/", log_function=None) -> web.Application:
    from jupyterhub.services.auth import HubOAuthCallbackHandler

    class PageAction(Action):
        json_api = False

    routes: list[Any] = [
        (rf"{prefix}?", ListPage),
        (rf"{prefix}{NAME}/", WorkshopPage),
        (rf"{prefix}{NAME}/(?P<action>prewarm|links|end)", PageAction),
        (rf"{prefix}api/workshops", WorkshopsAPI),
        (rf"{prefix}api/workshops/{NAME}", WorkshopAPI),
        (rf"{prefix}api/workshops/{NAME}/(?P<action>prewarm|links|end)", Action),
        (rf"{prefix}oauth_callback", HubOAuthCallbackHandler),
    ]
    return web.Application(routes, workshops=workshops, hub_auth=hub_auth, prefix=prefix, hub_prefix=hub_prefix,
                           xsrf_cookies=True, cookie_secret=os.urandom(32), log_function=log_function)


def main(argv=None) -> int:
    log_request = request_logger(log, "spacehub.workshops")
    from jupyterhub.services.auth import HubOAuth

    from ..config import load_settings
    from ..hub.groups import hub_api

    settings = load_settings(os.environ["SPACEHUB_CONFIG"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/workshops/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8006"))
    token = os.environ["JUPYTERHUB_API_TOKEN"]
    workshops = Workshops(settings, hub_api(os.environ["JUPYTERHUB_API_URL"], token, cli.WorkshopError))
    hub_auth = HubOAuth.instance(api_token=token, cache_max_age=60, allow_token_in_url=False)
    app = make_app(workshops, hub_auth, prefix, hub_prefix=os.environ.get("JUPYTERHUB_BASE_URL", "/"),
                   log_function=log_request)
    app.listen(url.port or 8006, url.hostname)
    every = float(os.environ.get("SPACEHUB_WORKSHOPS_EVERY", "30"))
    ioloop.PeriodicCallback(workshops.end_when_due, every * 1000).start()
    loop = ioloop.IOLoop.current()
    loop.add_callback(workshops.end_when_due)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: loop.add_callback_from_signal(loop.stop))
    log.info("workshops at %s%s", url.geturl().rstrip("/"), prefix)
    loop.start()
    return 0
