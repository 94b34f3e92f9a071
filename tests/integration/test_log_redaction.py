"""No credential in a log: the proxy, the hub, the data service and the gateway each log requests
that carry a real token in their URL, and the output of `spacehub up` (theirs, all of it) holds
none of it, while each line is there, redacted."""

import pytest
import requests
from hubtools import free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PREFIX = "/redaction-probe"  #: a proxy route of this test's own, to a port nobody listens on


@pytest.fixture(scope="module")
def token(hub):
    """A real API token of the hub's admin: what a leak would give away."""
    return hub.token_for("admin")


@pytest.fixture(scope="module")
def dead_route(hub):
    """A route the proxy has, to a target that is down (a restarting service looks the same to it)."""
    api = f"http://127.0.0.1:{hub.settings['hub']['proxy_api_port']}/api/routes{PREFIX}"
    auth = {"Authorization": f"token {hub.secret('proxy_auth_token')}"}
    r = requests.post(api, json={"target": f"http://127.0.0.1:{free_port()}"}, headers=auth, timeout=10)
    assert r.status_code == 201, r.text
    yield hub.url.rstrip("/") + PREFIX
    requests.delete(api, headers=auth, timeout=10)


def lines_with(log: str, *parts: str) -> list[str]:
    return [line for line in log.splitlines() if all(part in line for part in parts)]


def test_no_token_in_any_log(hub, token, dead_route):
    # the proxy logs each request it cannot proxy, with its URL; it asks the hub for the error page
    # with that URL encoded in the query (logged by the hub)
    r = requests.get(f"{dead_route}/t/{token}/hapi/catalog?token={token}", timeout=30)
    assert r.status_code == 503
    # the hub logs refused API requests with their URL (it scrubs `token=` itself, not `TOKEN=`)
    assert requests.get(f"{hub.url}hub/api/users?TOKEN={token}", timeout=10).status_code == 403
    assert requests.get(f"{hub.url}hub/api/users/{token}", timeout=10).status_code in (403, 404)
    # the data service refuses a token in the URL, and logs the request
    data = f"{hub.url}services/data"
    assert requests.get(f"{data}/hapi/catalog?token={token}", timeout=10).status_code == 400
    assert requests.get(f"{data}/t/{token}/hapi/catalog", timeout=10).status_code == 400
    assert requests.get(f"{data}/t/{token}", timeout=10).status_code == 400
    # the gateway logs refused requests with their URL
    assert requests.get(f"{hub.gateway_url}/api/v1/clusters/?token={token}", timeout=10).status_code == 401

    # each line is there, whether redacted or not (the proxy, the hub and the service write apart)
    seen = {
        "the proxy's error": ("ConfigProxy", f"503 GET {PREFIX}/t/"),
        "the hub's error page for it": ("/hub/error/503?url=", "redaction-probe"),
        "the hub's refusal": ("/hub/api/users?TOKEN=",),
        "the hub's not found": ("GET /hub/api/users/", "JupyterHub log"),
        "the data service, ?token=": ("spacehub.data", "/services/data/hapi/catalog?token="),
        "the data service, /t/": ("spacehub.data", "/services/data/t/", "/hapi/catalog"),
        "the gateway's refusal": ("DaskGateway", "401 GET /api/v1/clusters/?token="),
    }
    wait_for(lambda: all(lines_with(hub.log(), *parts) for parts in seen.values()), 30,
             what="each request's log line: " + ", ".join(
                 what for what, parts in seen.items() if not lines_with(hub.log(), *parts)))
    log = hub.log()
    leaked = [line for line in log.splitlines() if token in line]
    assert not leaked, "the token is in the log:\n" + "\n".join(leaked)
    redacted = {
        "the proxy's error": (f"{PREFIX}/t/[secret]/hapi/catalog ", "ConfigProxy"),
        "the hub's error page for it": ("/hub/error/503", "%2Ft%2F[secret]%2Fhapi", "%3Ftoken%3D[secret]"),
        "the hub's refusal": ("/hub/api/users?TOKEN=[secret]",),
        "the hub's not found": (f"/hub/api/users/{token[:4]}[secret]",),
        "the data service, ?token=": ("/services/data/hapi/catalog?token=[secret]", "spacehub.data"),
        "the data service, /t/": ("/services/data/t/[secret]/hapi/catalog", "spacehub.data"),
        "the data service, /t/ alone": ("/services/data/t/[secret] ", "spacehub.data"),
        "the gateway's refusal": ("DaskGateway", "/api/v1/clusters/?token=[secret]"),
    }
    missing = [what for what, parts in redacted.items() if not lines_with(log, *parts)]
    assert not missing, f"no redacted line for {missing}:\n{log[-4000:]}"
