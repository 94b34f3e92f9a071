"""Asking the running hub as one of the four identities: a browser (cookies after the login form,
``Accept: text/html``), a token client (``Authorization`` header) or a websocket; alice's objects
that fill the routes' paths; a snapshot of her things to show a refused change changed nothing."""

from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import websocket
from hubtools import RunningHub, wait_for
from matrix import ADMIN, ALICE, ANON, BOB, IDENTITIES, LOGIN, OAUTH, SWEEP, Cell, Rule, Spec
from requests.cookies import get_cookie_header

TIMEOUT = 30  #: seconds for one answer (JupyterLab's licenses route takes seconds, and blocks her server)
PASSWORDS = {ALICE: "correct-horse-battery", BOB: "bobs-own-password"}  # as tests/integration set them first


@dataclass
class Person:
    identity: str
    token: str | None  #: a hub token with all of the identity's permissions (None: anonymous)
    browser: requests.Session  #: logged in through the form (anonymous: no cookies)
    password: str | None = None

    def cookie_header(self, url: str) -> str:
        return get_cookie_header(self.browser.cookies, requests.Request("GET", url).prepare()) or ""


@dataclass
class Objects:
    """alice's things the routes are filled with."""

    values: dict[str, str] = field(default_factory=dict)

    def fill(self, path: str, person: Person) -> str:
        own_token = person.token or "not-a-token"
        return path.format(own_token=own_token, **self.values)


def login(hub: RunningHub, identity: str) -> Person:
    if identity == ANON:
        return Person(ANON, None, requests.Session())
    password = hub.secret("admin_password") if identity == ADMIN else PASSWORDS[identity]
    browser = hub.login(identity, password)
    return Person(identity, hub.token_for(identity), browser, password)


def browse_to(person: Person, url: str) -> None:
    """Follow a browser's redirects once (OAuth with a server or service), so its cookies are set; where
    the hub asks to confirm (an admin opening another user's server) say yes, as a person clicks it."""
    try:
        r = person.browser.get(url, headers={"Accept": "text/html"}, timeout=TIMEOUT * 3)
        if r.status_code == 200 and "/hub/api/oauth2/authorize" in r.url:
            form = dict(re.findall(r'<input type="hidden" name="(_xsrf)" value="([^"]*)"', r.text))
            scopes = re.findall(r'<input type="hidden" name="scopes" value="([^"]*)"', r.text)
            person.browser.post(r.url, data={**form, "scopes": scopes}, headers={"Accept": "text/html"},
                                timeout=TIMEOUT * 3)
    except requests.RequestException:
        pass


def _body(rule: Rule, method: str):
    return None if method in ("GET", "WEBSOCKET") else rule.bodies.get(method, {})


def ask(hub: RunningHub, person: Person, objects: Objects, source: str, route: str, rule: Rule, method: str,
        expected: Spec) -> Cell:
    url = hub.url.rstrip("/") + objects.fill(rule.path, person)
    status, location, detail = 0, "", ""
    try:
        if rule.client.startswith("ws") or method == "WEBSOCKET":
            status, detail = _ws(person, url, rule)
            method = "WEBSOCKET"
        elif rule.client in ("page", "fresh-page"):
            browser = person.browser
            if rule.client == "fresh-page":  # logging out ends the session: a session of its own
                browser = requests.Session() if person.password is None else hub.login(person.identity, person.password)
            headers = {"Accept": "text/html"}
            r = browser.request(method, url, headers=headers, json=_body(rule, method), allow_redirects=False,
                                timeout=TIMEOUT, stream=True)
            status, location = r.status_code, r.headers.get("Location", "")
            r.close()
        else:
            token = person.token if rule.client != "path-token" else None
            headers = {"Authorization": f"{rule.scheme} {token}"} if token else {}
            r = requests.request(method, url, headers=headers, json=_body(rule, method), allow_redirects=False,
                                 timeout=TIMEOUT, stream=True)
            status, location = r.status_code, r.headers.get("Location", "")
            if status >= 400 or status == 200 and method != "GET":
                detail = r.raw.read(300, decode_content=True).decode("utf-8", "replace")
            r.close()
    except (requests.RequestException, OSError) as e:
        detail = f"no answer: {e!r}"
    return SWEEP.add(Cell(source, route, method, person.identity, url, expected, status, location, detail))


def _ws(person: Person, url: str, rule: Rule) -> tuple[int, str]:
    ws_url = url.replace("http", "ws", 1)
    header = []
    if rule.client == "ws-cookie":
        cookie = person.cookie_header(url)
        if cookie:
            header.append(f"Cookie: {cookie}")
    elif person.token:
        header.append(f"Authorization: token {person.token}")
    try:
        conn = websocket.create_connection(ws_url, header=header, timeout=TIMEOUT)
    except websocket.WebSocketBadStatusException as e:
        return e.status_code, ""
    conn.close()
    return 101, ""


def expected_mutation(rule: Rule, method: str, identity: str) -> Spec | None:
    """What a change asked by ``identity`` must get: refused, unless the rule says otherwise; None: not asked."""
    given = rule.mutations.get(method)
    if given is not None:
        return given.get(identity)
    if identity == ANON:
        return (LOGIN, 403) if rule.client == "page" else (401, 403)
    if identity == BOB:  # a browser's change without the _xsrf of a page is asked as if logged out
        return None if rule.self_only else ((403, 404, OAUTH) if rule.client == "page" else (403, 404))
    if identity == ALICE and rule.admin_only:
        return 403
    return None


def sweep(hub: RunningHub, people: dict[str, Person], objects: Objects, rules: dict[str, tuple[str, Rule]],
          mutations: bool = False) -> list[Cell]:
    """Ask every route (``{route: (source, rule)}``) as every identity, one thread per identity; the reads
    (GET, websocket handshakes), or with ``mutations`` every other method of each route as anonymous,
    bob (and alice where only the admin may change things)."""

    def cells_of(identity: str) -> list[Cell]:
        out = []
        for route, (source, rule) in rules.items():
            if rule.unreachable:
                continue
            if mutations:
                for method in _methods(source, route):
                    spec = expected_mutation(rule, method, identity)
                    if spec is not None:
                        out.append(ask(hub, people[identity], objects, source, route, rule, method, spec))
                continue
            if identity in rule.skip:
                SWEEP.skip(source, route, identity, rule.skip[identity])
            elif identity in rule.expect:
                method = "WEBSOCKET" if rule.client.startswith("ws") else "GET"
                methods = ROUTE_METHODS.get((source, route))
                # a route without GET answers 405 before anything else: the same for everyone, nothing shown
                spec = 405 if methods and method not in methods else rule.expect[identity]
                out.append(ask(hub, people[identity], objects, source, route, rule, method, spec))
        return out

    with ThreadPoolExecutor(len(IDENTITIES)) as pool:
        return [cell for cells in pool.map(cells_of, IDENTITIES) for cell in cells]


#: the methods each route implements, from list_routes.py: {(source, route): [methods]}
ROUTE_METHODS: dict[tuple[str, str], list[str]] = {}


def _methods(source: str, route: str) -> list[str]:
    return [m for m in ROUTE_METHODS.get((source, route), []) if m not in ("GET", "WEBSOCKET")]


def report(cells: list[Cell]) -> str:
    bad = [c for c in cells if not c.ok]
    return f"{len(bad)} of {len(cells)} cells answered otherwise than expected:\n" + "\n".join(c.line() for c in bad)


# -- alice's objects -----------------------------------------------------------------------------

def start_server(hub: RunningHub, person: Person, admin: Person, timeout: float = 90) -> None:
    person.browser.get(hub.url + "hub/spawn", allow_redirects=False, timeout=30)
    wait_for(lambda: hub.api("GET", f"users/{person.identity}", token=admin.token).json()["servers"]
             .get("", {}).get("ready"), timeout, what=f"{person.identity}'s server ready")


def make_objects(hub: RunningHub, alice: Person, admin: Person) -> Objects:
    """alice's server with a folder of files, a checkpoint, a kernel, a session, a terminal, a
    collaboration room; a token of hers; a group her server is shared with; a Dask cluster."""
    start_server(hub, alice, admin)
    server = hub.url + "user/alice/"
    h = {"Authorization": f"token {alice.token}"}

    def call(method, path, **kw):
        r = requests.request(method, server + path, headers=h, timeout=60, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text[:300]}"
        return r.json() if r.content else {}

    v: dict[str, str] = {}
    call("PUT", "api/contents/sweep", json={"type": "directory"})
    call("PUT", "api/contents/sweep/sentinel.txt", json={"type": "file", "format": "text", "content": "alice's"})
    call("PUT", "api/contents/sweep/notes.ipynb", json={"type": "notebook", "content": {
        "cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}})
    v["checkpoint"] = call("POST", "api/contents/sweep/sentinel.txt/checkpoints")["id"]
    v["kernel"] = call("POST", "api/kernels", json={"name": "python3"})["id"]
    v["session"] = call("POST", "api/sessions", json={"path": "sweep/notes.ipynb", "type": "notebook",
                                                      "kernel": {"id": v["kernel"]}})["id"]
    v["terminal"] = call("POST", "api/terminals")["name"]
    room = call("PUT", "api/collaboration/session/sweep/notes.ipynb", json={"format": "json", "type": "notebook"})
    v["file_id"], v["room"] = room["fileId"], f"json:notebook:{room['fileId']}"

    r = hub.api("POST", "users/alice/tokens", token=alice.token, json={"note": "the auth sweep's"})
    assert r.status_code == 201, r.text
    v["token_id"], v["token"] = r.json()["id"], r.json()["token"]
    v["group"] = "sweepers"
    r = hub.api("POST", "groups/sweepers", token=admin.token)
    assert r.status_code in (201, 409), r.text
    r = hub.api("POST", "shares/alice/", token=alice.token, json={"group": "sweepers"})
    assert r.status_code == 200, r.text

    # a private entry of hers in the gallery, with a parameter, and a re-run of it
    gallery = hub.url + "services/gallery/api/"
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "p", "metadata": {"tags": ["parameters"]},
                     "outputs": [], "source": "x = 1"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    r = requests.post(gallery + "entries", headers=h, json={"notebook": nb, "title": "Sweep", "visibility": "private"},
                      timeout=60)
    assert r.status_code == 201, r.text
    v["gallery_entry"] = r.json()["id"]
    r = requests.post(gallery + f"entries/{v['gallery_entry']}/v1/runs", headers=h, json={"parameters": {"x": 2}},
                      timeout=60)
    assert r.status_code == 202, r.text
    v["gallery_run"] = r.json()["run"]

    # a workshop she teaches (one seat), made by the admin through the workshops service
    r = requests.post(hub.url + "services/workshops/api/workshops", headers={"Authorization": f"token {admin.token}"},
                      json={"name": "sweepshop", "seats": 1, "instructors": ["alice"]}, timeout=60)
    assert r.status_code == 201, r.text
    v["workshop"] = "sweepshop"

    gateway = hub.gateway(alice.token)
    running = [name for name, c in gateway.request("GET").json().items() if c["status"] == "RUNNING"]
    v["cluster"] = running[0] if running else gateway.new()
    wait_for(lambda: gateway.status(v["cluster"]) == "RUNNING", 90, what="alice's cluster running")
    return Objects(v)


def snapshot(hub: RunningHub, objects: Objects, alice: Person, admin: Person) -> dict:
    """alice's things as she and the admin see them: a refused change must leave this as it was."""
    server = hub.url + "user/alice/"
    h = {"Authorization": f"token {alice.token}"}
    v = objects.values

    def get(url, headers=h, **kw):
        r = requests.get(url, headers=headers, timeout=30, **kw)
        return r.status_code, (r.json() if "json" in r.headers.get("Content-Type", "") else r.text)

    alice_model = hub.api("GET", "users/alice", token=admin.token).json()
    contents = get(server + "api/contents/sweep")[1]
    return {
        "alice": {k: alice_model.get(k) for k in ("name", "admin", "roles", "groups")},
        "alice's server ready": alice_model["servers"].get("", {}).get("ready"),
        "hub users": sorted(u["name"] for u in hub.api("GET", "users", token=admin.token).json()),
        "groups": hub.api("GET", "groups", token=admin.token).json(),
        "alice's tokens": sorted(t["id"] for t in hub.api("GET", "users/alice/tokens", token=admin.token)
                                 .json()["api_tokens"]),
        "alice's token works": hub.api("GET", "user", token=v["token"]).status_code,
        "alice's gallery entry": {k: w for k, w in requests.get(
            hub.url + f"services/gallery/api/entries/{v['gallery_entry']}", headers=h, timeout=30).json().items()
            if k in ("title", "description", "visibility", "versions", "withdrawn", "author")},
        "alice's workshop": {k: w for k, w in requests.get(
            hub.url + f"services/workshops/api/workshops/{v['workshop']}", headers=h, timeout=30).json().items()
            if k in ("seats", "instructors", "ended", "under_way", "archive")},
        "its login links": (Path(hub.settings["state_dir"]) / "workshops" / f"{v['workshop']}.json").read_text(),
        "alice's shares": [(s.get("user"), s.get("group"), s.get("scopes"))
                           for s in hub.api("GET", "shares/alice", token=admin.token).json()["items"]],
        "alice's share codes": len(hub.api("GET", "share-codes/alice", token=admin.token).json()["items"]),
        "services": sorted(hub.api("GET", "services", token=admin.token).json()),
        "proxy routes": sorted(hub.api("GET", "proxy", token=admin.token).json()),
        "files": sorted((c["name"], c["type"]) for c in contents["content"]),
        "sentinel": get(server + "api/contents/sweep/sentinel.txt")[1]["content"],
        "checkpoints": get(server + "api/contents/sweep/sentinel.txt/checkpoints")[1],
        "kernels": sorted(k["id"] for k in get(server + "api/kernels")[1]),
        "sessions": sorted((s["id"], s["path"]) for s in get(server + "api/sessions")[1]),
        "terminals": sorted(t["name"] for t in get(server + "api/terminals")[1]),
        "config": get(server + "api/config/notebook")[1],
        "theme settings": get(server + "lab/api/settings/@jupyterlab/apputils-extension:themes")[1].get("raw"),
        "workspaces": json.dumps(get(server + "lab/api/workspaces")[1], sort_keys=True)[:2000],
        "clusters": {name: c["status"] for name, c in hub.gateway(alice.token).request("GET").json().items()},
        "hub health": requests.get(hub.url + "hub/health", timeout=10).status_code,
    }


def throwaway_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
