"""Credentials out of log lines: :func:`redact` on a line, :class:`RedactFilter` on log records, and
``python -m spacehub.redact PROGRAM [ARGS...]`` to run a program whose output goes through it.

What is replaced by ``[secret]``, keeping the rest of the line as it was:

- a value whose key names a credential: ``token=``, ``access_token=``, ``TOKEN%3D`` (any case, also
  URL-encoded), ``password=``, ``_xsrf=``, ``client_secret=``, ``api_key=``, OAuth's ``code=`` and
  ``state=`` in a query, the JSON form ``"token": "..."``;
- ``Authorization: token|bearer|jupyterhub X`` (the scheme stays) and the value of a ``Cookie`` header;
- the segment after ``/t/`` (also ``%2Ft%2F``), with or without a slash after it;
- a long random-looking word anywhere, such as a path segment or a query value: JupyterHub's API
  tokens are ``uuid4().hex`` (32 hex digits, ``jupyterhub.orm.new_token`` in 6.1), as are
  dask-gateway's cluster tokens and names, and ``secrets.token_urlsafe`` gives base64url. Any run
  of 32 or more hex digits, or of 32 or more base64url characters mixing upper case, lower case and
  digits, keeps its first 4 characters (the prefix JupyterHub itself logs, enough to tell clusters
  apart) and loses the rest. A UUID with its dashes (a kernel's id) is not random-looking here.

Imports nothing of spacehub: the hub, its services and the proxy's wrapper load it first thing.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

SECRET = "[secret]"

# a value ends at a delimiter of URLs, headers or prose, or at an encoded one (& space " ' / ?)
_VALUE = r"(?:%(?!26|20|22|27|2f|3f)|[^\s&;,\"'<>()%])+"
_KEY = r"[\w.-]*?(?:token|password|passwd|secret|xsrf|api_?key)[\w.-]*"
_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:([a-z]+)\s+)?[^\s\"',;]+", re.I),
     lambda m: f"{m[1]}{m[2] + ' ' if m[2] else ''}{SECRET}"),
    (re.compile(r"(\b(?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)[^\"'\n]+", re.I), rf"\1{SECRET}"),
    (re.compile(rf"(\b{_KEY}(?:=|%3d)){_VALUE}", re.I), rf"\1{SECRET}"),
    (re.compile(rf"((?:[?&]|%3f|%26)(?:code|state)(?:=|%3d)){_VALUE}", re.I), rf"\1{SECRET}"),
    (re.compile(rf"(\"{_KEY}\"\s*:\s*\")[^\"]+", re.I), rf"\1{SECRET}"),
    (re.compile(r"((?:/|%2f)t(?:/|%2f))(?:%(?!2f|3f|26|20)|[^/\s?#&\"'%])+", re.I), rf"\1{SECRET}"),
]
#: hex digits (JupyterHub's and dask-gateway's tokens), also as a part of a word (``dask-gateway-<hex>``)
_HEX = re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])")
#: base64url (``secrets.token_urlsafe``): random-looking when it mixes upper case, lower case and digits
_BASE64 = re.compile(r"(?<![\w-])[\w-]{32,}(?![\w-])")


def _hide(m: re.Match[str]) -> str:
    return m[0][:4] + SECRET


def _hide_random(m: re.Match[str]) -> str:
    word = m[0]
    mixed = any(c.isupper() for c in word) and any(c.islower() for c in word) and any(c.isdigit() for c in word)
    return word[:4] + SECRET if mixed else word


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``[secret]``.

    >>> redact("GET /services/data/hapi/data?id=omni&token=abc123 200")
    'GET /services/data/hapi/data?id=omni&token=[secret] 200'
    >>> redact("error: 503 GET /services/data/t/0123456789abcdef0123456789abcdef/hapi/catalog")
    'error: 503 GET /services/data/t/[secret]/hapi/catalog'
    """
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _BASE64.sub(_hide_random, _HEX.sub(_hide, text))


class RedactFilter(logging.Filter):
    """Redacts each record's message and traceback in place; never drops a record.

    On a handler (``logging_config``'s ``filters``) it sees every record the handler writes; through
    :func:`redact_logs` it sees every record of the process, whatever handlers come and go.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            clean = redact(text)
            if clean != text:  # else the handler's formatter formats it, as it would have
                record.exc_text = clean
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_logs() -> None:
    """Redact every log record this process makes from now on (a record factory: no handler can miss it)."""
    old = logging.getLogRecordFactory()
    if getattr(old, "redacts", False):
        return
    keep = RedactFilter()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = old(*args, **kwargs)
        keep.filter(record)
        return record

    factory.redacts = True  # type: ignore[attr-defined]  # marks the factory installed, once per process
    logging.setLogRecordFactory(factory)


# -- python -m spacehub.redact PROGRAM [ARGS...] ------------------------------------------------------

#: signals passed on to the program: how the hub stops its proxy (SIGTERM), Ctrl-C, a closed terminal
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # the program goes when this process goes, even by SIGKILL: a proxy left behind would hold its
    # ports against the next one (Linux; elsewhere the hub's `spacehub up` reaps it)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _pump(source, sink) -> None:
    for line in iter(source.readline, b""):
        text = line.decode("utf-8", "surrogateescape")
        sink.write(redact(text).encode("utf-8", "surrogateescape"))
        sink.flush()
    source.close()


def run(argv: list[str]) -> int:
    """Run ``argv`` with its stdout and stderr redacted line by line onto ours; return its exit status.

    Stands in for the program toward whoever started it: the signals in :data:`FORWARDED` go on to
    it, and this process exits as it did (by the same signal, if a signal ended it).
    """
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
    for signum in FORWARDED:
        signal.signal(signum, lambda signum, frame: child.send_signal(signum))
    pumps = [threading.Thread(target=_pump, args=(source, sink.buffer), daemon=True)
             for source, sink in ((child.stdout, sys.stdout), (child.stderr, sys.stderr))]
    for pump in pumps:
        pump.start()
    status = child.wait()
    for pump in pumps:
        pump.join(2)  # the program's own children might hold the pipes open: do not wait for them
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        raise SystemExit("usage: python -m spacehub.redact PROGRAM [ARGS...]")
    status = run(argv)
    if status < 0:  # ended by a signal: end the same way, as the hub expects of its proxy
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
