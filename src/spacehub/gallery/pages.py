"""The gallery's HTML pages: plain, script-free, every value escaped.

The pages carry no JavaScript at all (their Content-Security-Policy says so); a notebook's preview is
a page of its own, sanitised, framed by the version page in a sandbox, and served with a policy that
allows no script either (:mod:`spacehub.gallery.preview`).
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from .store import Store

PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'self'")

STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:1.5rem auto;padding:0 1rem;color:#1d2330}
a{color:#1a5fb4} h1{margin-bottom:.2rem} .muted{color:#5e6673} .tag{background:#e8eef8;border-radius:.6rem;
padding:.05rem .5rem;margin-right:.25rem;font-size:.85rem;text-decoration:none}
.badge{display:inline-block;border-radius:.3rem;padding:.1rem .5rem;color:#fff;font-weight:600;font-size:.85rem}
.passed{background:#2e7d32} .failed{background:#c62828} .queued,.running{background:#8d6e00} .none{background:#6b7280}
ul.entries{list-style:none;padding:0} ul.entries li{border-bottom:1px solid #e3e6ea;padding:.7rem 0}
iframe{width:100%;height:70vh;border:1px solid #d0d5dc} table{border-collapse:collapse}
td,th{padding:.2rem .6rem;border-bottom:1px solid #eceff2;text-align:left;vertical-align:top}
form.inline{display:inline} .box{background:#f6f8fa;border:1px solid #e3e6ea;border-radius:.4rem;padding:.6rem 1rem}
pre{white-space:pre-wrap}
"""

BADGE = {"passed": "reproduces", "failed": "does not reproduce", "queued": "check queued",
         "running": "checking…", None: "not checked"}


def _page(handler: Any, title: str, body: str) -> str:
    prefix = handler.settings["prefix"]
    who = handler.user["name"] if handler.user else None
    login = (f"logged in as <b>{escape(who)}</b> · <a href='{handler.settings['hub_prefix']}hub/home'>hub</a>"
             if who else f"<a href='{escape(handler.get_login_url())}'>log in</a> to see the hub's notebooks")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)} · spacehub gallery"
            f"</title><style>{STYLE}</style></head><body><p class='muted'><a href='{prefix}'>spacehub gallery</a> · "
            f"{login}</p>{body}</body></html>")


def badge(check: dict[str, Any] | None) -> str:
    status = (check or {}).get("status")
    css = status or "none"
    return f"<span class='badge {css}' data-status='{css}'>{escape(BADGE.get(status, str(status)))}</span>"


def summary(store: Store, entry: dict[str, Any], full: bool = False) -> dict[str, Any]:
    """An entry as the API shows it: its fields, its versions, the latest check's verdict."""
    latest = entry["versions"][-1] if entry["versions"] else None
    info = store.version(entry["id"], latest) if latest else {}
    out = {k: entry.get(k) for k in ("id", "title", "description", "tags", "licence", "visibility", "group",
                                     "author", "authors", "created", "updated", "withdrawn")}
    out["versions"] = entry["versions"]
    last: dict[str, Any] = {"version": latest, "published": info.get("published"),
                            "check": (info.get("check") or {}).get("status")}
    if full and latest:
        last.update(check_detail=info.get("check"), parameters=info.get("parameters"))
    out["latest"] = last
    return out


def search(entries: list[dict[str, Any]], q: str, tag: str) -> list[dict[str, Any]]:
    words = q.lower().split()
    found = [e for e in entries if (not tag or tag in (e.get("tags") or []))
             and all(w in " ".join([e["title"], e.get("description") or "", " ".join(e.get("tags") or []),
                                    e.get("author") or ""]).lower() for w in words)]
    return sorted(found, key=lambda e: e.get("updated") or "", reverse=True)


def list_page(handler: Any, entries: list[dict[str, Any]], q: str, tag: str) -> str:
    prefix = handler.settings["prefix"]
    rows = "".join(
        f"<li><a href='{prefix}entries/{e['id']}/'><b>{escape(e['title'])}</b></a> {badge({'status': e['latest']['check']})}"
        f"<br><span class='muted'>{escape(e.get('author') or '')} · v{e['latest']['version']} · "
        f"{escape(e.get('updated') or '')} · {escape(e.get('visibility') or '')}</span><br>"
        f"{escape((e.get('description') or '')[:300])}<br>"
        + "".join(f"<a class='tag' href='{prefix}?{urlencode({'tag': t})}'>{escape(t)}</a>" for t in e.get("tags") or [])
        + "</li>" for e in entries)
    publish = (f"<p><a href='{handler.settings['hub_prefix']}hub/user-redirect/spacehub/gallery/publish'>Publish a "
               "notebook from your hub</a></p>" if handler.user else "")
    return _page(handler, "Notebooks", (
        "<h1>Notebooks that re-run</h1><p class='muted'>Published on this hub; each is re-executed in a clean "
        "kernel against the same data, and the badge says whether its outputs came out the same.</p>"
        f"{publish}<form method='get' action='{prefix}'><input name='q' value='{escape(q)}' placeholder='search' "
        f"aria-label='search'> <button>Search</button>"
        + (f" <span class='tag'>{escape(tag)}</span> <a href='{prefix}'>all</a>" if tag else "") + "</form>"
        + (f"<ul class='entries'>{rows}</ul>" if rows else "<p>No notebook matches.</p>")))


def permanent_url(handler: Any, entry_id: str, version: int) -> str:
    base = handler.settings["public_url"].rstrip("/")
    return f"{base}{handler.settings['prefix']}entries/{entry_id}/v{version}/"


def citation(handler: Any, entry: dict[str, Any], version: int, info: dict[str, Any]) -> str:
    authors = ", ".join(entry.get("authors") or [entry["author"]])
    year = (info.get("published") or "")[:4]
    return (f"{authors} ({year}). {info.get('title') or entry['title']} (version {version}) [Jupyter notebook]. "
            f"spacehub gallery. {permanent_url(handler, entry['id'], version)}")


def _form(handler: Any, action: str, button: str, fields: str = "") -> str:
    return (f"<form class='inline' method='post' action='{action}'>{handler.xsrf_form_html()}{fields}"
            f"<button>{escape(button)}</button></form>")


def version_page(handler: Any, entry: dict[str, Any], n: int, info: dict[str, Any]) -> str:
    from .service import may_change

    prefix, hub = handler.settings["prefix"], handler.settings["hub_prefix"]
    eid = entry["id"]
    here = f"{prefix}entries/{eid}/v{n}/"
    check = info.get("check") or {}
    latest = entry["versions"][-1]
    notice = "" if n == latest else (f"<p class='box'>An earlier version: <a href='{prefix}entries/{eid}/v{latest}/'>"
                                     f"the latest is v{latest}</a>.</p>")
    actions = [f"<a href='{here}notebook.ipynb'>Download</a>"]
    if handler.user:
        actions.append(f"<a href='{hub}hub/user-redirect/spacehub/gallery/open?{urlencode({'entry': eid, 'version': n})}'>"
                       "Open in my hub</a>")
    if may_change(handler.user, entry):
        actions.append(_form(handler, f"{prefix}api/entries/{eid}/v{n}/check", "Check again"))
        actions.append(_form(handler, f"{prefix}api/entries/{eid}", "Withdraw",
                             "<input type='hidden' name='action' value='withdraw'>"))
    reasons = "".join(f"<li>{escape(r)}</li>" for r in (check.get("reasons") or []) + (check.get("notes") or []))
    diffs = "".join(f"<li>cell {d.get('cell')}: {escape(str(d.get('kind')))}: {escape(str(d.get('detail')))}</li>"
                    for d in ((check.get("comparison") or {}).get("differences") or [])[:50])
    not_compared = "".join(f"<li>{escape(str(x))}</li>" for x in (check.get("comparison") or {}).get("not_compared") or [])
    prov = check.get("provenance") or {}
    datasets = "".join(f"<tr><td>{escape(str(d.get('dataset')))}</td><td>{escape(str(d.get('start')))}</td>"
                       f"<td>{escape(str(d.get('stop')))}</td><td>{escape(str(d.get('route')))}</td>"
                       f"<td>{escape(', '.join(d.get('variables') or []))}</td></tr>" for d in prov.get("datasets") or [])
    files = "".join(f"<li>{escape(str(f))}</li>" for f in prov.get("files") or [])
    params = info.get("parameters") or {}
    rerun = ""
    if params and handler.user:
        inputs = "".join(f"<label>{escape(name)} <input name='{escape(name)}' value='{escape(str(p.get('default')))}'>"
                         f"</label> <span class='muted'>{escape(p.get('help') or '')}</span><br>" for name, p in params.items())
        rerun = (f"<h2>Run with other parameters</h2><form method='post' action='{prefix}api/entries/{eid}/v{n}/runs'>"
                 f"{handler.xsrf_form_html()}{inputs}<button>Run</button></form>"
                 "<p class='muted'>Values are Python literals, as in the notebook's parameters cell.</p>")
    env = info.get("environment") or {}
    packages = env.get("packages") or {}
    key = ("spacehub", "numpy", "xarray", "dask", "matplotlib", "astropy", "cdflib")
    env_line = ", ".join(f"{k} {packages[k]}" for k in key if k in packages)
    versions = " ".join(f"<a href='{prefix}entries/{eid}/v{v}/'>v{v}</a>" for v in entry["versions"])
    env_line += package_changes(packages, (check.get("environment") or {}).get("packages") or {})
    body = (
        f"<h1>{escape(info.get('title') or entry['title'])}</h1>"
        f"<p>{badge(check)} <span class='muted'>version {n} · published {escape(str(info.get('published')))} by "
        f"{escape(str(info.get('author')))} · {escape(str(entry.get('licence')))} · visible to "
        f"{escape(_audience(entry))}</span></p>{notice}"
        f"<p>{escape(entry.get('description') or '')}</p><p>{' · '.join(actions)}</p>"
        f"<h2>Reproducibility</h2><div class='box'><p>{badge(check)} "
        + (f"re-run in {check.get('seconds')} s on {escape(str(check.get('finished')))}" if check.get("finished") else "")
        + f"</p><ul>{reasons}{diffs}</ul>"
        + (f"<details><summary>not compared</summary><ul>{not_compared}</ul></details>" if not_compared else "")
        + "</div>"
        "<h2>What it read</h2><p class='muted'>Recorded while the check ran, not typed by the author.</p>"
        + (f"<table><tr><th>dataset</th><th>start</th><th>stop</th><th>route</th><th>variables</th></tr>{datasets}</table>"
           if datasets else "<p>No catalog dataset.</p>")
        + (f"<p>Files:</p><ul>{files}</ul>" if files else "")
        + f"{rerun}<h2>Notebook</h2><iframe sandbox title='notebook preview' src='{here}preview'></iframe>"
        f"<h2>Cite</h2><p class='box' id='citation'>{escape(citation(handler, entry, n, info))}</p>"
        f"<h2>Versions</h2><p>{versions}</p>"
        f"<h2>Environment</h2><p class='muted'>Python {escape(str(env.get('python', '?')))}; {escape(env_line)}</p>")
    return _page(handler, entry["title"], body)


def package_changes(author: dict[str, str], rerun: dict[str, str], shown: int = 12) -> str:
    """What the check's environment has otherwise than the author's (a reason outputs may differ)."""
    if not author or not rerun:
        return ""
    changed = [f"{name} {author[name]} → {rerun[name]}" for name in sorted(author) if name in rerun
               and rerun[name] != author[name]]
    if not changed:
        return ". The check ran with the same package versions as the author."
    more = f" and {len(changed) - shown} more" if len(changed) > shown else ""
    return f". The check ran with other versions of {len(changed)} package(s): {', '.join(changed[:shown])}{more}."


def _audience(entry: dict[str, Any]) -> str:
    v = str(entry.get("visibility"))
    return {"private": "its author", "hub": "the hub's users", "public": "anyone"}.get(
        v, f"group {entry.get('group')}")


def withdrawn_page(handler: Any, entry: dict[str, Any]) -> str:
    w = entry["withdrawn"]
    return _page(handler, entry["title"], f"<h1>{escape(entry['title'])}</h1><p class='box'>Withdrawn by "
                 f"{escape(w.get('by', ''))} on {escape(w.get('at', ''))}. {escape(w.get('reason') or '')}</p>")


def run_page(handler: Any, key: str, request: dict[str, Any], status: dict[str, Any]) -> str:
    prefix = handler.settings["prefix"]
    params = "".join(f"<li>{escape(k)} = {escape(json.dumps(v))}</li>" for k, v in request["parameters"].items())
    state = status.get("status")
    reasons = "".join(f"<li>{escape(r)}</li>" for r in status.get("reasons") or [])
    result = (f"<iframe sandbox title='result' src='{prefix}runs/{key}/?preview=1'></iframe>"
              if state in ("done", "failed") else "<p>Running… reload this page in a moment.</p>")
    took = f" in {status['seconds']} s" if status.get("seconds") is not None else ""
    return _page(handler, "Re-run", f"<h1>Re-run of <a href='{prefix}entries/{quote(request['entry'])}/v{request['version']}/'>"
                 f"{escape(request.get('title') or request['entry'])}</a> (version {request['version']})</h1>"
                 f"<p data-status='{escape(str(state))}'>{escape(str(state))}{escape(took)}</p>"
                 f"<p>with</p><ul>{params}</ul><ul>{reasons}</ul>{result}")


def error_page(handler: Any, status: int, why: str) -> str:
    return _page(handler, f"{status}", f"<h1>{status}</h1><p>{escape(why)}</p>")


def cached_preview(notebook: Path, cache: Path, title: str) -> str:
    """The notebook's sanitised HTML, rendered once (a version never changes)."""
    from .preview import render_html

    if cache.is_file() and cache.stat().st_mtime >= notebook.stat().st_mtime:
        return cache.read_text()
    html = render_html(json.loads(notebook.read_text()), title)
    tmp = cache.with_name(f".{cache.name}.{dt.datetime.now().timestamp()}")
    tmp.write_text(html)
    tmp.replace(cache)
    return html


def send_preview(handler: Any, html: str) -> None:
    from .preview import PREVIEW_CSP

    handler.set_header("Content-Type", "text/html; charset=utf-8")
    handler.set_header("Content-Security-Policy", PREVIEW_CSP)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.finish(html)


def form_value(text: str) -> Any:
    """A value typed in the re-run form, read as a Python literal where it is one (else as text)."""
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    return value if isinstance(value, (str, int, float, bool, list, type(None))) else text
