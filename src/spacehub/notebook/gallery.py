"""The gallery from a user's own server: publish a notebook of one's home, open a published one in it.

A Jupyter server extension of every spacehub user server (loaded by the hub's spawner arguments):

- ``spacehub/gallery/publish`` — a form (JupyterLab's Gallery menu opens it): a notebook of the
  home, its title, description, tags, licence, who may see it and the files of its folder it reads;
  the server sends them to the gallery with its own token, and the package versions of this
  environment with them, and the browser lands on the new version's page.
- ``spacehub/gallery/open?entry=<id>&version=<n>`` — the gallery's "Open in my hub": the notebook
  and its files copied into ``~/gallery/<id>-v<n>/`` (a new name if that exists: nothing is ever
  overwritten), then opened in JupyterLab.

Both run as the user (their server), so a copy is theirs and a publish is in their name.
"""

from __future__ import annotations

import base64
import json
import os
import re
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import httpclient, web

from ..deploy.names import GALLERY_URL_ENV

#: files published with a notebook: at most this many from its folder
MAX_FILES = 50
LICENCES = ("CC-BY-4.0", "CC0-1.0", "MIT", "BSD-3-Clause", "Apache-2.0")


def _gallery_url() -> str:
    url = os.environ.get(GALLERY_URL_ENV, "")
    if not url:
        raise web.HTTPError(503, "this hub has no gallery (gallery.enabled is off in its settings)")
    return url.rstrip("/") + "/"


async def _ask(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The gallery's API with this server's token; its refusals become the same refusal here."""
    request = httpclient.HTTPRequest(
        _gallery_url() + path, method=method, body=json.dumps(body) if body is not None else None,
        headers={"Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
                 "Content-Type": "application/json", "Accept": "application/json"},
        request_timeout=120)
    try:
        answer = await httpclient.AsyncHTTPClient().fetch(request)
    except httpclient.HTTPClientError as e:
        message = str(e)
        if e.response is not None and e.response.body:
            try:
                message = json.loads(e.response.body).get("message", message)
            except ValueError:
                pass
        raise web.HTTPError(e.code if e.code in (400, 403, 404, 410, 413) else 502, message) from None
    except OSError as e:
        raise web.HTTPError(502, f"the gallery did not answer: {e}") from None
    return json.loads(answer.body or b"{}")


def environment() -> dict[str, Any]:
    """The package versions of this server's environment (the kernels' by default)."""
    import importlib.metadata
    import platform
    import sys

    packages = {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions() if d.metadata["Name"]}
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": dict(sorted(packages.items()))}


def _notebooks(root: Path, limit: int = 500) -> list[str]:
    """The home's notebooks (hidden folders and checkpoints left out), nearest first."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        found += [os.path.relpath(os.path.join(folder, f), root) for f in sorted(files) if f.endswith(".ipynb")]
        if len(found) >= limit:
            break
    return sorted(found, key=lambda p: (p.count("/"), p))[:limit]


class GalleryHandler(JupyterHandler):
    @property
    def root(self) -> Path:
        return Path(self.settings["server_root_dir"]).expanduser().resolve()

    def inside(self, relative: str) -> Path:
        """A path of the home given by the browser, refused if it leaves the home."""
        path = (self.root / relative).resolve()
        if self.root not in path.parents:
            raise web.HTTPError(400, f"{relative!r} is not a file of your home")
        return path


class PublishHandler(GalleryHandler):
    @web.authenticated
    def get(self):
        chosen = self.get_argument("path", "")
        options = "".join(f"<option{' selected' if p == chosen else ''}>{escape(p)}</option>"
                          for p in _notebooks(self.root))
        licences = "".join(f"<option>{escape(x)}</option>" for x in LICENCES)
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        self.finish(PUBLISH_FORM.format(xsrf=self.xsrf_form_html(), options=options, licences=licences))

    @web.authenticated
    async def post(self):
        path = self.inside(self.get_body_argument("path"))
        if path.suffix != ".ipynb" or not path.is_file():
            raise web.HTTPError(400, f"{path.name} is not a notebook of your home (.ipynb)")
        names = [n.strip() for n in re.split(r"[,\n]", self.get_body_argument("files", "")) if n.strip()]
        files = {}
        for name in names[:MAX_FILES]:
            f = self.inside(str(path.parent.relative_to(self.root) / name))
            if f.parent != path.parent or not f.is_file():
                raise web.HTTPError(400, f"{name}: publish files of the notebook's own folder, by name")
            files[f.name] = base64.b64encode(f.read_bytes()).decode()
        fields = {k: self.get_body_argument(k, "") for k in ("title", "description", "tags", "licence", "visibility")}
        if fields["visibility"] == "group":
            fields["group"] = self.get_body_argument("group", "")
        body = {**fields, "notebook": path.read_text(encoding="utf-8", errors="replace"), "files": files,
                "environment": environment()}
        of = self.get_body_argument("new_version_of", "").strip()
        if of:
            body = {k: v for k, v in body.items() if v != "" or k in ("notebook",)}
            body.pop("visibility", None)
            published = await _ask("POST", f"api/entries/{quote(of)}/versions", body)
        else:
            published = await _ask("POST", "api/entries", body)
        self.redirect(f"{os.environ.get('JUPYTERHUB_BASE_URL', '/')}services/gallery/entries/"
                      f"{quote(published['id'])}/v{int(published['version'])}/")


class OpenHandler(GalleryHandler):
    @web.authenticated
    async def get(self):
        entry, version = self.get_argument("entry"), self.get_argument("version")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", entry) or not version.isdigit():
            raise web.HTTPError(400, "entry and version as the gallery names them")
        bundle = await _ask("GET", f"api/entries/{entry}/v{int(version)}/bundle")
        base = self.root / "gallery"
        base.mkdir(exist_ok=True)
        folder = base / f"{entry}-v{int(version)}"
        n = 1
        while True:  # never over what is there: the next free name
            try:
                folder.mkdir()
                break
            except FileExistsError:
                n += 1
                folder = base / f"{entry}-v{int(version)}-{n}"
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", bundle["title"]).strip("-")[:60] or entry
        (folder / f"{name}.ipynb").write_text(json.dumps(bundle["notebook"], indent=1))
        for file_name, content in bundle.get("files", {}).items():
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", file_name):
                (folder / file_name).write_bytes(base64.b64decode(content))
        relative = folder.relative_to(self.root) / f"{name}.ipynb"
        self.redirect(url_path_join(self.base_url, "lab", "tree", quote(str(relative))))


PUBLISH_FORM = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Publish to the gallery</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0 .2rem;font-weight:600}} input,select,textarea{{width:100%;padding:.3rem}}
.hint{{color:#5e6673;font-size:.9rem}}</style></head><body>
<h1>Publish a notebook</h1>
<p class="hint">The gallery keeps this version for good, re-runs it in a clean kernel to check it reproduces,
and records what data it reads. Save the notebook with its outputs first: they are what re-runs are compared with.</p>
<form method="post">{xsrf}
<label for="path">Notebook</label><select id="path" name="path">{options}</select>
<label for="title">Title</label><input id="title" name="title" required maxlength="200">
<label for="description">Description</label><textarea id="description" name="description" rows="4"></textarea>
<label for="tags">Tags</label><input id="tags" name="tags" placeholder="geomagnetic storms, OMNI">
<label for="licence">Licence</label><select id="licence" name="licence">{licences}</select>
<label for="visibility">Who may see it</label><select id="visibility" name="visibility">
<option value="hub">everyone on this hub</option><option value="group">one group</option>
<option value="private">only me</option><option value="public">anyone, without logging in</option></select>
<label for="group">Group (for "one group")</label><input id="group" name="group">
<label for="files">Files it reads from its folder</label><input id="files" name="files" placeholder="events.csv, fit.json">
<p class="hint">Data from the catalog is read again by the check; a file of your own must be published with the
notebook, or the check fails saying so.</p>
<label for="new_version_of">New version of (entry id, optional)</label><input id="new_version_of" name="new_version_of">
<p><button type="submit">Publish</button></p></form></body></html>"""


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "spacehub/gallery/publish"), PublishHandler),
        (url_path_join(base, "spacehub/gallery/open"), OpenHandler),
    ])


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "spacehub.notebook.gallery"}]
