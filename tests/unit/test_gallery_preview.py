"""The gallery's static preview: a notebook's page with nothing that runs or fetches."""

import base64
import copy
import io
import json
from html.parser import HTMLParser

import nbformat
import pytest
from nbformat import v4

from spacehub.gallery.preview import PREVIEW_CSP, render_html

ATTACK = "<img src=x onerror=alert(1)>"


class Page(HTMLParser):
    """Every element of a page with its attributes, and its text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self.styles = [], [], []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)

    def tags(self, *names):
        return [(tag, attrs) for tag, attrs in self.elements if tag in names]


def png_base64():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "navy").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def display(data, **metadata):
    return v4.new_output("display_data", data=data, metadata=metadata)


def payload_notebook():
    markdown = ("# Geomagnetic storm of 17 March 2015\n\n"
                "From [the SWPC](https://www.swpc.noaa.gov/products/planetary-k-index). <script>alert(1)</script>\n\n"
                f'{ATTACK} <a href="javascript:alert(1)">click</a> <iframe src="https://example.com/"></iframe>\n\n'
                '![remote figure](https://example.com/kp.png) <form action="/steal"><input name="q"></form>\n\n'
                '<base href="https://example.com/"> <meta http-equiv="refresh" content="0;url=https://example.com">\n\n'
                '<object data="https://example.com/x.swf"></object><embed src="https://example.com/y">\n\n'
                '<p style="color: navy; background: url(https://example.com/t.png)">styled</p>')
    return v4.new_notebook(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}}, cells=[
        v4.new_markdown_cell(markdown),
        v4.new_code_cell("kp_max = storm.kp.max()\nkp_max", execution_count=1, outputs=[
            v4.new_output("execute_result", data={"text/plain": "7.667"}, execution_count=1)]),
        v4.new_code_cell("show_table()", outputs=[display({"text/html": f"<table><tr><td>Dst</td><td>-222</td></tr></table>"
                                                                        f"<script>alert(2)</script>{ATTACK}"
                                                                        '<a href="javascript:alert(3)">x</a>'
                                                                        "<iframe></iframe>"})]),
        v4.new_code_cell("pd.DataFrame(...)", outputs=[display({"text/html": "<table><tr><th>AE</th></tr>"
                                                                             "<tr><td>1543</td></tr></table>"
                                                                             f'<a href="https://example.com">link</a>{ATTACK}'
                                                                             '<a href="javascript:alert(3)">x</a>'
                                                                             '<iframe src="https://example.com/"></iframe>'
                                                                             '<object data="x"></object><embed src="y">',
                                                                "text/plain": "AE 1543"})]),
        v4.new_code_cell("%%javascript\nalert(4)", outputs=[display({"application/javascript": "alert(4)"})]),
        v4.new_code_cell("svg()", outputs=[display({"image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" '
                                                                     'onload="alert(5)"><circle r="3"/></svg>'})]),
        v4.new_code_cell("plt.plot(kp)", outputs=[display({"image/png": png_base64(), "text/plain": "<Figure>"},
                                                          **{"image/png": {"width": "1 onerror=alert(6)"}})]),
        v4.new_code_cell("show(bokeh_figure)", outputs=[display({
            "application/vnd.bokehjs_exec.v0+json": "", "text/html": '<div id="p1"></div><script>Bokeh.embed()</script>'},
            **{"application/vnd.bokehjs_exec.v0+json": {"id": "p1"}})]),
        v4.new_code_cell("1 / 0", outputs=[v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                         traceback=["ZeroDivisionError <script>alert(7)</script>"])]),
        v4.new_raw_cell("<script>alert(8)</script>", metadata={"raw_mimetype": "text/html"}),
    ])


@pytest.fixture(scope="module")
def payload_page():
    return render_html(payload_notebook(), ATTACK)


def test_no_script_runs_in_the_preview(payload_page):
    page = Page(payload_page)
    assert not page.tags("script")
    assert "<script" not in payload_page.lower()
    handlers = [(tag, name) for tag, attrs in page.elements for name in attrs if name.lower().startswith("on")]
    assert not handlers
    for tag, attrs in page.elements:
        for name in ("href", "src", "action", "data", "formaction"):
            assert not attrs.get(name, "").strip().lower().startswith(("javascript:", "vbscript:")), (tag, attrs)


def test_no_frames_plugins_forms_base_or_refresh(payload_page):
    page = Page(payload_page)
    assert not page.tags("iframe", "frame", "object", "embed", "form", "input", "base", "link")
    assert not [attrs for _, attrs in page.tags("meta") if "http-equiv" in attrs]


def test_nothing_is_fetched_from_other_sites(payload_page):
    page = Page(payload_page)
    for tag, attrs in page.elements:
        for name, value in attrs.items():
            if tag == "a" and name == "href":
                continue  # a link is followed by a reader, not fetched by the browser
            assert "http://" not in value and "https://" not in value, (tag, name, value)
    css = "".join(page.styles).lower()
    assert "@import" not in css
    assert "url(http" not in css and "url('http" not in css and 'url("http' not in css
    assert [attrs["src"][:22] for _, attrs in page.tags("img") if "src" in attrs] == [
        "data:image/svg+xml;bas", "data:image/png;base64,"]


def test_the_notebooks_content_is_there(payload_page):
    page = Page(payload_page)
    text = "".join(page.text)
    assert "Geomagnetic storm of 17 March 2015" in page.text  # the markdown heading, whole
    assert [tag for tag, _ in page.elements if tag == "h1"] == ["h1", "h1"]
    assert "kp_max" in text and "storm" in text  # the source, split by highlighting into spans
    assert "7.667" in text and "1543" in text
    assert "-222" not in text  # its output had a script: a note stands in its place
    assert "ZeroDivisionError" in text
    assert "data:image/png;base64," + png_base64() in payload_page
    assert ("a", {"href": "https://www.swpc.noaa.gov/products/planetary-k-index", "rel": "noopener noreferrer"}) \
        in page.elements
    assert any("hl-ipython3" in attrs.get("class", "") for _, attrs in page.elements)  # highlighted
    assert ".highlight .k" in "".join(page.styles) or "hl-ipython3 .k" in "".join(page.styles)


def test_an_interactive_output_is_a_visible_note(payload_page):
    text = " ".join(Page(payload_page).text)
    assert "interactive output (Bokeh): open the notebook to see it" in text
    assert "interactive output (JavaScript): open the notebook to see it" in text
    assert "interactive output (HTML with scripts): open the notebook to see it" in text


def test_the_title_is_text(payload_page):
    page = Page(payload_page)
    assert "<title>&lt;img src=x onerror=alert(1)&gt;</title>" in payload_page
    assert not [attrs for tag, attrs in page.elements if tag == "img" and attrs.get("src") == "x"]
    assert ATTACK in page.text


def test_inline_styles_keep_only_what_cannot_fetch(payload_page):
    styled = [attrs["style"] for _, attrs in Page(payload_page).elements if "styled" in attrs.get("style", "") or
              "navy" in attrs.get("style", "")]
    assert styled == ["color:navy"]


def test_an_html_repr_built_on_form_controls_shows_its_text():
    xarray_like = display({"text/html": '<div class="xr-wrap"><input type="checkbox" id="s1"><label for="s1">'
                                        "Data variables</label></div>",
                           "text/plain": "<xarray.Dataset> Size: 48B\nDimensions:  (time: 3)"})
    page = Page(render_html(v4.new_notebook(cells=[v4.new_code_cell("ds", outputs=[xarray_like])]), "ds"))
    assert not page.tags("input", "label")
    assert "<xarray.Dataset> Size: 48B\nDimensions:  (time: 3)" in "".join(page.text)


def test_a_figure_beside_a_widget_is_kept():
    ipympl = display({"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
                      "image/png": png_base64(), "text/plain": "Canvas(...)"})
    page = render_html(v4.new_notebook(cells=[v4.new_code_cell("%matplotlib widget", outputs=[ipympl])]), "ipympl")
    assert "data:image/png;base64," + png_base64() in page
    assert "open the notebook" not in page


def test_a_notebook_as_plain_json_is_rendered_and_not_changed():
    notebook = json.loads(nbformat.writes(payload_notebook()))
    before = copy.deepcopy(notebook)
    assert "7.667" in render_html(notebook, "kp")
    assert notebook == before


def test_the_policy_allows_no_script_and_no_fetch():
    directives = dict(part.strip().partition(" ")[::2] for part in PREVIEW_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert directives["style-src"] == "'unsafe-inline'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"
    assert "script-src" not in directives


def test_attached_images_are_shown_and_files_of_the_server_are_not(tmp_path, monkeypatch):
    (tmp_path / "secret.png").write_bytes(b"the service's own file")
    monkeypatch.chdir(tmp_path)  # nbconvert looks for markdown's images below the working folder
    cell = v4.new_markdown_cell("![aurora](attachment:aurora.png) ![lost](attachment:lost.png) "
                                '![server](secret.png) <img src="secret.png">')
    cell.attachments = {"aurora.png": {"image/png": png_base64()}}
    page = render_html(v4.new_notebook(cells=[cell]), "attachments")
    sources = [attrs.get("src") for _, attrs in Page(page).tags("img")]
    assert sources == ["data:image/png;base64," + png_base64(), None, None, None]
    assert base64.b64encode(b"the service's own file").decode() not in page
