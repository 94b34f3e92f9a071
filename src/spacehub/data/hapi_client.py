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
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_tokens: dict[str, str] = {}  # URL prefix (ends with "/") -> token sent to it
_original: Callable[..., Any] | None = None


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
