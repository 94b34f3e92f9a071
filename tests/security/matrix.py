"""The auth sweep's vocabulary: who asks (four identities), what answer is right (a spec per identity),
how a request is made (browser page, token API, websocket), and the record of every cell asked."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

ANON, BOB, ALICE, ADMIN = "anonymous", "bob", "alice", "admin"
IDENTITIES = (ANON, BOB, ALICE, ADMIN)

LOGIN = "login"  #: a 302 to the hub's login page, or to its OAuth authorize step (which sends a stranger there)
OAUTH = "oauth"  #: a 302 to the hub's OAuth authorize step (where the hub decides who may have a code)
REACHED = "reached"  #: past authentication: any answer but 401, 403 or a redirect to log in (errors of the handler too)

Spec = int | tuple[int, ...] | str
Expect = Mapping[str, Spec]  # identity -> spec; an identity left out is not asked (see Rule.skip)

#: refusals of a request that changes something
REFUSED_ANON_API: Spec = (401, 403)
REFUSED_OTHER: Spec = (403, 404)  # 404: JupyterHub hides whether another user's object exists


def spec_ok(spec: Spec, status: int, location: str = "") -> bool:
    if spec == LOGIN:
        return status == 302 and ("/hub/login" in location or "/hub/api/oauth2/authorize" in location)
    if spec == OAUTH:
        return status == 302 and "/hub/api/oauth2/authorize" in location
    if spec == REACHED:
        return status not in (0, 401, 403) and not spec_ok(LOGIN, status, location)
    if isinstance(spec, int):
        return status == spec
    assert isinstance(spec, tuple)
    return any(spec_ok(s, status, location) for s in spec)


def spec_text(spec: Spec) -> str:
    if isinstance(spec, tuple):
        return "|".join(str(s) for s in spec)
    return str(spec)


@dataclass(frozen=True)
class Rule:
    """How one route is swept. ``path`` is concrete but for ``{placeholders}`` filled with alice's objects."""

    path: str
    expect: Expect  #: GET (or the websocket handshake) per identity
    client: str = "api"  #: api (Authorization header) | page (browser cookies) | ws (websocket handshake) | fresh-page
    scheme: str = "token"  #: the Authorization scheme of api clients (dask-gateway wants "jupyterhub")
    why: str = ""  #: why a route is public or answers as it does
    skip: Mapping[str, str] = field(default_factory=dict)  #: identity -> why that cell is not asked
    mutations: Mapping[str, Expect] = field(default_factory=dict)  #: method -> expectations (default: refused)
    bodies: Mapping[str, object] = field(default_factory=dict)  #: method -> JSON body
    admin_only: bool = False  #: mutations need an admin: alice is refused too
    self_only: bool = False  #: mutations act on the caller's own things: bob's are not asked
    unreachable: str = ""  #: why the route cannot be reached through the proxy (classified, not swept)


@dataclass
class Cell:
    source: str
    route: str
    method: str
    identity: str
    url: str
    expected: Spec
    status: int
    location: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return spec_ok(self.expected, self.status, self.location)

    def line(self) -> str:
        where = f" -> {self.location[:80]}" if self.location else ""
        detail = f" ({self.detail[:160]})" if self.detail else ""
        return (f"{self.method:9} {self.url:70} as {self.identity:9}: {self.status}{where}, "
                f"expected {spec_text(self.expected)}{detail}")


class Sweep:
    """Every cell asked in this test session, for the terminal summary and a TSV in basetemp."""

    def __init__(self):
        self.cells: list[Cell] = []
        self.routes: set[tuple[str, str]] = set()
        self.skipped: list[tuple[str, str, str, str]] = []  # source, route, identity, why
        self.lock = threading.Lock()

    def add(self, cell: Cell) -> Cell:
        with self.lock:
            self.cells.append(cell)
            self.routes.add((cell.source, cell.route))
        return cell

    def skip(self, source: str, route: str, identity: str, why: str) -> None:
        with self.lock:
            self.skipped.append((source, route, identity, why))
            self.routes.add((source, route))

    def leaks(self) -> list[Cell]:
        return [c for c in self.cells if not c.ok]

    def summary(self) -> str:
        reads = sum(c.method in ("GET", "WEBSOCKET") for c in self.cells)
        return (f"auth sweep: {len(self.routes)} routes x {len(IDENTITIES)} identities = {len(self.cells)} cells swept "
                f"({reads} reads, {len(self.cells) - reads} mutations; {len(self.skipped)} cells not asked, with reasons), "
                f"{len(self.leaks())} leaks")

    def tsv(self) -> str:
        rows = ["source\troute\tmethod\tidentity\turl\tstatus\texpected\tok"]
        rows += [f"{c.source}\t{c.route}\t{c.method}\t{c.identity}\t{c.url}\t{c.status}\t{spec_text(c.expected)}\t{c.ok}"
                 for c in self.cells]
        rows += [f"{s}\t{r}\t-\t{i}\t-\tnot asked\t{why}\t-" for s, r, i, why in self.skipped]
        return "\n".join(rows) + "\n"


SWEEP = Sweep()
