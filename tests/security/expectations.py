"""The expected answer of every route of a running spacehub, for each of the four identities.

Keys are the routes as the applications register them (``list_routes.py``); a route without a rule
here fails ``test_every_route_is_classified``, and so does a rule whose route is gone. Paths are filled
with alice's objects (``{placeholders}``, see ``conftest.py:objects``).

Conventions (JupyterHub's, kept):
- anonymous: browser pages redirect to the hub's login page (or its OAuth authorize step, which
  sends a stranger to the login page); APIs answer 401 or 403, never a redirect;
- bob on alice's things: 403, or 404 where JupyterHub hides whether the object exists at all
  (its scoped API handlers answer 404 "No access to resources or resources not found" when a token
  has no scope on that user); each rule says which;
- admin: JupyterHub's `admin` role (admin:users, admin:servers, access:servers, tokens, groups,
  shares, proxy, read:hub, read:metrics, list:services, shutdown): 200 on alice's server, files,
  kernels, tokens and shares;
- public routes say why they are public.
"""

from __future__ import annotations

from matrix import ADMIN, ALICE, ANON, BOB, LOGIN, OAUTH, REACHED, Expect, Rule, Spec

ANON_API: Spec = (401, 403)
LOGIN_OR_403: Spec = (LOGIN, 403)
OTHER: Spec = (403, 404)
HIDDEN: Spec = 404  # JupyterHub: no scope on that user at all -> "No access to resources or resources not found"


def every_change(anon: Spec, bob: Spec) -> dict[str, Expect]:
    """The same answer to every method but GET (a redirect, a 405: nothing is done either way)."""
    return {m: {ANON: anon, BOB: bob} for m in ("POST", "PUT", "PATCH", "DELETE")}


def public(path: str, status: Spec = 200, why: str = "", **kw) -> Rule:
    return Rule(path, {ANON: status, BOB: status, ALICE: status, ADMIN: status}, why=why, **kw)


def alices(path: str, client: str = "api", anon: Spec | None = None, bob: Spec = 403, alice: Spec = 200,
           admin: Spec = 200, **kw) -> Rule:
    """One of alice's things: hers and the admin's, refused to bob and to strangers."""
    if anon is None:
        anon = LOGIN if client in ("page", "fresh-page") else ANON_API
    return Rule(path, {ANON: anon, BOB: bob, ALICE: alice, ADMIN: admin}, client=client, **kw)


def admins(path: str, client: str = "api", **kw) -> Rule:
    """The hub's own business: only the admin."""
    anon: Spec = LOGIN if client == "page" else ANON_API
    return Rule(path, {ANON: anon, BOB: 403, ALICE: 403, ADMIN: 200}, client=client, admin_only=True, **kw)


def own(path: str, client: str = "api", status: Spec = 200, **kw) -> Rule:
    """Each caller's own things (their model, their token page): every user, not strangers."""
    anon: Spec = LOGIN if client in ("page", "fresh-page") else ANON_API
    return Rule(path, {ANON: anon, BOB: status, ALICE: status, ADMIN: status}, client=client, self_only=True, **kw)


SELF_SPAWN = "GET /hub/spawn starts the caller's own server: bob's and the admin's are not started for the sweep"
NAMED = "named servers are off (JupyterHub.allow_named_servers): no such server, for its owner too"

HUB = {
    # -- pages -----------------------------------------------------------------------------------
    r"/hub/login": Rule("/hub/login", {ANON: 200, BOB: 302, ALICE: 302, ADMIN: 302}, client="page",
                        why="public: the login form (a logged-in browser is sent on)", self_only=True,
                        mutations={"POST": {ANON: 403}}),  # no _xsrf: refused before any password check
    r"/hub/auth/change-password": own("/hub/auth/change-password", client="page"),
    r"/hub": public("/hub", 301, why="public: adds the slash", client="page"),
    r"/hub/user/(?P<user_name>[^/]+)(?P<user_path>/.*)?": alices("/hub/user/alice/lab", client="page", bob=404,
                                                                 alice=302, admin=302,
                                                                 why="the hub sends alice and the admin on to her "
                                                                     "server; bob: JupyterHub hides it (404)"),
    r"/hub/user-redirect/(.*)?": own("/hub/user-redirect/lab", client="page", status=302),
    r"/hub/security/csp-report": public("/hub/security/csp-report", why="browsers post CSP reports", client="page",
                                        mutations={"POST": {ANON: LOGIN_OR_403, BOB: (200, 204, 403)}}),
    r"/hub/": Rule("/hub/", {ANON: LOGIN, BOB: 302, ALICE: 302, ADMIN: 302}, client="page"),
    r"/hub/home": own("/hub/home", client="page"),
    r"/hub/admin": admins("/hub/admin", client="page"),
    r"/hub/spawn-pending/([^/]+)": alices("/hub/spawn-pending/alice", client="page", bob=OTHER, alice=302, admin=302),
    r"/hub/spawn-pending/([^/]+)/([^/]+)": alices("/hub/spawn-pending/alice/sweep", client="page", bob=OTHER,
                                                  alice=404, admin=404, why=NAMED),
    r"/hub/spawn": own("/hub/spawn", client="page", status=302, skip={BOB: SELF_SPAWN, ADMIN: SELF_SPAWN}),
    r"/hub/spawn/([^/]+)": alices("/hub/spawn/alice", client="page", bob=OTHER, alice=302, admin=302),
    r"/hub/spawn/([^/]+)/([^/]+)": alices("/hub/spawn/alice/sweep", client="page", bob=OTHER, alice=400, admin=400,
                                          why=NAMED),
    r"/hub/token": own("/hub/token", client="page"),
    r"/hub/accept-share": own("/hub/accept-share?code=not-a-code", client="page", status=404),
    r"/hub/error/(\d+)": public("/hub/error/503", why="public: the proxy's error page"),
    r"/hub/health$": public("/hub/health", why="public: health checks"),
    r"/hub/api/health$": public("/hub/api/health", why="public: health checks"),
    r"/hub/logout": Rule("/hub/logout", {ANON: 302, BOB: 302, ALICE: 302, ADMIN: 302}, client="fresh-page",
                         why="public: logging out (each identity in a session of its own)"),
    r"/hub/metrics$": admins("/hub/metrics"),
    r"/hub/api/metrics$": admins("/hub/api/metrics"),
    r"/hub/logo": public("/hub/logo", why="public: branding on the login page"),
    r"/hub/static/(.*)": public("/hub/static/css/style.min.css", why="public: the login page's style"),
    # -- API -------------------------------------------------------------------------------------
    r"/hub/api/?": public("/hub/api/", why="public: the hub's version"),
    r"/hub/api/info": admins("/hub/api/info"),
    r"/hub/api/proxy": admins("/hub/api/proxy"),
    r"/hub/api/shutdown": admins("/hub/api/shutdown", skip={ADMIN: "would stop the hub under the test session"}),
    r"/hub/api/user": own("/hub/api/user"),
    r"/hub/api/users": admins("/hub/api/users", bodies={"POST": {"usernames": ["sweep-mallory"]}}),
    r"/hub/api/users/([^/]+)": Rule("/hub/api/users/alice", {ANON: ANON_API, BOB: 200, ALICE: 200, ADMIN: 200},
                                    why="bob: her name only (read:users:name, for sharing; test_user_names)",
                                    admin_only=True, bodies={"PATCH": {"admin": True}}),
    r"/hub/api/users/([^/]+)/server": alices("/hub/api/users/alice/server", bob=HIDDEN),
    r"/hub/api/users/([^/]+)/server/progress": alices("/hub/api/users/alice/server/progress", bob=HIDDEN),
    r"/hub/api/users/([^/]+)/tokens": alices("/hub/api/users/alice/tokens", bob=HIDDEN,
                                             bodies={"POST": {"note": "bob's token for alice"}}),
    r"/hub/api/users/([^/]+)/tokens/([^/]*)": alices("/hub/api/users/alice/tokens/{token_id}", bob=HIDDEN),
    r"/hub/api/users/([^/]+)/servers/([^/]*)": alices("/hub/api/users/alice/servers/sweep", bob=HIDDEN, alice=404,
                                                      admin=404, why=NAMED),
    r"/hub/api/users/([^/]+)/servers/([^/]*)/progress": alices("/hub/api/users/alice/servers/sweep/progress",
                                                               bob=HIDDEN, alice=404, admin=404, why=NAMED),
    r"/hub/api/users/([^/]+)/activity": alices("/hub/api/users/alice/activity", bob=HIDDEN,
                                               bodies={"POST": {"last_activity": "2020-01-01T00:00:00Z"}}),
    r"/hub/api/users/([^/]+)/admin-access": alices("/hub/api/users/alice/admin-access", bob=HIDDEN),
    r"/hub/api/groups": admins("/hub/api/groups", bodies={"POST": {"groups": ["sweep-mallory"]}}),
    r"/hub/api/groups/([^/]+)": Rule("/hub/api/groups/{group}", {ANON: ANON_API, BOB: 200, ALICE: 200, ADMIN: 200},
                                     why="users: its name only (read:groups:name, for sharing)", admin_only=True),
    r"/hub/api/groups/([^/]+)/users": Rule("/hub/api/groups/{group}/users",
                                           {ANON: ANON_API, BOB: 200, ALICE: 200, ADMIN: 200}, admin_only=True,
                                           bodies={"POST": {"users": ["bob"]}, "DELETE": {"users": ["alice"]}}),
    r"/hub/api/groups/([^/]+)/properties": Rule("/hub/api/groups/{group}/properties",
                                                {ANON: ANON_API, BOB: 200, ALICE: 200, ADMIN: 200}, admin_only=True,
                                                bodies={"PUT": {"owner": "bob"}}),
    r"/hub/api/services": admins("/hub/api/services"),
    r"/hub/api/services/([^/]+)": admins("/hub/api/services/data", bodies={"POST": {}}),
    r"/hub/api/shares/([^/]+)": alices("/hub/api/shares/alice", bob=HIDDEN, bodies={"POST": {"user": "bob"},
                                                                                    "PATCH": {"user": "bob"}}),
    r"/hub/api/shares/([^/]+)/([^/]*)": alices("/hub/api/shares/alice/", bob=HIDDEN,
                                               bodies={"POST": {"user": "bob"}, "PATCH": {"user": "bob"}}),
    r"/hub/api/users/([^/]+)/shared": alices("/hub/api/users/alice/shared", bob=HIDDEN),
    r"/hub/api/groups/([^/]+)/shared": alices("/hub/api/groups/{group}/shared", bob=HIDDEN, alice=HIDDEN,
                                              why="a group's shares: the admin's business, alice is no member"),
    r"/hub/api/users/([^/]+)/shared/([^/]+)/([^/]*)": alices("/hub/api/users/alice/shared/alice/", bob=HIDDEN,
                                                             alice=404, admin=404,
                                                             why="no share of her own server to herself"),
    r"/hub/api/groups/([^/]+)/shared/([^/]+)/([^/]*)": alices("/hub/api/groups/{group}/shared/alice/", bob=HIDDEN,
                                                              alice=HIDDEN, why="her server shared with the group"),
    r"/hub/api/share-codes/([^/]+)": alices("/hub/api/share-codes/alice", bob=HIDDEN),
    r"/hub/api/share-codes/([^/]+)/([^/]*)": alices("/hub/api/share-codes/alice/", bob=HIDDEN),
    # -- deprecated and OAuth ----------------------------------------------------------------------
    r"/hub/api/authorizations/cookie/([^/]+)(?:/([^/]+))?": own("/hub/api/authorizations/cookie/jupyterhub-session-id",
                                                                 status=404, why="deprecated: no such cookie"),
    r"/hub/api/authorizations/token/([^/]+)": own("/hub/api/authorizations/token/{own_token}",
                                                  why="deprecated: resolves a token its caller holds (here their "
                                                      "own) to its owner; the hub's log shows [secret]",
                                                  mutations={"POST": {ANON: 500, BOB: 500}}),
    r"/hub/api/authorizations/token": own("/hub/api/authorizations/token", status=500,
                                          why="deprecated: get() without its token argument fails, POST says it "
                                              "is gone; nothing shown, nothing done (JupyterHub's own answers; "
                                              "POST with a token in the path fails as get() without one does)",
                                          mutations={"POST": {ANON: 404, BOB: 404}}),
    r"/hub/api/oauth2/authorize": alices("/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice"
                                         "&redirect_uri=%2Fuser%2Falice%2Foauth_callback&response_type=code&state=x",
                                         client="page", bob=403, alice=302, admin=302,
                                         why="OAuth for alice's server: she gets a code, the admin too once he "
                                             "confirmed on the page the hub showed him (the sweep's browser said "
                                             "yes), bob nothing"),
    r"/hub/api/oauth2/token": public("/hub/api/oauth2/token", 405, why="OAuth clients exchange codes (POST) here",
                                     mutations={"POST": {ANON: (400, 403), BOB: (400, 403)}}),
    # -- what JupyterHub adds around its prefix -----------------------------------------------------
    r"/hub/api/(.*)": public("/hub/api/no-such-route", 404, why="public: unknown API routes"),
    r"/(user|services)/([^/]+)": public("/services/data", 302, why="public: adds the slash", client="page"),
    r"(?!/hub/).*": public("/no-such-page", 302, why="public: sends unknown pages to the hub", client="page"),
    r"(.*)": public("/hub/no-such-page", 404, why="public: not found", client="page"),
}

# alice's JupyterLab server: every route behind her hub login but the static files and the version.
# A browser not yet known to her server is sent to the hub's OAuth (OAUTH), which refuses bob there
# (the /hub/api/oauth2/authorize row); a token client gets 403.


def hers(path: str, client: str = "api", **kw) -> Rule:
    if client in ("page", "fresh-page"):
        kw.setdefault("bob", (403, OAUTH))
    return alices(path, client, **kw)



STATIC = "public: static files of JupyterLab and its extensions (the same for everyone)"
US = "/user/alice"
USER_SERVER = {
    US + "/spacehub/gallery/publish$": hers(US + "/spacehub/gallery/publish", client="page",
                                            why="the publish form of alice's server: publishes as alice"),
    US + "/spacehub/gallery/open$": hers(US + "/spacehub/gallery/open?entry={gallery_entry}&version=1", client="page",
                                         alice=302,
                                         admin=302, why="copies an entry into alice's home (a new folder each "
                                                        "time), then opens it"),
    US + r"/lsp/status$": hers(US + "/lsp/status"),
    US + r"/lsp/ws/(?P<language_server>.*)$": hers(US + "/lsp/ws/pylsp", client="ws", alice=REACHED, admin=REACHED,
                                                     why="no language server installed: alice reaches the handler"),
    US + r"/api/fileid/id$": hers(US + "/api/fileid/id?path=sweep/notes.ipynb"),
    US + r"/api/fileid/path$": hers(US + "/api/fileid/path?id={file_id}"),
    US + r"/terminals/websocket/(\w+)$": hers(US + "/terminals/websocket/{terminal}", client="ws", alice=101,
                                                admin=101),
    US + r"/api/terminals$": hers(US + "/api/terminals"),
    US + r"/api/terminals/(\w+)$": hers(US + "/api/terminals/{terminal}"),
    US + r"/api/collaboration/fork/(.*)$": hers(US + "/api/collaboration/fork/{room}", alice=REACHED,
                                                  admin=REACHED, bodies={"PUT": {}}),
    US + r"/api/collaboration/room/(.*)$": hers(US + "/api/collaboration/room/{room}", client="ws", alice=101,
                                                  admin=101),
    US + r"/api/collaboration/session/(.*)$": hers(US + "/api/collaboration/session/sweep/notes.ipynb",
                                                     bodies={"PUT": {"format": "json", "type": "notebook"}}),
    US + r"/api/collaboration/timeline/(.*)$": hers(US + "/api/collaboration/timeline/sweep/notes.ipynb",
                                                      alice=REACHED, admin=REACHED),
    US + r"/api/collaboration/undo_redo/(.*)$": hers(US + "/api/collaboration/undo_redo/sweep/notes.ipynb"),
    US + r"/lab/api/build$": hers(US + "/lab/api/build"),
    US + r"/lab/api/extensions$": hers(US + "/lab/api/extensions"),
    US + r"/lab/api/plugins$": hers(US + "/lab/api/plugins"),
    US + r"/lab/api/update$": hers(US + "/lab/api/update"),
    US + r"/lab/api/news$": hers(US + "/lab/api/news"),
    US + r"/(?P<mode>lab|doc)(?P<workspace>/workspaces/[a-zA-Z0-9\-\_]+)?(?P<tree>/tree/.*)?$": hers(
        US + "/lab", client="page"),
    US + r"/lab/extensions/(.*)$": public(US + "/lab/extensions/@jupyter-widgets/jupyterlab-manager/package.json",
                                          why=STATIC),
    US + r"/lab/api/settings/?$": hers(US + "/lab/api/settings"),
    US + r"/lab/api/settings/(?P<schema_name>.+)$": hers(US + "/lab/api/settings/@jupyterlab/apputils-extension:themes",
                                                           bodies={"PUT": {"raw": "{}"}}),
    US + r"/lab/api/translations/?$": hers(US + "/lab/api/translations"),
    US + r"/lab/api/translations/(?P<locale>.*)$": hers(US + "/lab/api/translations/en"),
    US + r"/lab/api/workspaces/?$": hers(US + "/lab/api/workspaces"),
    US + r"/lab/api/workspaces/(?P<space_name>.+)$": hers(US + "/lab/api/workspaces/default",
                                                            bodies={"PUT": {"data": {}, "metadata": {"id": "default"}}}),
    US + r"/lab/api/listings/(.*)$": hers(US + "/lab/api/listings/@jupyterlab/extensionmanager-extension/listings.json",
                                            alice=REACHED, admin=REACHED),
    US + r"/lab/api/themes/(.*)$": public(US + "/lab/api/themes/@jupyterlab/theme-light-extension/index.css",
                                         why=STATIC),
    US + r"/lab/api/licenses/(.*)$": hers(US + "/lab/api/licenses/?bundles=none-by-this-name&full_text=false"),
    US + r"/lab/.*$": hers(US + "/lab/no-such-page", client="page", why="JupyterLab's own not-found page"),
    US + r"/static/lab/(.*)$": public(US + "/static/lab/package.json", why=STATIC),
    r"/(robots\.txt)$": Rule("/robots.txt", {}, unreachable="the proxy sends only /user/alice/ to her server"),
    r"/(favicon\.ico)$": Rule("/favicon.ico", {}, unreachable="the proxy sends only /user/alice/ to her server"),
    US + r"/static/(.*)$": public(US + "/static/favicon.ico", why=STATIC),
    US + r"/api/spec.yaml$": hers(US + "/api/spec.yaml", client="page"),
    US + r"/api/status$": hers(US + "/api/status"),
    US + r"/api/me$": hers(US + "/api/me", bodies={"PATCH": {"name": "mallory"}}),
    US + r"/api/resolvePath$": hers(US + "/api/resolvePath?path=sweep"),
    US + r"/api/config/(?P<section_name>\w+)$": hers(US + "/api/config/notebook", bodies={"PATCH": {"sweep": 1},
                                                                                           "PUT": {"sweep": 1}}),
    US + r"/api/contents(?P<path>(?:(?:/[^/]+)+|/?))/checkpoints$": hers(US + "/api/contents/sweep/sentinel.txt/checkpoints"),
    US + r"/api/contents(?P<path>(?:(?:/[^/]+)+|/?))/checkpoints/(?P<checkpoint_id>[\w-]+)$": hers(
        US + "/api/contents/sweep/sentinel.txt/checkpoints/{checkpoint}"),
    US + r"/api/contents(?P<path>(?:(?:/[^/]+)+|/?))/trust$": hers(US + "/api/contents/sweep/notes.ipynb/trust"),
    US + r"/api/contents(?P<path>(?:(?:/[^/]+)+|/?))$": hers(
        US + "/api/contents/sweep/sentinel.txt",
        bodies={"PUT": {"type": "file", "format": "text", "content": "overwritten"}, "POST": {"type": "file"},
                "PATCH": {"path": "sweep/moved.txt"}}),
    US + r"/api/notebooks/?(.*)$": Rule(US + "/api/notebooks/sweep/notes.ipynb",
                                        {ANON: 302, BOB: 403, ALICE: 302, ADMIN: 302},
                                        why="the old name of /api/contents: a redirect there (which asks for "
                                            "the login), but for a token of someone else"),
    US + r"/api/kernels$": hers(US + "/api/kernels", bodies={"POST": {"name": "python3"}}),
    US + r"/api/kernels/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)$": hers(US + "/api/kernels/{kernel}"),
    US + r"/api/kernels/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)/(?P<action>restart|interrupt)$": hers(
        US + "/api/kernels/{kernel}/interrupt"),
    US + r"/api/kernels/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)/channels$": hers(US + "/api/kernels/{kernel}/channels",
                                                                             client="ws", alice=101, admin=101),
    US + r"/kernelspecs/(?P<kernel_name>[\w\.\-%]+)/(?P<path>.*)$": hers(US + "/kernelspecs/python3/logo-64x64.png",
                                                                          client="page"),
    US + r"/api/kernelspecs$": hers(US + "/api/kernelspecs"),
    US + r"/api/kernelspecs/(?P<kernel_name>[\w\.\-%]+)$": hers(US + "/api/kernelspecs/python3"),
    US + r"/nbconvert/(?P<format>\w+)$": hers(US + "/nbconvert/script", client="page"),
    US + r"/nbconvert/(?P<format>\w+)(?P<path>(?:(?:/[^/]+)+|/?))$": hers(US + "/nbconvert/script/sweep/notes.ipynb",
                                                                            client="page"),
    US + r"/api/nbconvert$": hers(US + "/api/nbconvert"),
    US + r"/api/security/csp-report$": hers(US + "/api/security/csp-report"),
    US + r"/api/sessions/(?P<session_id>\w+-\w+-\w+-\w+-\w+)$": hers(US + "/api/sessions/{session}",
                                                                       bodies={"PATCH": {"path": "sweep/moved.ipynb"}}),
    US + r"/api/sessions$": hers(US + "/api/sessions", bodies={"POST": {"path": "sweep/x.ipynb", "type": "notebook",
                                                                         "kernel": {"name": "python3"}}}),
    US + r"/api/shutdown$": hers(US + "/api/shutdown"),
    US + r"/view(?P<path>(?:(?:/[^/]+)+|/?))$": hers(US + "/view/sweep/sentinel.txt", client="page"),
    US + r"/api/events$": hers(US + "/api/events"),
    US + r"/api/events/subscribe$": hers(US + "/api/events/subscribe", client="ws", alice=101, admin=101),
    US + r"/files/(.*)$": hers(US + "/files/sweep/sentinel.txt", client="page"),
    US + r"/logout$": public(US + "/logout", 302, why="public: logging out of her server (a session of its own)",
                             client="fresh-page"),
    US + r"/oauth_callback$": public(US + "/oauth_callback", 400, why="public: OAuth's return (no state, no code)",
                                     client="page"),
    US + r"/.*/$": public(US + "/api/kernels/", 302, why="public: a redirect without the trailing slash",
                          client="page", mutations=every_change(302, 302)),
    US + r"/api$": public(US + "/api", why="public: the server's version"),
    US + r"/(robots\.txt|favicon\.ico)$": public(US + "/favicon.ico", 503,
                                                   why="public; jupyter_server drops the connection here, the "
                                                       "proxy answers 503 (no question of access)"),
    US + r"/metrics$": hers(US + "/metrics"),
    US + r"/$": public(US + "/", 302, client="page", why="public: a redirect to JupyterLab",
                       mutations=every_change(405, 405)),
    r"(.*)$": public(US + "/no-such-page", 404, client="page", why="public: not found"),
}

HAPI_WHY = "every user may read the mission data (access:services!service=data); strangers log in first"
DATA = {
    r"/services/data/hapi/(?P<endpoint>[^/]*)$": Rule("/services/data/hapi/catalog",
                                                        {ANON: 401, BOB: 200, ALICE: 200, ADMIN: 200}, why=HAPI_WHY),
    r"/services/data/t/(.*)$": public(
        "/services/data/t/{own_token}/hapi/catalog", 400, client="path-token",
        why="the former token-in-path form: a HAPI error saying to send the header; the token (each identity's "
            "own) opens nothing and is written nowhere"),
    r"/services/data/?$": public("/services/data/", 302, why="public: sends on to hapi/ (the landing page)"),
    r"/services/data/hapi$": public("/services/data/hapi", 302, why="public: adds the slash (hapi/ asks for a login)"),
    r"/services/data/oauth_callback$": public("/services/data/oauth_callback", 400,
                                              why="public: OAuth's return (no state, no code)"),
}

GAL = "/services/gallery"
E, V = r"(?P<entry_id>[a-z0-9][a-z0-9-]{0,63})", r"(?P<number>[1-9][0-9]{0,5})"
ENTRY = GAL + "/entries/{gallery_entry}"
PRIVATE = "alice's private entry: hers and the admin's; bob is told there is no such entry (404)"
POST_ONLY = "POST only: 405 to a GET, for everyone"
GALLERY = {
    GAL + "/?$": public(GAL + "/", client="page", why="public: the list (a stranger's shows public entries only; "
                                                      "test_gallery: who sees what)"),
    GAL + f"/entries/{E}/?$": alices(ENTRY + "/", client="page", bob=404, alice=302, admin=302, why=PRIVATE),
    GAL + f"/entries/{E}/v{V}/$": alices(ENTRY + "/v1/", client="page", bob=404, why=PRIVATE),
    GAL + f"/entries/{E}/v{V}/preview$": alices(ENTRY + "/v1/preview", client="page", bob=404, why=PRIVATE),
    GAL + f"/entries/{E}/v{V}/" + r"(?P<name>notebook\.ipynb|files/[A-Za-z0-9][A-Za-z0-9._-]{0,127})$": alices(
        ENTRY + "/v1/notebook.ipynb", client="page", bob=404, why=PRIVATE),
    GAL + r"/runs/(?P<key>[0-9a-f]{20})/$": alices(GAL + "/runs/{gallery_run}/", client="page", bob=404,
                                                   why="a re-run of alice's private entry: as the entry"),
    GAL + "/api/entries$": Rule(GAL + "/api/entries", {ANON: 200, BOB: 200, ALICE: 200, ADMIN: 200},
                                why="each caller's visible entries (bob's list lacks alice's private one: test_gallery)",
                                self_only=True, mutations={"POST": {ANON: 403}}),
    GAL + f"/api/entries/{E}$": alices(ENTRY.replace("/entries/", "/api/entries/"), anon=401, bob=404, why=PRIVATE,
                                       bodies={"PATCH": {"description": "changed by the sweep"}, "DELETE": {},
                                               "POST": {"action": "withdraw"}},
                                       mutations={m: {ANON: 403, BOB: 404} for m in ("POST", "PATCH", "DELETE")}),
    GAL + f"/api/entries/{E}/versions$": public(GAL + "/api/entries/{gallery_entry}/versions", 405, why=POST_ONLY,
                                                bodies={"POST": {"notebook": {"cells": [], "metadata": {},
                                                                              "nbformat": 4, "nbformat_minor": 5}}},
                                                mutations={"POST": {ANON: 403, BOB: 404}}),
    GAL + f"/api/entries/{E}/v{V}$": alices(GAL + "/api/entries/{gallery_entry}/v1", anon=401, bob=404, why=PRIVATE),
    GAL + f"/api/entries/{E}/v{V}/check$": public(GAL + "/api/entries/{gallery_entry}/v1/check", 405, why=POST_ONLY,
                                                  mutations={"POST": {ANON: 403, BOB: 404}}),
    GAL + f"/api/entries/{E}/v{V}/runs$": public(GAL + "/api/entries/{gallery_entry}/v1/runs", 405, why=POST_ONLY,
                                                 bodies={"POST": {"parameters": {"x": 2}}},
                                                 mutations={"POST": {ANON: 403, BOB: 404}}),
    GAL + f"/api/entries/{E}/v{V}/bundle$": alices(GAL + "/api/entries/{gallery_entry}/v1/bundle", anon=401, bob=404,
                                                   why=PRIVATE),
    GAL + r"/api/runs/(?P<key>[0-9a-f]{20})$": alices(GAL + "/api/runs/{gallery_run}", anon=401, bob=404,
                                                      why="a re-run of alice's private entry: as the entry"),
    GAL + "/oauth_callback$": public(GAL + "/oauth_callback", 400, why="public: OAuth's return (no state, no code)",
                                     client="page"),
}

WS = "/services/workshops"
W = r"(?P<name>[a-z][a-z0-9-]{0,20})"
TAUGHT = "alice teaches this workshop: hers and the admin's; bob is told there is no such workshop (404)"
WORKSHOP_POST = "POST only (405 to a GET); bob's prewarm, links and end: no such workshop (404)"
WORKSHOPS = {
    WS + "/?$": own(WS + "/", client="page", why="each caller's own workshops (bob's list is empty: test_workshop)"),
    WS + f"/{W}/$": alices(WS + "/{workshop}/", client="page", bob=404, why=TAUGHT),
    WS + f"/{W}/(?P<action>prewarm|links|end)$": Rule(
        WS + "/{workshop}/links", {ANON: LOGIN, BOB: 405, ALICE: 405, ADMIN: 405}, client="page",
        why=WORKSHOP_POST + "; a form posted without the page's XSRF token is refused before that (403)",
        mutations={"POST": {ANON: 403, BOB: OTHER}}),
    WS + "/api/workshops$": Rule(WS + "/api/workshops", {ANON: 401, BOB: 200, ALICE: 200, ADMIN: 200},
                                 why="each caller's own workshops (bob's list is empty: test_workshop); only admins "
                                     "make workshops", admin_only=True,
                                 bodies={"POST": {"name": "bobshop", "seats": 1, "instructors": ["bob"]}},
                                 mutations={"POST": {ANON: 403, BOB: 403, ALICE: 403}}),
    WS + f"/api/workshops/{W}$": alices(WS + "/api/workshops/{workshop}", anon=401, bob=404, why=TAUGHT),
    WS + f"/api/workshops/{W}/(?P<action>prewarm|links|end)$": Rule(
        WS + "/api/workshops/{workshop}/end", {ANON: 401, BOB: 405, ALICE: 405, ADMIN: 405}, why=WORKSHOP_POST,
        mutations={"POST": {ANON: 403, BOB: 404}}),
    WS + "/oauth_callback$": public(WS + "/oauth_callback", 400, why="public: OAuth's return (no state, no code)",
                                    client="page"),
}

GW = "/services/dask-gateway"
GATEWAY_OWNER = "dask-gateway: a cluster is its owner's alone (the hub's admin is no gateway admin)"
GATEWAY = {
    GW + "/api/health": public(GW + "/api/health", why="public: health checks"),
    GW + "/api/version": public(GW + "/api/version", why="public: the gateway's version"),
    GW + "/api/v1/options": own(GW + "/api/v1/options", scheme="jupyterhub", mutations={}),
    GW + "/api/v1/clusters/": Rule(GW + "/api/v1/clusters/", {ANON: 401, BOB: 200, ALICE: 200, ADMIN: 200},
                                   scheme="jupyterhub", self_only=True,
                                   why="each user's own clusters (bob's list is empty: test_gateway_lists)",
                                   mutations={"POST": {ANON: 401}}),
    GW + "/api/v1/clusters/{cluster_name}": alices(GW + "/api/v1/clusters/{cluster}", scheme="jupyterhub", anon=401,
                                                   admin=403, why=GATEWAY_OWNER),
    GW + "/api/v1/clusters/{cluster_name}/scale": alices(GW + "/api/v1/clusters/{cluster}/scale", scheme="jupyterhub",
                                                         anon=401, admin=403, why=GATEWAY_OWNER,
                                                         bodies={"POST": {"count": 0}}),
    GW + "/api/v1/clusters/{cluster_name}/adapt": alices(GW + "/api/v1/clusters/{cluster}/adapt", scheme="jupyterhub",
                                                         anon=401, admin=403, why=GATEWAY_OWNER,
                                                         bodies={"POST": {"minimum": 0, "maximum": 4}}),
    GW + "/api/v1/clusters/{cluster_name}/heartbeat": Rule(
        GW + "/api/v1/clusters/{cluster}/heartbeat", {ANON: 401, BOB: 401, ALICE: 401, ADMIN: 401}, scheme="jupyterhub",
        why="POST only, and only with the cluster's own token", mutations={"POST": {ANON: 401, BOB: 401}}),
    GW + "/api/v1/routes": public(GW + "/api/v1/routes", 401, scheme="jupyterhub",
                                  why="the gateway proxy's route table: its own token only"),
    GW + "/api/spacehub/v1/clusters/{cluster_name}/owner": public(
        GW + "/api/spacehub/v1/clusters/{cluster}/owner", 403, scheme="jupyterhub",
        why="a cluster's owner, for the gate: the cluster's key only"),
}

# the gate in front of the gateway: a cluster's dashboard (served by its scheduler, routed by the
# gateway's proxy) opens for its owner, the hub's admins and users she shared her server with (bob
# is not one); the API is passed on to the gateway's routes above
DASH = GW + "/clusters/{cluster}"
GATE = {
    GW + r"/clusters/(?P<name>[^/]+)(?P<rest>/.*)?$": alices(DASH + "/status", client="page", anon=(LOGIN, 401, 403),
                                                           why="test_dashboards: every kind of dashboard route"),
    GW + r"/clusters/(?P<name>[^/]+)(?P<rest>/.*)?$ (websocket)": alices(DASH + "/status/ws", client="ws-cookie",
                                                                       anon=(401, 403), alice=101, admin=101),
    GW + r"/oauth_callback$": public(GW + "/oauth_callback", 400, why="public: OAuth's return (no state, no code)",
                                     client="page"),
    GW + r"/(?P<rest>api/.*)$": public(GW + "/api/no-such-route", 404,
                                       why="public: the gateway's answer to an unknown API route",
                                       mutations=every_change(404, 404)),
}

RULES = {"hub": HUB, "user-server": USER_SERVER, "data": DATA, "gallery": GALLERY, "workshops": WORKSHOPS, "gate": GATE,
         "gateway": GATEWAY}
