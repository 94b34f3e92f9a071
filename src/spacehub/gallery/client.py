"""Publishing to the hub's gallery from a notebook or a terminal of one's server.

>>> import spacehub.gallery
>>> spacehub.gallery.publish("storm.ipynb", title="The 2015 St Patrick's Day storm",
...                          tags=["geomagnetic storms"], files=["events.csv"])   # doctest: +SKIP
{'id': 'the-2015-st-patrick-s-day-storm-3f9a1c', 'version': 1, 'url': '...', 'check': 'queued'}

The server's own token (``JUPYTERHUB_API_TOKEN``) says who publishes; the gallery's address comes from
``SPACEHUB_GALLERY_URL``. Both are set in every user's server; a token is never taken on the command
line (other accounts see command lines).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..deploy.names import GALLERY_URL_ENV


class GalleryError(RuntimeError):
    """The gallery refused or could not be reached; the message is its reason."""


def _ask(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    import requests

    url = os.environ.get(GALLERY_URL_ENV)
    token = os.environ.get("JUPYTERHUB_API_TOKEN")
    if not url or not token:
        raise GalleryError("no gallery here: run this in a terminal or notebook of your server on the hub "
                           f"(it sets {GALLERY_URL_ENV} and JUPYTERHUB_API_TOKEN)")
    try:
        answer = requests.request(method, url.rstrip("/") + "/" + path, json=body, timeout=300,
                                  headers={"Authorization": f"token {token}", "Accept": "application/json"})
    except requests.RequestException as e:
        raise GalleryError(f"the gallery did not answer: {e}") from None
    if answer.status_code >= 400:
        try:
            message = answer.json().get("message", answer.text)
        except ValueError:
            message = answer.text[:300]
        raise GalleryError(f"{answer.status_code}: {message}")
    return answer.json() if answer.content else None


def publish(notebook: str | Path, title: str, *, description: str = "", tags: list[str] | None = None,
            licence: str = "CC-BY-4.0", visibility: str = "hub", group: str | None = None,
            files: list[str] | None = None, authors: list[str] | None = None,
            new_version_of: str | None = None) -> dict[str, Any]:
    """Publish ``notebook`` (a new entry, or a new version of ``new_version_of``); the gallery checks
    that it re-runs. ``files``: files of the notebook's folder it reads, published with it."""
    from ..notebook.gallery import environment

    path = Path(notebook).expanduser()
    if not path.is_file():
        raise GalleryError(f"{path}: no such notebook")
    sent = {}
    for name in files or []:
        f = path.parent / name
        if f.parent.resolve() != path.parent.resolve() or not f.is_file():
            raise GalleryError(f"{name}: publish files of the notebook's own folder, by name")
        sent[f.name] = base64.b64encode(f.read_bytes()).decode()
    body: dict[str, Any] = {"notebook": path.read_text(encoding="utf-8", errors="replace"), "title": title,
                            "description": description, "tags": tags or [], "licence": licence,
                            "files": sent, "environment": environment()}
    if authors:
        body["authors"] = authors
    if new_version_of:
        return _ask("POST", f"api/entries/{new_version_of}/versions", body)
    body["visibility"] = visibility
    if group:
        body["group"] = group
    return _ask("POST", "api/entries", body)


def entries() -> list[dict[str, Any]]:
    """The entries this user may see."""
    return _ask("GET", "api/entries")["entries"]


def main(argv: list[str] | None = None) -> int:
    """``spacehub gallery ...`` (see ``spacehub gallery --help``)."""
    p = argparse.ArgumentParser(prog="spacehub gallery", description="publish to, and list, the hub's gallery")
    sub = p.add_subparsers(dest="action", required=True)
    pub = sub.add_parser("publish", help="publish a notebook (or a new version of an entry)")
    pub.add_argument("notebook")
    pub.add_argument("--title", required=True)
    pub.add_argument("--description", default="")
    pub.add_argument("--tag", action="append", dest="tags", default=[], help="a tag (repeat for more)")
    pub.add_argument("--licence", default="CC-BY-4.0", help="an SPDX identifier (default CC-BY-4.0)")
    pub.add_argument("--visibility", default="hub", choices=["private", "group", "hub", "public"])
    pub.add_argument("--group", help="the hub group that may see it (with --visibility group)")
    pub.add_argument("--file", action="append", dest="files", default=[],
                     help="a file of the notebook's folder it reads (repeat for more)")
    pub.add_argument("--author", action="append", dest="authors", default=[], help="an author as cited (repeat)")
    pub.add_argument("--new-version-of", help="the id of an entry of yours: publish a new version of it")
    sub.add_parser("list", help="the entries you may see")
    show = sub.add_parser("show", help="an entry, its versions and its last check")
    show.add_argument("id")
    args = p.parse_args(argv)
    try:
        if args.action == "publish":
            out = publish(args.notebook, args.title, description=args.description, tags=args.tags,
                          licence=args.licence, visibility=args.visibility, group=args.group, files=args.files,
                          authors=args.authors or None, new_version_of=args.new_version_of)
            print(f"published {out['id']} version {out['version']}: {out['url']}\n"
                  "the gallery is re-running it now; its page shows the result")
        elif args.action == "list":
            for e in entries():
                print(f"{e['id']}\tv{e['latest']['version']}\t{e['latest']['check'] or '-'}\t{e['title']}")
        else:
            print(json.dumps(_ask("GET", f"api/entries/{args.id}"), indent=1))
    except GalleryError as e:
        print(f"spacehub gallery: {e}", file=sys.stderr)
        return 1
    return 0
