"""The auth sweep: every route a running spacehub answers — the hub's pages and API, alice's
JupyterLab server (REST, files, terminals, kernels' and collaboration's websockets), the data
service, the gate and the Dask gateway's API, her cluster's dashboard — asked through the hub's
proxy as four identities: anonymous, bob (another user), alice (the owner) and the hub's admin.

The routes come from the applications themselves (``list_routes.py``), so a route added by an
upgrade or by us and not classified in ``expectations.py`` fails the first test. Reads must get
exactly the expected answer; every other method of every route, asked as anonymous and as bob (and
as alice where only an admin may act), must be refused and must change nothing of alice's.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from asking import ROUTE_METHODS, browse_to, login, make_objects, report, snapshot, sweep
from expectations import RULES
from hubtools import ReadyLineHub
from matrix import ADMIN, ALICE, BOB, IDENTITIES

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def sweep_hub(tmp_path_factory, sample_dir):
    """A hub of its own: the sweep gives alice a server, a cluster, kernels and shares, and asks bob to
    delete them all."""
    hub = ReadyLineHub(tmp_path_factory.mktemp("sweep-hub"), sample_dir=sample_dir).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def routes(sweep_hub):
    run = subprocess.run([sys.executable, str(HERE / "list_routes.py"), str(sweep_hub.config)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout)
    ROUTE_METHODS.update({(r["source"], r["pattern"]): r["methods"] for r in found})
    return found


@pytest.fixture(scope="module")
def people(sweep_hub):
    return {identity: login(sweep_hub, identity) for identity in IDENTITIES}


@pytest.fixture(scope="module")
def objects(sweep_hub, people):
    """alice's things; every logged-in browser has been through OAuth with her server, the gate, the
    gallery and the workshops service once (bob is refused there: his browser keeps being sent to the hub), as a person would."""
    objects = make_objects(sweep_hub, people[ALICE], people[ADMIN])
    for identity in (ALICE, BOB, ADMIN):
        browse_to(people[identity], sweep_hub.url + "user/alice/lab")
        browse_to(people[identity], sweep_hub.gateway_url + f"/clusters/{objects.values['cluster']}/status")
        browse_to(people[identity], sweep_hub.url + f"services/gallery/entries/{objects.values['gallery_entry']}/v1/")
        browse_to(people[identity], sweep_hub.url + "services/workshops/")
    return objects


@pytest.fixture(scope="module")
def rules(routes):
    by_route = {pattern: (source, rule) for source, rules in RULES.items() for pattern, rule in rules.items()}
    assert len(by_route) == sum(len(r) for r in RULES.values()), "a route pattern is classified twice"
    return by_route


def test_every_route_is_classified(routes):
    listed = {(r["source"], r["pattern"]) for r in routes}
    known = {(source, pattern) for source, rules in RULES.items() for pattern in rules}
    unclassified = sorted(listed - known)
    gone = sorted(known - listed)
    assert not unclassified, "routes without an expected answer in expectations.py:\n" + "\n".join(map(str, unclassified))
    assert not gone, "expectations of routes no application has any more:\n" + "\n".join(map(str, gone))
    assert {r["source"] for r in routes} == set(RULES)


def test_every_read_gets_its_expected_answer(sweep_hub, people, objects, rules):
    cells = sweep(sweep_hub, people, objects, rules)
    assert all(c.ok for c in cells), report(cells)
    asked = {(c.source, c.route) for c in cells}
    assert len(asked) >= len(rules) - sum(1 for _, r in rules.values() if r.unreachable) - 1  # all but the shutdown
    for identity in IDENTITIES:
        assert sum(c.identity == identity for c in cells) > 100, f"{identity} asked too little"


def test_every_change_is_refused_and_changes_nothing(sweep_hub, people, objects, rules):
    before = snapshot(sweep_hub, objects, people[ALICE], people[ADMIN])
    cells = sweep(sweep_hub, people, objects, rules, mutations=True)
    after = snapshot(sweep_hub, objects, people[ALICE], people[ADMIN])
    assert all(c.ok for c in cells), report(cells)
    assert len(cells) > 200
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    assert not changed, f"refused changes changed alice's things: {changed}"


def test_bob_sees_other_users_names_and_admin_flags_only(sweep_hub, people):
    """Sharing with a user by name needs ``read:users:name`` on them (JupyterHub checks it), and
    JupyterHub shows with it the name and whether the user is an admin: nothing else, not their
    servers, groups, roles or last activity (SECURITY.md; ``sharing: false`` takes the scope away)."""
    for name, admin in (("alice", False), ("admin", True)):
        r = requests.get(sweep_hub.url + f"hub/api/users/{name}", timeout=10,
                         headers={"Authorization": f"token {people[BOB].token}"})
        assert r.status_code == 200, r.text
        assert r.json() == {"kind": "user", "name": name, "admin": admin, "user_info": None}, r.json()
    r = requests.get(sweep_hub.url + "hub/api/users", timeout=10, headers={"Authorization": f"token {people[BOB].token}"})
    assert r.status_code == 403  # no list of the hub's users: a name must be known to be looked up
