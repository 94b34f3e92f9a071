"""A published notebook as a static page: sanitised, self-contained, without a single script.

The page is nbconvert's JupyterLab rendering (its CSS and pygments' classes inlined, figures as
``data:`` URIs) with everything that would run or fetch taken out, in three layers so that no one of
them has to be perfect:

1. the notebook, before rendering: an output that only runs in a browser (widgets, Bokeh, HoloViews,
   Plotly, JavaScript, HTML with scripts) becomes a visible note, "interactive output: open the
   notebook to see it"; an HTML output built on form controls and its own style sheet (xarray's
   repr) falls back to its text;
2. the rendering: the lab template's cells and CSS only, not its page head (where require.js,
   MathJax, Mermaid and the widget manager are loaded), with ``sanitize_html`` and :func:`sanitized`
   as its cleaner; markdown's images embedded from the notebook's attachments, never from files;
3. the page: the cells' HTML cleaned as one fragment again by nh3, the head written here.

What nh3 keeps is an allowlist: markup without scripts, event handlers, frames, forms or ``<base>``;
images only as ``data:image/...`` (a figure in markdown linked from another site shows its alt text:
the machines are offline); links to other sites as links; inline styles only of properties that
cannot name a URL. The service sends :data:`PREVIEW_CSP` with the page as the last guard.

Mathematics shows as its TeX source, since MathJax is a script.
"""

from __future__ import annotations

import json
import re
import tempfile
from html import escape
from typing import Any

from .compare import interactive_library

#: the Content-Security-Policy the service sends with every preview page. Nothing is fetched and
#: nothing runs (``default-src 'none'`` covers scripts, fonts, frames, fetches); figures are data:
#: URIs and the styles inline. ``base-uri`` and ``form-action`` have no default, so they are named.
#: ``sandbox`` without allowances gives the page an origin of its own: were anything to run, it could
#: not reach the hub's cookies.
PREVIEW_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'self'; sandbox")

#: what stands where an interactive output was
INTERACTIVE_NOTE = "interactive output ({}): open the notebook to see it"

#: where the template's styles end and the cells begin
_CELLS = "<!-- spacehub: cells -->"
#: the lab template's styles (its CSS files and pygments' classes) and cells, without a page around
#: them nor any script: render_html writes the page, so nothing of the template's head can slip
#: past the cleaning
_TEMPLATE = """{%- extends 'base.html.j2' -%}
{%- block header -%}
{{ resources.include_css("static/index.css") }}
{{ resources.include_css("static/theme-light.css") }}
{% for css in resources.inlining.css -%}<style type="text/css">{{ css }}</style>{%- endfor %}
""" + _CELLS + """
{%- endblock header -%}
{%- block footer -%}{%- endblock footer -%}
"""
#: the lab page's own adjustments (from nbconvert's lab/index.html.j2) and the preview's
_PAGE_CSS = """a.anchor-link { display: none; }
.jp-InputArea, .jp-InputArea-editor { overflow: hidden; }
.jp-OutputArea-output pre { line-height: inherit; font-family: inherit; }
.jp-RenderedText pre { color: var(--jp-content-font-color1); font-size: var(--jp-code-font-size); }
.jp-Collapser { display: none; }
main { max-width: 1100px; margin: 0 auto; padding: 1em; }
.spacehub-interactive { font-style: italic; color: var(--jp-content-font-color2); }
"""

#: inline style properties kept: none of them can take a url(), so nothing is fetched
_STYLE_PROPERTIES = {"color", "background-color", "text-align", "vertical-align", "font-weight", "font-style",
                     "font-size", "font-family", "text-decoration", "white-space", "width", "height", "max-width",
                     "min-width", "max-height", "margin", "margin-left", "margin-right", "margin-top",
                     "margin-bottom", "padding", "padding-left", "padding-right", "padding-top",
                     "padding-bottom", "border", "border-collapse", "border-spacing", "display", "float"}
# a markdown cell's reference to an image attached to it
_ATTACHMENT = re.compile(r"attachment:([^\s)\"'>]+)")
# images shown: figures the notebook carries in itself
_IMAGE_URI = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,", re.IGNORECASE)


def render_html(notebook: dict, title: str) -> str:
    """A notebook as a static, sanitised, self-contained HTML page.

    Parameters
    ----------
    notebook : dict
        The notebook as nbformat v4 JSON (``json.load`` of the ``.ipynb``, or a ``NotebookNode``);
        not changed.
    title : str
        The page's ``<title>`` and heading, as text: markup in it is shown, not applied.

    Returns
    -------
    str
        The page, to be sent with :data:`PREVIEW_CSP`.

    Examples
    --------
    >>> import nbformat.v4 as v4
    >>> page = render_html(v4.new_notebook(cells=[v4.new_markdown_cell("# Kp <script>x()</script>")]), "Kp <b>")
    >>> "<script" in page, "<title>Kp &lt;b&gt;</title>" in page
    (False, True)
    """
    import nbformat
    from nbconvert import HTMLExporter

    # through JSON: a copy, with nbformat's multiline strings as lists of lines joined
    node = nbformat.reads(json.dumps(notebook), as_version=4)
    node.metadata.pop("widgets", None)  # the widgets' state, which the lab template hands to a script
    for cell in node.get("cells", []):
        if cell.get("cell_type") == "code":
            cell.outputs = [nbformat.from_dict(_static(output)) for output in cell.get("outputs", [])]
        elif cell.get("cell_type") == "markdown":
            cell.source = _without_missing_attachments(cell.source, cell.get("attachments") or {})
    exporter = HTMLExporter(template_name="lab", extra_loaders=[_template_loader()], template_file="spacehub_preview",
                            sanitize_html=True, embed_images=True, exclude_anchor_links=True,
                            filters={"clean_html": sanitized})
    # embed_images embeds attachments, and also files a markdown image names below the notebook's
    # folder: on the server that must find nothing, so the folder is an empty one
    with tempfile.TemporaryDirectory(prefix="spacehub-preview-") as nowhere:
        rendered, _ = exporter.from_notebook_node(node, resources={"metadata": {"path": nowhere}})
    styles, _, cells = rendered.partition(_CELLS)
    title = escape(title)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{title}</title>\n'
            f'{styles}\n<style type="text/css">\n{_PAGE_CSS}</style>\n</head>\n'
            f'<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">\n'
            f'<main>\n<h1>{title}</h1>\n{sanitized(cells)}\n</main>\n</body>\n</html>\n')


def sanitized(html: Any) -> str:
    """HTML from a notebook made harmless: nh3's allowlist, images only as ``data:`` URIs.

    >>> sanitized('<img src=x onerror=alert(1)><a href="javascript:alert(1)">kp</a><b>3</b>')
    '<img><a rel="noopener noreferrer">kp</a><b>3</b>'
    """
    import nh3

    text = html.decode() if isinstance(html, bytes) else str(html)
    return nh3.clean(text, tags=_tags(), attributes=_attributes(), attribute_filter=_kept_attribute,
                     url_schemes={"http", "https", "mailto", "data"}, filter_style_properties=_STYLE_PROPERTIES,
                     strip_comments=True, link_rel="noopener noreferrer")


def _tags() -> set[str]:
    import nh3

    return set(nh3.ALLOWED_TAGS) | {"section", "tfoot"}


def _attributes() -> dict[str, set[str]]:
    import nh3

    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = {"class", "id", "style", "title", "lang", "dir", "data-mime-type"}
    return attributes


def _kept_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Keep a ``data:`` URI only as an image's source, and an image's source only as a ``data:`` URI."""
    if tag == "img" and attribute == "src":
        return value if _IMAGE_URI.match(value) else None
    if value.lstrip().lower().startswith("data:"):
        return None
    return value


def _static(output: dict) -> dict:
    """An output as the page can show it without running anything (see the module's docstring)."""
    data = output.get("data")
    if output.get("output_type") not in ("display_data", "execute_result") or not isinstance(data, dict):
        return output
    library = next((name for mime in data if (name := interactive_library(mime))), None)
    if library is None and "<script" in str(data.get("text/html", "")).lower():
        library = "HTML with scripts"
    if library is None and "<input" in str(data.get("text/html", "")).lower() and "text/plain" in data:
        data = {mime: value for mime, value in data.items() if mime != "text/html"}
    if library is not None:
        # a figure sent along with the interactive view (ipympl, a Plotly static fallback) stays
        data = {mime: value for mime, value in data.items() if mime.startswith("image/")} or {
            "text/html": f'<p class="spacehub-interactive">{escape(INTERACTIVE_NOTE.format(library))}</p>'}
    # nothing in metadata reaches the page unescaped but width and height: kept if numbers
    metadata = output.get("metadata")
    metadata = {mime: {k: v for k, v in meta.items() if k in ("width", "height") and isinstance(v, int)}
                for mime, meta in (metadata if isinstance(metadata, dict) else {}).items() if isinstance(meta, dict)}
    return {**output, "data": data, "metadata": metadata}


def _without_missing_attachments(source: str, attachments: dict) -> str:
    """A markdown cell's source, a reference to an attachment the cell does not have made an image
    not found (nbconvert would stop the whole page at it)."""
    return _ATTACHMENT.sub(lambda m: m.group(0) if m.group(1) in attachments else "missing-" + m.group(0), source)


def _template_loader() -> Any:
    from jinja2 import DictLoader

    return DictLoader({"spacehub_preview": _TEMPLATE})
