"""The shared cache against a real local HTTP server: one fetch for concurrent readers, LRU eviction,
no partial files, retries, and no fetching of URLs outside the catalog."""

import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hubtools import CountingFiles

import spacehub.catalog
from spacehub.catalog.templates import route_patterns
from spacehub.data.cache import FetchError, SharedCache


class Archive(BaseHTTPRequestHandler):
    """Serves /files/<name> (1 MiB of a repeated byte, slowly); counts requests per path."""

    counts: dict = {}
    plan: dict = {}  # path -> list of behaviours for successive requests: "ok", "503", "cut", "404"

    def do_GET(self):
        type(self).counts[self.path] = type(self).counts.get(self.path, 0) + 1
        steps = type(self).plan.get(self.path, [])
        step = steps.pop(0) if steps else "ok"
        if step in ("503", "404"):
            self.send_response(int(step))
            self.end_headers()
            return
        body = bytes([len(self.path) % 251]) * (1 << 20)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if step == "cut":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            return  # connection closes short of Content-Length
        for i in range(0, len(body), 1 << 18):
            self.wfile.write(body[i:i + (1 << 18)])
            time.sleep(0.05)  # slow enough that concurrent readers overlap

    def log_message(self, *args):
        pass


@pytest.fixture
def archive():
    Archive.counts, Archive.plan = {}, {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Archive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def cache(tmp_path, archive):
    return SharedCache(tmp_path / "cache", max_bytes=3 * (1 << 20), allowed=lambda url: url.startswith(archive),
                       retries=3)


def test_concurrent_readers_one_fetch(cache, archive):
    url = f"{archive}/files/a.cdf"
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(cache.fetch(url))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert Archive.counts == {"/files/a.cdf": 1}
    assert len(set(paths)) == 1 and paths[0].stat().st_size == 1 << 20
    cache.fetch(url)
    assert Archive.counts["/files/a.cdf"] == 1  # a hit does not ask the archive again


def test_lru_eviction(cache, archive):
    a, b, c, d = (f"{archive}/files/{n}.cdf" for n in "abcd")
    for url in (a, b, c):
        cache.fetch(url)
        time.sleep(0.01)
    cache.fetch(a)  # a is now the most recently used
    cache.fetch(d)  # 4 MiB > 3 MiB: the least recently used (b) goes
    assert cache.path_for(a).exists() and not cache.path_for(b).exists()
    assert cache.path_for(c).exists() and cache.path_for(d).exists()
    assert cache.size() <= 3 * (1 << 20)


def test_interrupted_download_leaves_no_partial_file(tmp_path, archive):
    cache = SharedCache(tmp_path / "c", allowed=lambda u: True, retries=1)
    url = f"{archive}/files/cut.cdf"
    Archive.plan["/files/cut.cdf"] = ["cut"]
    with pytest.raises(FetchError, match="connection closed after 524288 of 1048576 bytes|failed after 1 attempts"):
        cache.fetch(url)
    assert not cache.path_for(url).exists()
    assert list((tmp_path / "c" / "tmp").iterdir()) == []


def test_retries_transient_errors_then_succeeds(cache, archive):
    Archive.plan["/files/flaky.cdf"] = ["503", "cut"]
    path = cache.fetch(f"{archive}/files/flaky.cdf")
    assert path.stat().st_size == 1 << 20
    assert Archive.counts["/files/flaky.cdf"] == 3


def test_not_found_is_not_retried(cache, archive):
    Archive.plan["/files/missing.cdf"] = ["404"]
    with pytest.raises(FetchError, match="HTTP 404"):
        cache.fetch(f"{archive}/files/missing.cdf")
    assert Archive.counts["/files/missing.cdf"] == 1


def test_no_open_proxy(tmp_path, archive):
    cache = SharedCache(tmp_path / "c", allowed=spacehub.catalog.open().allows)  # the catalog's routes only
    with pytest.raises(PermissionError, match="not a route of the catalog"):
        cache.fetch(f"{archive}/files/anything.cdf")
    assert Archive.counts == {}


def test_catalog_route_patterns():
    patterns = route_patterns(spacehub.catalog.open())

    def ok(url):
        return any(p.match(url) for p in patterns)

    assert ok("https://spdf.gsfc.nasa.gov/pub/data/omni/omni_cdaweb/hro_1min/2015/omni_hro_1min_20150301_v01.cdf")
    assert ok("https://cdaweb.gsfc.nasa.gov/hapi/data?id=OMNI_HRO_1MIN&time.min=2015-03-17&time.max=2015-03-18")
    assert not ok("https://spdf.gsfc.nasa.gov/pub/data/omni/omni_cdaweb/hro_1min/2015/../../../../etc/passwd")
    assert not ok("https://evil.example.org/omni_hro_1min_20150301_v01.cdf")


def test_entry_read_through_cache(tmp_path, monkeypatch):
    """An entry whose archive is a local HTTP server: the first read fetches, the second is a hit."""
    from spacehub.samples import omni

    served = tmp_path / "served"
    omni.write_month_files(served)
    CountingFiles.counts = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(CountingFiles, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        archive = f"http://127.0.0.1:{server.server_port}/omni/hro_1min/{{time:%Y}}/omni_hro_1min_{{time:%Y%m}}01_v01.cdf"
        (tmp_path / "catalogs").mkdir()
        (tmp_path / "catalogs" / "omni.yaml").write_text((spacehub.catalog.CATALOG_DIR / "omni.yaml").read_text().replace(
            "https://spdf.gsfc.nasa.gov/pub/data/omni/omni_cdaweb/hro_1min/{time:%Y}/omni_hro_1min_{time:%Y%m}01_v01.cdf",
            archive))
        # a catalog of one's own folder reads through the hub's cache, which fetches what its routes name
        monkeypatch.setenv("SPACEHUB_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("SPACEHUB_CACHE_GIB", "1")
        cat = spacehub.catalog.open(tmp_path / "catalogs", samples=tmp_path / "no-samples", offline=False)
        first = cat.omni_hro_1min.read("2015-03-17", "2015-03-18", ["SYM_H"])
        second = cat.omni_hro_1min.read("2015-03-17", "2015-03-18", ["SYM_H"])
        cache = cat.context.shared_cache()
        assert cache is not None and cache.root == tmp_path / "cache"
        with pytest.raises(PermissionError):  # an archive of no route of this catalog is not fetched
            cache.fetch(f"http://127.0.0.1:{server.server_port}/omni/elsewhere.cdf")
    finally:
        server.shutdown()
        server.server_close()
    assert first.attrs["provenance_route"].startswith("files:http://127.0.0.1")
    assert CountingFiles.counts == {"/omni/hro_1min/2015/omni_hro_1min_20150301_v01.cdf": 1}
    assert float(first.SYM_H.min()) == float(second.SYM_H.min()) < -150


def test_latest_version_from_archive_listing(tmp_path, sample_dir, monkeypatch):
    """`version: latest`: the folder's listing says which version to fetch (GOES-R XRS names)."""
    import shutil

    rel = "goes16/l2/data/xrsf-l2-flx1s_science/2017/09"
    served = tmp_path / "served" / rel
    served.mkdir(parents=True)
    sample = sample_dir / "goes" / rel / "sci_xrsf-l2-flx1s_g16_d20170906_v2-2-0.nc"
    for version in ("2-1-0", "2-2-0", "2-10-0"):  # natural order: 2-10-0 is the newest
        shutil.copyfile(sample, served / f"sci_xrsf-l2-flx1s_g16_d20170906_v{version}.nc")
    CountingFiles.counts = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(CountingFiles, directory=str(tmp_path / "served")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        src = (spacehub.catalog.CATALOG_DIR / "goes.yaml").read_text().replace(
            "https://data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/goes16",
            f"http://127.0.0.1:{server.server_port}/goes16")
        (tmp_path / "catalogs").mkdir()
        (tmp_path / "catalogs" / "goes.yaml").write_text(src)
        cat = spacehub.catalog.open(tmp_path / "catalogs", samples=tmp_path / "no-samples", offline=False)
        cache = SharedCache(tmp_path / "cache", allowed=cat.allows)
        ds = cat.goes_xrs_flx1s.read("2017-09-06T12:00", "2017-09-06T12:10", ["xrsb_flux"], cache=cache)
        with pytest.raises(PermissionError):  # folders outside the catalog's routes are not listed
            cache.listing(f"http://127.0.0.1:{server.server_port}/")
    finally:
        server.shutdown()
        server.server_close()
    assert ds.attrs["provenance_files"][0].endswith("sci_xrsf-l2-flx1s_g16_d20170906_v2-10-0.nc")
    assert ds.time.size == 600 and float(ds.xrsb_flux.max()) > 5e-4
    assert CountingFiles.counts[f"/{rel}/"] == 1  # one listing, then one file


def test_hub_cache_built_once_per_folder_and_catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("SPACEHUB_CACHE_DIR", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("SPACEHUB_CACHE_GIB", "2")
    first = spacehub.catalog.open().context.shared_cache()
    assert first is not None and first.max_bytes == 2 * 2**30
    assert spacehub.catalog.open().context.shared_cache() is first  # the same routes: the same cache
    assert first.allowed("https://spdf.gsfc.nasa.gov/pub/data/omni/omni_cdaweb/hro_1min/2015/omni_hro_1min_20150301_v01.cdf")
    monkeypatch.setenv("SPACEHUB_CACHE_DIR", str(tmp_path / "other"))
    assert spacehub.catalog.open().context.shared_cache() is not first


def test_opening_a_catalog_touches_nothing(tmp_path, monkeypatch):
    """The sample folder and the cache are found at the first read that needs them, not at open."""
    monkeypatch.setenv("SPACEHUB_CACHE_DIR", str(tmp_path / "lazy-cache"))
    monkeypatch.setenv("SPACEHUB_CACHE_GIB", "1")
    spacehub.catalog.open()
    assert not (tmp_path / "lazy-cache").exists()


def test_bare_catalog_says_how_to_get_a_cache():
    from spacehub.catalog import Catalog, NoData

    bare = Catalog.from_dir()
    with pytest.raises(NoData, match="no shared cache"):
        bare.omni_hro_1min.read("2015-03-17", "2015-03-18", route="files")


def test_read_only_hub_cache_is_read_and_never_written(tmp_path, archive):
    """Isolated mode: the hub's cache is read where it has the file; other files go to the user's own."""
    url = archive + "/files/a.cdf"
    hub = SharedCache(tmp_path / "hub", allowed=lambda u: True)
    hub_copy = hub.fetch(url)
    own = SharedCache(tmp_path / "own", allowed=lambda u: True, shared=[tmp_path / "hub"])
    assert own.fetch(url) == hub_copy  # found there: not fetched again
    assert Archive.counts["/files/a.cdf"] == 1
    other = own.fetch(archive + "/files/b.cdf")
    assert other.parent == tmp_path / "own" / "data" and not (tmp_path / "hub" / "data" / other.name).exists()
