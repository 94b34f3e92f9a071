"""The hub's shared read-through cache: each remote file is fetched once per hub, not once per user.

* Concurrent readers are safe: a per-URL file lock (``flock``) makes the second reader of a URL wait
  for the first one's download instead of starting its own, across threads and processes.
* Partial downloads are never visible: bytes go to ``tmp/`` and are renamed into place (atomic on
  one file system) only when complete and of the announced length.
* Least-recently-used files are evicted once the cache exceeds its size (a hit refreshes a file's
  mtime, which is the LRU clock).
* Only URLs that a catalog route names may be fetched: the cache is no open proxy.
* Where users may not write the hub's cache (isolated mode: only the hub's account fills it, so no
  user can plant a file another user reads), a user's reads find its files there and download the
  others into a cache of their own (``shared``: the folders read, never written).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchError(OSError):
    """A remote file that could not be fetched: says which URL and why."""

    def __init__(self, url: str, why: str, status: int | None = None):
        self.url, self.why, self.status = url, why, status
        super().__init__(f"{url}: {why}")


class SharedCache:
    """A folder of remote files shared by every user of the hub.

    Parameters
    ----------
    root : the cache folder (``data/``, ``tmp/``, ``locks/`` inside).
    max_bytes : size above which the least recently used files are evicted.
    allowed : predicate on a URL: the catalog that reads through the cache hands over its own
        (``Catalog.allows``), so the cache fetches only what that catalog's routes name.
    shared : caches filled by others, looked in before downloading (read only).
    """

    def __init__(self, root: str | Path, max_bytes: int = 20 * 2**30, *, allowed: Callable[[str], bool],
                 timeout: float = 60.0, retries: int = 3, session: requests.Session | None = None,
                 shared: Sequence[str | Path] = ()):
        self.root = Path(root)
        self.shared = [Path(p) for p in shared]
        for sub in ("data", "tmp", "locks"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.timeout, self.retries = timeout, retries
        self.session = session or requests.Session()
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
        for folder in self.shared:  # read-only caches filled by others (the hub's, in isolated mode)
            there = folder / "data" / path.name
            if there.exists():
                return there
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
