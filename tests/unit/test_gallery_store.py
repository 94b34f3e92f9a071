"""The gallery's store, provenance notes and runner, without a hub: versions claimed by concurrent
publishes, what a crash leaves removed at start, parameters as the templates write them, a notebook
that never finishes stopped at its time limit with its kernel."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from spacehub.gallery.check import Runner
from spacehub.gallery.store import NotFound, Store, StoreError, check_metadata, parameters_of
from spacehub.provenance import summarize

KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}


def notebook(*sources: str, parameters: str | None = None) -> dict:
    cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})] if parameters else []
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return dict(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}))


def test_concurrent_versions_get_numbers_of_their_own_and_keep_their_notebooks(tmp_path):
    store = Store(tmp_path)
    first = store.publish("ann", notebook("1"), check_metadata({"title": "Many"}))
    claimed: dict[int, int] = {}

    def publish(i: int):
        claimed[i] = store.publish("ann", notebook(f"print({i})"), {}, entry_id=first.id).version

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed.values()) == list(range(2, 10))
    for i, version in claimed.items():
        assert store.notebook(first.id, version)["cells"][0]["source"] == f"print({i})"
    assert store.entry(first.id)["versions"] == list(range(1, 10))


def test_what_a_crash_left_half_written_is_removed_and_entries_stay_whole(tmp_path):
    store = Store(tmp_path)
    kept = store.publish("ann", notebook("1"), check_metadata({"title": "Kept"}))
    (store.staging / "deadbeef" / "entry" / "v1").mkdir(parents=True)  # a publish killed before its rename
    (store.staging / "deadbeef" / "entry" / "v1" / "notebook.ipynb").write_text("{\"cells\": [")
    (store.entries / kept.id / ".entry.json.1234abcd").write_text("{")  # a replace killed before its rename
    removed = Store(tmp_path).recover()
    assert sorted(removed) == sorted(["deadbeef", f"{kept.id}/.entry.json.1234abcd"])
    assert store.ids() == [kept.id] and store.entry(kept.id)["title"] == "Kept"
    with pytest.raises(NotFound):
        store.entry("../entries")


def test_fields_and_names_are_checked():
    with pytest.raises(StoreError, match="visibility"):
        check_metadata({"title": "x", "visibility": "world"})
    with pytest.raises(StoreError, match="unknown field"):
        check_metadata({"title": "x", "author": "someone else"})
    assert check_metadata({"title": " A ", "tags": "b, a, b"})["tags"] == ["b", "a"]


def test_parameters_as_the_templates_write_them(tmp_path):
    path = tmp_path / "p.ipynb"
    path.write_text(json.dumps(notebook("x", parameters='day = "2015-03-17"  # the storm\nstart, stop = 1, 2\nn: int = 3')))
    found = parameters_of(path)
    assert found["day"] == {"default": '"2015-03-17"', "type": "str", "help": "the storm"}
    assert (found["start"]["default"], found["stop"]["default"]) == ("1", "2")
    path.write_text(json.dumps(notebook("x")))
    assert parameters_of(path) == {}


def test_provenance_lists_each_dataset_and_range_once():
    notes = [{"kind": "dataset", "dataset": "omni_hro_1min", "start": "a", "stop": "b", "route": "sample",
              "variables": ["SYM_H"], "files": ["f1"]},
             {"kind": "dataset", "dataset": "omni_hro_1min", "start": "a", "stop": "b", "route": "sample",
              "variables": ["BZ_GSM", "SYM_H"], "files": ["f1"]},
             {"kind": "file", "path": "/x.cdf"}, {"kind": "file", "path": "/x.cdf"}]
    assert summarize(notes) == {"datasets": [{"dataset": "omni_hro_1min", "start": "a", "stop": "b", "route": "sample",
                                              "variables": ["SYM_H", "BZ_GSM"], "files": ["f1"]}], "files": ["/x.cdf"]}


@pytest.mark.slow
def test_a_notebook_that_never_finishes_is_stopped_with_its_kernel(tmp_path):
    path = tmp_path / "forever.ipynb"
    never = "import threading\nthreading.Event().wait()"  # a cell that never returns
    path.write_text(json.dumps(notebook("import os\nprint(os.getpid(), flush=True)", never)))
    runner = Runner(python=Path(sys.executable), work=tmp_path / "work", timeout=15)
    started = time.monotonic()
    result = asyncio.run(runner.run(path, []))
    assert time.monotonic() - started < 60
    assert not result.ok and "did not finish within 15 s" in result.reasons[0]
    kernels = [p for p in psutil.process_iter(["cmdline"]) if "ipykernel_launcher" in " ".join(p.info["cmdline"] or [])
               and str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert kernels == []
    assert not (tmp_path / "work").exists() or list((tmp_path / "work").iterdir()) == []  # the run's folder is gone



def test_at_start_the_gallery_checks_what_it_owes(tmp_path):
    """Interrupted checks, missing ones and those made in an environment since changed are queued
    again; current ones and withdrawn entries are not."""
    from spacehub.gallery.service import Gallery

    class Here(Runner):
        def environment(self):
            return {"fingerprint": "now", "python": "3"}

    store = Store(tmp_path / "store")
    ids = {}
    for name, check in (("stale", {"status": "passed", "environment": {"fingerprint": "before"}}),
                        ("current", {"status": "passed", "environment": {"fingerprint": "now"}}),
                        ("interrupted", {"status": "running"}), ("never", None), ("withdrawn", None)):
        ids[name] = store.publish("ann", notebook("1"), check_metadata({"title": name})).id
        if check:
            store.record_check(ids[name], 1, check)
    store.withdraw(ids["withdrawn"], by="ann")

    async def queued():
        gallery = Gallery(store, Here(python=Path(sys.executable), work=tmp_path / "work"))
        gallery.start()
        jobs = list(gallery.queue._queue)  # before the workers take any
        await gallery.stop()
        return jobs

    jobs = asyncio.run(queued())
    assert sorted(job[1] for job in jobs) == sorted(ids[n] for n in ("stale", "interrupted", "never"))
    assert store.version(ids["stale"], 1)["check"]["why"] == "environment changed"


def test_the_page_says_which_packages_the_check_ran_with_otherwise():
    from spacehub.gallery.pages import package_changes

    author = {"numpy": "2.4.5", "xarray": "2026.9.0", "only-the-author": "1"}
    assert package_changes(author, {**author, "numpy": "2.4.6"}) == \
        ". The check ran with other versions of 1 package(s): numpy 2.4.5 → 2.4.6."
    assert "same package versions" in package_changes(author, author)
    assert package_changes({}, author) == ""  # published without its environment (the API, a script)
