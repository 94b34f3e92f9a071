"""``spacehub groups``: the hub's groups from the host's command line (who sees which group folder).

The same groups as the hub's admin page and its REST API; the command talks to the running hub with
the token of its ``admin-cli`` service, which may manage groups and list users, nothing else. That
token is in the state dir's secrets, so only the account that runs the hub (root in isolated mode)
can use the command. A change shows in a member's file browser at their next server start.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..config.secrets import secrets_dir
from ..deploy.names import ADMIN_CLI_SERVICE


class GroupsError(RuntimeError):
    """What went wrong, said so that the operator knows what to do."""


def admin_api(settings: Settings, error: type[Exception] = RuntimeError):
    """``call(method, path, **kw)``: the running hub's REST API with the ``admin-cli`` service's token
    (the state dir's secret: the account that runs the hub only); refusals raise ``error`` saying why."""
    token_file = secrets_dir(settings.state_dir) / f"service_token_{ADMIN_CLI_SERVICE}"
    try:
        token = Path(token_file).read_text().strip()
    except PermissionError:
        raise error(f"{token_file} is the hub's: run this as the account that runs the hub "
                          "(root in isolated mode)") from None
    except FileNotFoundError:
        raise error(f"no {token_file}: start the hub once (`spacehub up`) with these settings") from None
    return hub_api(f"http://127.0.0.1:{settings.hub.port}{settings.hub.base_url.rstrip('/')}/hub/api/", token, error)


def hub_api(api: str, token: str, error: type[Exception] = RuntimeError):
    """``call(method, path, **kw)``: the hub's REST API at ``api`` with ``token`` (in a header);
    the JSON answer, or ``error`` saying what the hub refused."""
    import threading

    import requests

    api = api if api.endswith("/") else api + "/"
    local = threading.local()  # a session per thread (the workshops service calls from several)

    def call(method: str, path: str, **kw):
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"token {token}"
        try:
            r = local.session.request(method, api + path, timeout=30, **kw)
        except requests.ConnectionError:
            raise error(f"the hub is not answering at {api}: start it with `spacehub up`") from None
        if r.status_code >= 400:
            try:
                why = r.json().get("message", r.reason)
            except ValueError:
                why = r.reason
            raise error(f"the hub refused {method} {path}: {r.status_code} {why}")
        return r.json() if r.content else None

    return call


def run(settings: Settings, action: str, name: str | None, users: list[str], out=print) -> int:
    """``list``, ``create NAME [USER...]``, ``add NAME USER...``, ``remove NAME USER...``, ``delete NAME``."""
    from .folders import GROUP_NAME

    call = admin_api(settings, GroupsError)
    if action == "list":
        groups = call("GET", "groups")
        for g in groups if isinstance(groups, list) else groups.get("items", []):
            folder = "" if GROUP_NAME.match(g["name"]) else "  (no folder: the name is not one a folder can have)"
            out(f"{g['name']}: {', '.join(sorted(g['users'])) or '(nobody)'}{folder}")
        return 0
    if not name:
        raise GroupsError(f"`spacehub groups {action}` needs the group's name")
    if action in ("create", "add", "remove") and not GROUP_NAME.match(name):
        out(f"note: {name!r} gets no shared folder (lower-case letters, digits, '-', '_', at most 21 characters)")
    if action == "create":
        call("POST", f"groups/{name}", json={"users": users})
        out(f"created group {name}" + (f" with {', '.join(users)}" if users else ""))
    elif action in ("add", "remove"):
        if not users:
            raise GroupsError(f"`spacehub groups {action} {name}` needs the users' names")
        call("POST" if action == "add" else "DELETE", f"groups/{name}/users", json={"users": users})
        out(f"{'added' if action == 'add' else 'removed'} {', '.join(users)} {'to' if action == 'add' else 'from'} {name}")
    elif action == "delete":
        call("DELETE", f"groups/{name}")
        out(f"deleted group {name} (its folder stays, with its files)")
    else:
        raise GroupsError(f"unknown action {action!r}: list, create, add, remove or delete")
    return 0
