"""git for the tests: commands with an instructor's identity, and bare repositories served over HTTP
on this machine by git's own ``http-backend`` (the smart protocol, as a forge speaks it)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GIT = {"GIT_AUTHOR_NAME": "Ada Instructor", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada Instructor", "GIT_COMMITTER_EMAIL": "ada@example.org"}


def git(*args: str, cwd: Path) -> str:
    run = subprocess.run(["/usr/bin/git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


class GitBackend(BaseHTTPRequestHandler):
    """git's smart HTTP protocol: each request handed to ``git http-backend`` (CGI), as a web server would."""

    def do_GET(self):
        self._backend()

    def do_POST(self):
        self._backend()

    def _backend(self):
        path, _, query = self.path.partition("?")
        if path.startswith("/private/"):  # a repository behind a password
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="lessons"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {"GIT_PROJECT_ROOT": str(self.server.root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path,
               "QUERY_STRING": query, "REQUEST_METHOD": self.command, "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "REMOTE_ADDR": "127.0.0.1",
               "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "PATH": "/usr/bin:/bin"}
        out = subprocess.run(["/usr/bin/git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            else:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def served(root: Path):
    """The bare repositories under ``root`` at ``http://127.0.0.1:PORT/NAME.git``, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitBackend)
    server.root = root
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
