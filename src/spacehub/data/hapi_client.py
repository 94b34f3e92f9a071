"""hapiclient with this hub's token in a header, never in a URL.

hapiclient (the HAPI project's reference client) sends no headers of its own, and it names its
cache folders and its log lines after the request URL. A token in the URL would end up in notebook
outputs, in folder names under a shared ``/tmp`` and in the proxy's logs. :func:`authorize` instead
teaches hapiclient to send ``Authorization: token ...`` to one server's URLs (this hub's HAPI
service), and only to those; every other server gets hapiclient's own request unchanged.

The one hook into hapiclient, for 0.2.6 to 0.3.x: every request goes through
``hapiclient.util.urlopen(url, parse_json=False)``, which ``hapiclient.get`` imported by name
(``get_binary``/``get_csv`` call it without a cache), and ``info``/``catalog`` reach through
``hapiclient.util``. Both names are replaced by :func:`_urlopen`, which answers as the original does:
the urllib3 response, or the parsed JSON, or ``HAPIError`` with the server's HAPI status message
and the same "non-200 HTTP status (N)" text that :func:`spacehub.catalog.readers.hapi.http_status`
reads. ``tests/unit/test_hapi_client.py`` fails if hapiclient stops calling these names.

hapiclient caches under ``tempfile.gettempdir()/hapi-data`` by default (``hapiclient.cache.cachedir()``
with no arguments, read by ``hapiclient.hapi.hapiopts`` for every request, 0.3.x): a folder every
account shares, owned by whoever made it first, whose pickles hapiclient loads back with
``usecache=True``. :func:`use_private_cache` makes that default :func:`cache_folder`, the account's
own ``~/.cache/hapiclient`` (0700).
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_tokens: dict[str, str] = {}  # URL prefix (ends with "/") -> token sent to it
_original: Callable[..., Any] | None = None
_original_cachedir: Callable[..., str] | None = None


def cache_folder() -> Path:
    """hapiclient's cache folder for this account: ``~/.cache/hapiclient`` (not made here)."""
    return Path.home() / ".cache" / "hapiclient"


def private_cache_folder() -> Path:
    """:func:`cache_folder`, made if need be, with mode 0700; refused if another account owns it."""
    folder = cache_folder()
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise PermissionError(f"{folder} is not a folder of this account: hapiclient will not cache there; "
                              "remove it, and the next request makes it anew")
    if stat.S_IMODE(st.st_mode) != 0o700:
        folder.chmod(0o700)
    return folder


def use_private_cache() -> None:
    """Make hapiclient's default cache folder :func:`private_cache_folder`, never the shared temp dir.

    A ``cachedir=`` given to ``hapi()`` still wins.
    """
    import sys

    import hapiclient.cache
    import hapiclient.hapi  # the module, for sys.modules (the package's `hapi` is the function)

    global _original_cachedir
    with _lock:
        if hapiclient.cache.cachedir is not _cachedir:
            _original_cachedir = hapiclient.cache.cachedir
            hapiclient.cache.cachedir = _cachedir
        sys.modules["hapiclient.hapi"].cachedir = _cachedir  # type: ignore[attr-defined]  # imported by name


def _cachedir(*args: str) -> str:
    if args:  # cachedir(base, server): the server's folder under a base folder, as before
        assert _original_cachedir is not None
        return _original_cachedir(*args)
    return str(private_cache_folder())


def authorize(server: str, token: str) -> None:
    """Send ``token`` as a header with every hapiclient request to ``server`` and below it."""
    import hapiclient.get
    import hapiclient.util

    global _original
    with _lock:
        _tokens[server.rstrip("/") + "/"] = token
        if _original is None:
            _original = hapiclient.util.urlopen
            hapiclient.util.urlopen = _urlopen
            hapiclient.get.urlopen = _urlopen


def _token_for(url: str) -> str | None:
    for prefix, token in _tokens.items():
        if url.startswith(prefix) or url + "/" == prefix:
            return token
    return None


def _urlopen(url: str, parse_json: bool = False):
    token = _token_for(url)
    if token is None:
        assert _original is not None
        return _original(url, parse_json=parse_json)
    import urllib3
    from hapiclient.util import HAPIError

    try:
        res = urllib3.PoolManager(headers={"Authorization": f"token {token}"}).request(
            "GET", url, preload_content=False, retries=2)
    except urllib3.exceptions.HTTPError as e:  # hapiclient's "Failed to connect" family, as a HAPIError
        raise HAPIError(f"Failed to connect to: {url} ({type(e).__name__})") from e
    if res.status != 200:
        try:
            message = json.loads(res.read().decode("utf-8"))["status"]["message"]
        except (ValueError, KeyError, TypeError):
            message = "no HAPI status in the response body"
        raise HAPIError(f"Problem with {url}. Server responded with non-200 HTTP status ({res.status}) "
                        f"and error message: {message}")
    if parse_json:
        try:
            return json.loads(res.read().decode("utf-8"))
        except ValueError:
            raise HAPIError(f"Could not parse JSON from {url}") from None
    return res
