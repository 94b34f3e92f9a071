"""The hub's shared read-through cache: each remote file is fetched once per hub, not once per user.

* Concurrent readers are safe: a per-URL file lock (``flock``) makes the second reader of a URL wait
  for the first one's download instead of starting its own, across threads and processes.
* Partial downloads are never visible: bytes go to ``tmp/`` and are renamed into place (atomic on
  one file system) only when complete and of the announced length.
* Least-recently-used files are evicted once the cache exceeds its size (a hit refreshes a file's
  mtime, which is the LRU clock).
* Only URLs that a catalog route names may be fetched: the cache is no open proxy.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import requests

RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchError(OSError):
    """A remote file that could not be fetched: says which URL and why."""

    def __init__(self, url: str, why: str, status: int | None = None):
        self.url, self.why, self.status = url, why, status
        super().__init__(f"{url}: {why}")


def route_patterns(entries: Iterable) -> list[re.Pattern]:
    """Regexes of every remote URL the catalog's routes can name (file templates, HAPI servers)."""
    patterns = []
    for entry in entries:
        for route in entry.routes:
            if route["kind"] == "files":
                patterns.append(re.compile(_template_regex(route["url"]) + r"\Z"))
                if "{version}" in route["url"]:  # its folder: listed to find the latest version
                    patterns.append(re.compile(_template_regex(route["url"].rsplit("/", 1)[0] + "/") + r"\Z"))
            elif route["kind"] == "hapi":
                patterns.append(re.compile(re.escape(route["server"].rstrip("/")) + r"/.*\Z"))
    return patterns


def _template_regex(template: str) -> str:
    out, pos = [], 0
    for m in re.finditer(r"\{(time:[^}]*|version)\}", template):
        out.append(re.escape(template[pos:m.start()]))
        out.append(r"[A-Za-z0-9._-]+?" if m.group(1) == "version" else _strftime_regex(m.group(1)[5:]))
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return "".join(out)


def _strftime_regex(fmt: str) -> str:
    codes = {"Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{2}", "d": r"\d{2}", "H": r"\d{2}", "M": r"\d{2}",
             "S": r"\d{2}", "j": r"\d{3}", "b": r"[A-Za-z]{3}", "B": r"[A-Za-z]+", "e": r"[ \d]\d", "%": "%"}
    return re.sub(r"%-?(.)|([^%]+)", lambda m: codes.get(m.group(1), ".+?") if m.group(1) else re.escape(m.group(2)), fmt)


class SharedCache:
    """A folder of remote files shared by every user of the hub.

    Parameters
    ----------
    root : the cache folder (``data/``, ``tmp/``, ``locks/`` inside).
    max_bytes : size above which the least recently used files are evicted.
    allowed : predicate on a URL; by default every URL matching a route of the catalog.
    """

    def __init__(self, root: str | Path, max_bytes: int = 20 * 2**30, allowed: Callable[[str], bool] | None = None,
                 timeout: float = 60.0, retries: int = 3, session: requests.Session | None = None):
        self.root = Path(root)
        for sub in ("data", "tmp", "locks"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.timeout, self.retries = timeout, retries
        self.session = session or requests.Session()
        if allowed is None:
            import spacehub.catalog

            patterns = route_patterns(spacehub.catalog.open())
            allowed = lambda url: any(p.match(url) for p in patterns)  # noqa: E731
        self.allowed = allowed

    def path_for(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode()).hexdigest()[:32]
        name = re.sub(r"[^A-Za-z0-9._-]", "_", url.rsplit("/", 1)[-1])[-80:]
        return self.root / "data" / f"{digest}-{name}"

    def fetch(self, url: str) -> Path:
        """The local path of ``url``'s bytes, downloading them once if needed."""
        if not self.allowed(url):
            raise PermissionError(f"{url}: not a route of the catalog; the shared cache only fetches catalogued data")
        path = self.path_for(url)
        if path.exists():
            os.utime(path)  # LRU clock
            return path
        with self._lock(path.name):
            if path.exists():  # fetched by whoever held the lock before us
                os.utime(path)
                return path
            self._download(url, path)
        self.evict()
        return path

    def listing(self, url: str) -> str:
        """The HTML index of an archive folder (not cached: folders gain files)."""
        if not self.allowed(url):
            raise PermissionError(f"{url}: not a folder of a catalog route")
        r = self.session.get(url, timeout=self.timeout)
        if r.status_code != 200:
            raise FetchError(url, f"HTTP {r.status_code} {r.reason}", r.status_code)
        return r.text

    def _download(self, url: str, path: Path) -> None:
        tmp = self.root / "tmp" / f"{path.name}.{os.getpid()}.part"
        delay = 0.5
        for attempt in range(1, self.retries + 1):
            try:
                with self.session.get(url, stream=True, timeout=self.timeout) as r:
                    if r.status_code in RETRY_STATUS and attempt < self.retries:
                        raise _Retry(f"HTTP {r.status_code}")
                    if r.status_code != 200:
                        raise FetchError(url, f"HTTP {r.status_code} {r.reason}", r.status_code)
                    expected = int(r.headers["Content-Length"]) if "Content-Length" in r.headers else None
                    size = 0
                    with open(tmp, "wb") as f:
                        for chunk in r.iter_content(1 << 20):
                            f.write(chunk)
                            size += len(chunk)
                        f.flush()
                        os.fsync(f.fileno())
                if expected is not None and size != expected:
                    raise _Retry(f"connection closed after {size} of {expected} bytes")
                os.replace(tmp, path)  # complete: now visible to every reader
                return
            except (_Retry, requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
                tmp.unlink(missing_ok=True)
                if attempt == self.retries:
                    raise FetchError(url, f"failed after {attempt} attempts: {e}") from None
                time.sleep(delay)
                delay *= 2
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise

    @contextmanager
    def _lock(self, name: str):
        with open(self.root / "locks" / f"{name}.lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def size(self) -> int:
        return sum(p.stat().st_size for p in (self.root / "data").iterdir())

    def evict(self) -> list[Path]:
        """Remove least recently used files until the cache fits ``max_bytes``; return what went."""
        with self._lock("evict"):
            files = sorted((p.stat().st_mtime, p.stat().st_size, p) for p in (self.root / "data").iterdir())
            total = sum(s for _, s, _ in files)
            gone = []
            for _, size, p in files:
                if total <= self.max_bytes:
                    break
                p.unlink(missing_ok=True)
                total -= size
                gone.append(p)
            return gone


class _Retry(Exception):
    pass


def default_cache() -> SharedCache:
    """The hub's cache: ``$SPACEHUB_CACHE_DIR`` / ``$SPACEHUB_CACHE_GIB`` (set for servers and the data
    service from the settings' ``cache`` section), else that section of the hub's settings."""
    root, gib = os.environ.get("SPACEHUB_CACHE_DIR"), os.environ.get("SPACEHUB_CACHE_GIB")
    if not root or not gib:
        from ..config import load_settings

        settings = load_settings()
        root = root or str(settings.cache.dir)
        gib = gib or str(settings.cache.size / 2**30)
    return _cache_for(root, float(gib))


@cache
def _cache_for(root: str, gib: float) -> SharedCache:
    # once per process: building the allowed routes opens the whole catalog (~0.2 s)
    return SharedCache(root, max_bytes=int(gib * 2**30))
