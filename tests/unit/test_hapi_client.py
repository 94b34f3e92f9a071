"""hapiclient sends this hub's token as a header, never in a URL; other servers are untouched.

A real HAPI service (tests/conftest.py's ``hapi_service``, public) behind a real loopback HTTP proxy
that records each request's path and Authorization header.
"""

import http.server
import stat
import sys
import tempfile
import threading
import urllib.request

import numpy as np
import pytest

START, STOP = "2015-03-17T00:00:00Z", "2015-03-17T06:00:00Z"


@pytest.fixture
def recording_proxy(hapi_service):
    """Forwards to the HAPI service; answers 401 without the expected header; records what came."""
    seen = []
    upstream = hapi_service.rsplit("/services/", 1)[0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            auth = self.headers.get("Authorization")
            seen.append((self.path, auth))
            if auth != "token s3cret":
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"HAPI": "3.1", "status": {"code": 1401, "message": "login needed"}}')
                return
            with urllib.request.urlopen(upstream + self.path) as r:
                body = r.read()
                self.send_response(r.status)
                self.send_header("Content-Type", r.headers["Content-Type"])
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/services/data/hapi", seen
    server.shutdown()


def test_token_goes_in_a_header_and_nowhere_else(recording_proxy, hapi_service, tmp_path, monkeypatch):
    from hapiclient import hapi

    import spacehub.data

    url, seen = recording_proxy
    monkeypatch.setenv("SPACEHUB_HAPI_URL", url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "s3cret")
    server = spacehub.data.hapi_server()
    assert server == url and "s3cret" not in server
    for fmt, cache in (("binary", False), ("csv", True)):
        data, meta = hapi(server, "omni_hro_1min", "BZ_GSM,SYM_H", START, STOP, format=fmt,
                          cache=cache, usecache=False, cachedir=str(tmp_path), logging=False)
        assert len(data) == 360 and np.isfinite(data["SYM_H"]).all()
    assert seen and all(auth == "token s3cret" for _, auth in seen)
    assert all("s3cret" not in path for path, _ in seen)
    written = [str(p) for p in tmp_path.rglob("*")]
    assert written and not any("s3cret" in p for p in written)  # hapiclient's cache names carry no token
    # another server gets hapiclient's own request: no header of ours
    data, _ = hapi(hapi_service, "omni_hro_1min", "SYM_H", START, STOP, cache=False, logging=False)
    assert len(data) == 360


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A home and a temp dir of the test's own; hapiclient's cache default as it was, afterwards."""
    import hapiclient.cache
    import hapiclient.hapi  # the module, for sys.modules

    from spacehub.data import hapi_client

    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    upstream = hapi_client._original_cachedir or hapiclient.cache.cachedir  # hapiclient's own, hooked or not
    monkeypatch.setattr(hapiclient.cache, "cachedir", upstream)
    monkeypatch.setattr(sys.modules["hapiclient.hapi"], "cachedir", upstream)
    return home, temp


def test_kernels_cache_in_their_own_private_folder(recording_proxy, private_cache, monkeypatch):
    """hapiclient's defaults (it caches) in a notebook: the account's ~/.cache/hapiclient, 0700, and
    nothing in the temp dir every account shares."""
    from hapiclient import hapi

    import spacehub.data

    home, temp = private_cache
    url, seen = recording_proxy
    monkeypatch.setenv("SPACEHUB_HAPI_URL", url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "s3cret")
    data, _ = hapi(spacehub.data.hapi_server(), "omni_hro_1min", "SYM_H", START, STOP)
    assert len(data) == 360 and seen
    assert not (temp / "hapi-data").exists() and not list(temp.iterdir())
    folder = home / ".cache" / "hapiclient"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    written = [str(p) for p in folder.rglob("*")]
    assert any(p.endswith(".bin") for p in written), written  # it did cache, there
    assert not any("s3cret" in p for p in written)
    data, _ = hapi(spacehub.data.hapi_server(), "omni_hro_1min", "SYM_H", START, STOP, cachedir=str(home / "own"))
    assert (home / "own").is_dir()  # a folder the caller names still wins


def test_private_cache_folder_is_made_private_and_never_someone_elses(private_cache):
    from spacehub.data.hapi_client import private_cache_folder

    home, _ = private_cache
    folder = home / ".cache" / "hapiclient"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    assert private_cache_folder() == folder and stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.rmdir()
    folder.symlink_to(home)  # a link is not this account's folder, wherever it points
    with pytest.raises(PermissionError, match="not a folder of this account"):
        private_cache_folder()


def test_a_kernel_using_hapiclient_directly_caches_privately(tmp_path):
    """A kernel's startup file (spacehub.notebook) moves hapiclient's default cache as soon as
    hapiclient is imported, without spacehub.data being asked for anything."""
    import subprocess

    from spacehub.notebook import STARTUP_FILE

    code = ("import runpy, sys; runpy.run_path(sys.argv[1]); assert 'hapiclient' not in sys.modules\n"
            "from hapiclient import hapi\n"
            "print(sys.modules['hapiclient.hapi'].hapiopts()['cachedir'])")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path / "tmp")}
    done = subprocess.run([sys.executable, "-c", code, str(STARTUP_FILE)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / ".cache" / "hapiclient"
    assert done.stdout.strip() == str(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_catalog_reader_writes_nothing_to_the_shared_temp_dir(hapi_service, private_cache):
    from spacehub.catalog.readers.hapi import read_hapi

    home, temp = private_cache
    ds = read_hapi(hapi_service, "omni_hro_1min", START, STOP, ["SYM_H"])
    assert ds.sizes["time"] == 360
    assert not list(temp.iterdir()) and not list(home.iterdir())  # the catalog caches on its own


def test_refusal_reads_as_hapiclient_reports_it(recording_proxy, monkeypatch):
    from hapiclient import hapi
    from hapiclient.util import HAPIError

    from spacehub.catalog.readers.hapi import http_status
    from spacehub.data.hapi_client import authorize

    url, seen = recording_proxy
    authorize(url, "wrong")
    with pytest.raises(HAPIError) as err:
        hapi(url, "omni_hro_1min", "SYM_H", START, STOP, cache=False, logging=False)
    assert http_status(err.value) == 401 and "login needed" in str(err.value)
    authorize(url, "s3cret")  # the last token given for a server is the one sent


def test_hapiclient_still_calls_the_hooked_names():
    """The contract the hook relies on (hapiclient 0.2.6 – 0.3.x): requests go through the module
    global ``urlopen`` of hapiclient.util and hapiclient.get."""
    import inspect

    import hapiclient.get
    import hapiclient.info
    import hapiclient.util

    assert list(inspect.signature(hapiclient.util.urlopen).parameters) == ["url", "parse_json"]
    assert "urlopen" in hapiclient.get.get_binary.__code__.co_names
    assert "urlopen" in hapiclient.get.get_csv.__code__.co_names
    assert "urlopen" in hapiclient.util.urlretrieve.__code__.co_names
    assert "urlopen" in inspect.getsource(hapiclient.info.info)


def test_hapiclient_still_takes_its_cache_default_from_the_hooked_name():
    """The contract of ``use_private_cache`` (hapiclient 0.3.x): each request's options come from
    ``hapiclient.hapi.hapiopts``, which calls the module global ``cachedir()``, that of hapiclient.cache."""
    import hapiclient.cache
    import hapiclient.hapi  # the module, for sys.modules

    module = sys.modules["hapiclient.hapi"]
    assert "cachedir" in module.hapiopts.__code__.co_names
    assert module.cachedir is hapiclient.cache.cachedir or module.cachedir.__module__ == "spacehub.data.hapi_client"
    assert "hapiopts" in module.hapi.__code__.co_names
