"""The gallery on the real hub: publish → re-run in a clean kernel → badge, provenance recorded while it
ran, visibility on every route, versions and citations, concurrent publishes, a crash mid-publish,
bad input, "open in my hub" and the publish form of a user's server, the CLI.

People of this file: gwen (author), hal (another user), iris (in gwen's group), the hub's admin.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
from pathlib import Path

import nbformat
import pytest
import requests
from hubtools import wait_for

pytestmark = [pytest.mark.integration]

KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}
READ_OMNI = ("import spacehub.catalog\n"
             "ds = spacehub.catalog.open()[dataset_id].read(start, stop, ['SYM_H'])\n"
             "print('minimum SYM-H', float(ds.SYM_H.min()), 'nT over', ds.time.size, 'minutes')")


def notebook(*sources: str, parameters: str | None = None) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})] if parameters else []
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def executed(nb: nbformat.NotebookNode, folder: Path, sample_dir: Path, **parameters) -> dict:
    """The notebook run as its author ran it (in the test's process environment, the same packages)."""
    import papermill

    folder.mkdir(parents=True, exist_ok=True)
    src, out = folder / "in.ipynb", folder / "out.ipynb"
    nbformat.write(nb, src)
    env = {"SPACEHUB_SAMPLE_DATA": str(sample_dir), "SPACEHUB_OFFLINE": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        papermill.execute_notebook(str(src), str(out), parameters=parameters, kernel_name="python3", cwd=str(folder),
                                   progress_bar=False, execution_timeout=120)
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return json.loads(out.read_text())


class Person:
    def __init__(self, hub, name: str | None):
        self.hub, self.name = hub, name
        self.token = hub.token_for(name) if name else None
        self.url = hub.url + "services/gallery/"

    def ask(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Accept": "application/json", **kw.pop("headers", {})}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        return requests.request(method, self.url + path, headers=headers, timeout=120, allow_redirects=False, **kw)

    def publish(self, nb, title: str, **fields) -> dict:
        r = self.ask("POST", "api/entries", json={"notebook": nb, "title": title, **fields})
        assert r.status_code == 201, r.text
        return r.json()

    def check(self, entry_id: str, version: int = 1, timeout: float = 300) -> dict:
        def done():
            info = self.ask("GET", f"api/entries/{entry_id}/v{version}").json()
            return info.get("check", {}).get("status") in ("passed", "failed") and info["check"]
        return wait_for(done, timeout, interval=0.5, what=f"the check of {entry_id} v{version}")


@pytest.fixture(scope="module")
def people(hub):
    admin = hub.admin()
    for name in ("gwen", "hal", "iris"):
        assert hub.api("POST", f"users/{name}", session=admin).status_code in (201, 409)
    assert hub.api("POST", "groups/lensing", session=admin, json={"users": ["gwen", "iris"]}).status_code in (201, 409)
    out = {name: Person(hub, name) for name in ("gwen", "hal", "iris", "admin")}
    out["anonymous"] = Person(hub, None)
    return out


@pytest.fixture(scope="module")
def storm(people, sample_dir, tmp_path_factory):
    """gwen's notebook of the 2015 storm, run as she ran it, published for the hub."""
    nb = notebook(READ_OMNI, "import matplotlib.pyplot as plt\nplt.plot(ds.time, ds.SYM_H)\nplt.show()",
                  parameters='dataset_id = "omni_hro_1min"\nstart, stop = "2015-03-17", "2015-03-18"')
    ran = executed(nb, tmp_path_factory.mktemp("storm"), sample_dir)
    published = people["gwen"].publish(ran, "The 2015 St Patrick's Day storm", tags=["storms", "OMNI"],
                                       description="SYM-H minimum", visibility="hub", authors=["Gwen Ito"])
    return published


def test_publish_then_the_check_reproduces_it_and_records_what_it_read(people, storm):
    gwen = people["gwen"]
    assert storm["version"] == 1 and storm["url"].endswith(f"/services/gallery/entries/{storm['id']}/v1/")
    check = gwen.check(storm["id"])
    assert check["status"] == "passed", check
    assert check["comparison"]["compared"] >= 2  # the printed minimum and the figure
    assert check["comparison"]["differences"] == []
    # provenance: exactly the dataset and range the notebook read, recorded while the check ran
    assert check["provenance"]["datasets"] == [{
        "dataset": "omni_hro_1min", "start": "2015-03-17T00:00:00.000000", "stop": "2015-03-18T00:00:00.000000",
        "route": "sample", "variables": ["SYM_H"], "files": check["provenance"]["datasets"][0]["files"]}]
    assert check["provenance"]["files"] == []
    page = requests.get(gwen.url + f"entries/{storm['id']}/v1/", headers={"Authorization": f"token {gwen.token}"},
                        timeout=30)
    assert page.status_code == 200 and "reproduces" in page.text and "omni_hro_1min" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_notebook_reading_a_file_of_its_authors_fails_its_check_saying_which(people, sample_dir, tmp_path):
    own = tmp_path / "private-copy.cdf"  # a file of gwen's, neither in the catalog nor published with it
    own.write_bytes(next(sample_dir.rglob("omni_hro_1min_20150301_v01.cdf")).read_bytes())
    nb = notebook(f"import spacehub\nds = spacehub.open_file({str(own)!r}, ['SYM_H'])\nprint(ds.time.size)")
    published = people["gwen"].publish(nb, "Reads a file of mine", visibility="private")
    check = people["gwen"].check(published["id"])
    assert check["status"] == "failed"
    assert any(str(own) in r and "neither catalog data nor a file published with it" in r for r in check["reasons"])
    assert check["provenance"]["files"] == [str(own)]


def test_a_file_published_with_the_notebook_is_beside_it_when_it_re_runs(people, sample_dir):
    data = next(sample_dir.rglob("omni_hro_1min_20150301_v01.cdf")).read_bytes()
    nb = notebook("import spacehub\nds = spacehub.open_file('omni.cdf', ['SYM_H'])\nprint(ds.time.size)")
    r = people["gwen"].ask("POST", "api/entries", json={"notebook": nb, "title": "Reads its own file",
                                                          "visibility": "private",
                                                          "files": {"omni.cdf": base64.b64encode(data).decode()}})
    assert r.status_code == 201, r.text
    check = people["gwen"].check(r.json()["id"])
    assert check["status"] == "passed", check
    assert [Path(f).name for f in check["provenance"]["files"]] == ["omni.cdf"]


def test_a_failing_cell_is_named_in_the_check(people):
    nb = notebook("x = 1", "1 / 0")
    published = people["gwen"].publish(nb, "Divides by zero", visibility="private")
    check = people["gwen"].check(published["id"])
    assert check["status"] == "failed"
    assert any("ZeroDivisionError" in r and "cell 1" in r for r in check["reasons"]), check["reasons"]


def test_who_sees_and_changes_what(people, hub):
    gwen = people["gwen"]
    nb = notebook("print(2 + 2)")
    ids = {v: gwen.publish(nb, f"Visible to {v}", visibility=v, **({"group": "lensing"} if v == "group" else {}))["id"]
           for v in ("private", "group", "hub", "public")}
    sees = {"anonymous": {"public"}, "hal": {"hub", "public"}, "iris": {"group", "hub", "public"},
            "gwen": set(ids), "admin": set(ids)}
    for who, visible in sees.items():
        p = people[who]
        listed = {e["id"] for e in p.ask("GET", "api/entries").json()["entries"]} if who != "anonymous" else \
            {e["id"] for e in requests.get(p.url + "api/entries", timeout=30).json()["entries"]}
        for visibility, entry_id in ids.items():
            seen = visibility in visible
            assert (entry_id in listed) == seen, (who, visibility)
            for path in (f"entries/{entry_id}/v1/", f"api/entries/{entry_id}",
                         f"api/entries/{entry_id}/v1", f"api/entries/{entry_id}/v1/bundle",
                         f"entries/{entry_id}/v1/preview", f"entries/{entry_id}/v1/notebook.ipynb"):
                status = p.ask("GET", path).status_code
                expected = 200 if seen else (401 if who == "anonymous" else 404)
                assert status == expected, (who, visibility, path, status)
            # only the author and the admin change it
            change = p.ask("PATCH", f"api/entries/{entry_id}", json={"description": f"by {who}"}).status_code
            if who == "anonymous":  # no token, no form's XSRF token: refused before anything is looked up
                assert change == 403, (who, visibility)
            else:
                assert change == (200 if who in ("gwen", "admin") else 403 if seen else 404), (who, visibility)
    # a stranger's browser is sent to the hub's login for an entry it may not see
    page = requests.get(gwen.url + f"entries/{ids['hub']}/v1/", headers={"Accept": "text/html"}, timeout=30,
                        allow_redirects=False)
    assert page.status_code == 302 and "/hub/api/oauth2/authorize" in page.headers["Location"]
    # withdrawn by the admin: gone from lists, its permanent URL says so, nothing else is served
    assert people["admin"].ask("DELETE", f"api/entries/{ids['hub']}", json={"reason": "duplicate"}).status_code == 204
    assert ids["hub"] not in {e["id"] for e in people["hal"].ask("GET", "api/entries").json()["entries"]}
    gone = requests.get(gwen.url + f"entries/{ids['hub']}/", headers={"Authorization": f"token {people['hal'].token}",
                                                                       "Accept": "text/html"}, timeout=30)
    assert gone.status_code == 410 and "Withdrawn by admin" in gone.text and "duplicate" in gone.text
    assert people["hal"].ask("GET", f"entries/{ids['hub']}/v1/notebook.ipynb").status_code == 410


def test_versions_keep_their_urls_and_citations(people, storm):
    gwen, hal = people["gwen"], people["hal"]
    v1 = gwen.ask("GET", f"entries/{storm['id']}/v1/notebook.ipynb").json()
    changed = json.loads(json.dumps(v1))
    changed["cells"].append(nbformat.v4.new_markdown_cell("A note added in version 2."))
    r = gwen.ask("POST", f"api/entries/{storm['id']}/versions", json={"notebook": changed, "title": "The storm, v2"})
    assert r.status_code == 201 and r.json()["version"] == 2, r.text
    assert hal.ask("POST", f"api/entries/{storm['id']}/versions", json={"notebook": changed}).status_code == 403
    assert gwen.ask("GET", f"entries/{storm['id']}/v1/notebook.ipynb").json() == v1  # v1 as it was
    info = hal.ask("GET", f"api/entries/{storm['id']}/v1").json()
    assert info["citation"].startswith("Gwen Ito (2026). The 2015 St Patrick's Day storm (version 1)")
    assert info["citation"].endswith(f"/services/gallery/entries/{storm['id']}/v1/")
    assert hal.ask("GET", f"api/entries/{storm['id']}").json()["versions"] == [1, 2]


def test_re_run_with_other_parameters(people, storm):
    hal = people["hal"]
    r = hal.ask("POST", f"api/entries/{storm['id']}/v1/runs", json={"parameters": {"start": "2015-03-16",
                                                                                    "stop": "2015-03-17"}})
    assert r.status_code == 202, r.text
    run = r.json()["run"]
    state = wait_for(lambda: hal.ask("GET", f"api/runs/{run}").json()["status"] in ("done", "failed")
                     and hal.ask("GET", f"api/runs/{run}").json(), 300, interval=0.5, what="the re-run")
    assert state["status"] == "done", state
    preview = hal.ask("GET", f"runs/{run}/?preview=1")
    assert preview.status_code == 200 and "minimum SYM-H" in preview.text
    bad = hal.ask("POST", f"api/entries/{storm['id']}/v1/runs", json={"parameters": {"__import__": "os"}})
    assert bad.status_code == 400 and "unknown parameter" in bad.json()["message"]
    # the queue is everyone's: three re-runs waiting at once per person
    asked = [people["iris"].ask("POST", f"api/entries/{storm['id']}/v1/runs",
                                json={"parameters": {"start": f"2015-03-0{day}", "stop": "2015-03-10"}}).status_code
             for day in range(1, 5)]
    assert asked == [202, 202, 202, 429], asked


def test_bad_input_is_refused_saying_why(people):
    gwen = people["gwen"]
    cases = [
        ({"notebook": "not json at all", "title": "x"}, "not JSON"),
        ({"notebook": {"cells": "no"}, "title": "x"}, "not a notebook"),
        ({"notebook": notebook("1"), "title": ""}, "title"),
        ({"notebook": notebook("1"), "title": "x", "visibility": "everyone"}, "visibility"),
        ({"notebook": notebook("1"), "title": "x", "visibility": "group"}, "group"),
        ({"notebook": notebook("1"), "title": "x", "files": {"../../etc/passwd": "eA=="}}, "no folders"),
        ({"notebook": notebook("1"), "title": "x", "files": {"a.csv": "%%%"}}, "base64"),
        ({"notebook": notebook("1"), "title": "x", "owner": "hal"}, "unknown field"),
        ({"notebook": "x" * (21 << 20), "title": "big"}, "at most 20 MiB"),
    ]
    for body, said in cases:
        r = gwen.ask("POST", "api/entries", json=body)
        assert r.status_code == 400, (said, r.status_code, r.text[:200])
        assert said in r.json()["message"], (said, r.json())
    assert gwen.ask("GET", "api/entries/..%2F..%2Fetc").status_code == 404
    assert gwen.ask("GET", "api/entries/a?token=x").status_code == 400  # no token in a URL
    page = requests.get(gwen.url + "?token=x", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 400 and "Authorization header" in page.text  # a page saying so, not a 500


def test_open_in_my_hub_and_the_publish_form_of_a_server(people, hub, storm):
    gwen = people["gwen"]
    kernel = hub.user_kernel("gwen", "gwen-password-1")
    try:
        server = hub.url + "user/gwen/"
        h = {"Authorization": f"token {kernel.token}"}
        where = []
        for _ in range(2):
            r = requests.get(server + f"spacehub/gallery/open?entry={storm['id']}&version=1", headers=h, timeout=60,
                             allow_redirects=False)
            assert r.status_code == 302, r.text[:300]
            where.append(r.headers["Location"].split("/lab/tree/")[1])
        assert where[0] != where[1]  # never over the first copy
        for path in where:
            got = requests.get(server + f"api/contents/{path}", headers=h, timeout=30)
            assert got.status_code == 200 and got.json()["type"] == "notebook"
        # the CLI in a terminal of her server
        out = kernel.run("import subprocess\np = subprocess.run(['spacehub', 'gallery', 'publish', "
                         f"'{requests.utils.unquote(where[0])}', '--title', 'From the CLI', '--visibility', 'private'], "
                         "capture_output=True, text=True)\nprint(p.returncode, p.stdout, p.stderr)")
        assert out.startswith("0 published "), out
        entry_id = out.split()[2]
        assert gwen.ask("GET", f"api/entries/{entry_id}").json()["visibility"] == "private"
        # the form of her server (JupyterLab's Gallery menu opens it)
        form = requests.get(server + "spacehub/gallery/publish", headers=h, timeout=30)
        assert form.status_code == 200 and requests.utils.unquote(where[0]) in form.text
        r = requests.post(server + "spacehub/gallery/publish", headers=h, timeout=60, allow_redirects=False,
                          data={"path": requests.utils.unquote(where[1]), "title": "From the form", "licence": "MIT",
                                "visibility": "hub", "tags": "storms", "description": "", "files": ""})
        assert r.status_code == 302 and "/services/gallery/entries/" in r.headers["Location"], r.text[:300]
        new = r.headers["Location"].split("/entries/")[1].split("/")[0]
        entry = gwen.ask("GET", f"api/entries/{new}").json()
        assert entry["author"] == "gwen" and entry["licence"] == "MIT"
        version = gwen.ask("GET", f"api/entries/{new}/v1").json()
        assert "spacehub" in version["environment"]["packages"]  # the server's package versions, sent with it
    finally:
        kernel.close()


@pytest.mark.slow
def test_concurrent_publishes_and_a_crash_mid_publish_lose_nothing_acknowledged(people, hub):
    gwen = people["gwen"]
    base = gwen.publish(notebook("print('v1')"), "Many versions", visibility="private")
    results: list = []

    def publish_version(i: int):
        nb = notebook(f"print('version from thread {i}')")
        r = gwen.ask("POST", f"api/entries/{base['id']}/versions", json={"notebook": nb})
        results.append((i, r.status_code, r.json() if r.status_code == 201 else r.text))

    threads = [threading.Thread(target=publish_version, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(status == 201 for _, status, _ in results), results
    numbers = sorted(r["version"] for _, _, r in results)
    assert numbers == [2, 3, 4, 5, 6, 7]
    for i, _, r in results:  # each version holds the notebook that claimed it
        nb = gwen.ask("GET", f"entries/{base['id']}/v{r['version']}/notebook.ipynb").json()
        assert nb["cells"][0]["source"] == f"print('version from thread {i}')"

    # kill -9 of the service while large publishes are under way
    service = next(p for p in hub.processes() if "spacehub.gallery" in " ".join(p.cmdline()))
    acknowledged: list = []
    big = notebook("x = 1", *[f"# {'padding ' * 2000}\n{i}" for i in range(200)])  # ~3 MB

    def publish_big(i: int):
        try:
            r = gwen.ask("POST", "api/entries", json={"notebook": big, "title": f"Big {i}", "visibility": "private"})
            if r.status_code == 201:
                acknowledged.append(r.json()["id"])
        except requests.RequestException:
            pass

    threads = [threading.Thread(target=publish_big, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    wait_for(lambda: len(acknowledged) >= 1, 60, interval=0.05, what="one publish acknowledged")
    service.send_signal(signal.SIGKILL)
    for t in threads:
        t.join()
    wait_for(lambda: gwen.ask("GET", "api/entries").status_code == 200, 60, what="the hub restarting the gallery")
    listed = {e["id"]: e for e in gwen.ask("GET", "api/entries").json()["entries"]}
    for entry_id in acknowledged:
        assert entry_id in listed, f"{entry_id} was acknowledged and is gone"
        assert gwen.ask("GET", f"entries/{entry_id}/v1/notebook.ipynb").json()["cells"] == json.loads(
            json.dumps(big))["cells"]
    store = Path(hub.settings["state_dir"]) / "gallery"
    assert list((store / "staging").iterdir()) == []  # what was half-written is gone
    for folder in (store / "entries").iterdir():  # every entry whole: its fields and a complete first version
        assert (folder / "entry.json").is_file() and (folder / "v1" / "version.json").is_file(), folder
