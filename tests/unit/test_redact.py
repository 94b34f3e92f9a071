"""Credentials never reach a log: every form the hub, its services and the proxy write them in is
redacted, ordinary lines are left as they were, and the proxy's wrapper behaves like the proxy."""

import logging
import secrets
import signal
import subprocess
import sys
import uuid

import pytest
from hubtools import wait_for

from spacehub.redact import SECRET, RedactFilter, redact, redact_logs

TOKEN = uuid.uuid4().hex  # a JupyterHub API token (jupyterhub.orm.new_token)
URLSAFE = "Ab3" + secrets.token_urlsafe(32)  # secrets.token_urlsafe, sure to mix cases and digits
SHORT = "s3cret-value"  # too short to look random: only its key tells it is a credential

HIDDEN = [
    # (line, what must stay) -- the credential is SHORT, TOKEN or URLSAFE
    (f"200 GET /services/data/hapi/data?id=omni&token={SHORT}&format=csv", "/hapi/data?id=omni&token=[secret]&format=csv"),
    (f"403 GET /hub/api/users?TOKEN={SHORT}", "/hub/api/users?TOKEN=[secret]"),
    (f"GET /hub/api/users?Access_Token={SHORT} 403", "?Access_Token=[secret] 403"),
    (f"next=%2Fhub%2Fapi%3Ftoken%3D{SHORT}%26x%3D1", "%3Ftoken%3D[secret]%26x%3D1"),
    (f"next=%2Fhub%2Fapi%3FToken%3d{SHORT}", "%3FToken%3d[secret]"),
    (f"Authorization: token {SHORT}", "Authorization: token [secret]"),
    (f"authorization: Bearer {SHORT}", "authorization: Bearer [secret]"),
    (f'{{"Authorization": "jupyterhub {SHORT}", "Host": "x"}}', '{"Authorization": "jupyterhub [secret]", "Host": "x"}'),
    (f"error: 503 GET /services/data/t/{SHORT}/hapi/catalog connect ECONNREFUSED",
     "/services/data/t/[secret]/hapi/catalog connect ECONNREFUSED"),
    (f"404 GET /services/data/t/{SHORT} (@127.0.0.1)", "/services/data/t/[secret] (@127.0.0.1)"),
    (f"404 GET /services/data/t/{SHORT}?id=x", "/services/data/t/[secret]?id=x"),
    (f"GET /services/data%2Ft%2F{SHORT}%2Fhapi", "/services/data%2Ft%2F[secret]%2Fhapi"),
    (f"GET /services/data/hapi/{TOKEN}/catalog", f"/services/data/hapi/{TOKEN[:4]}[secret]/catalog"),
    (f"GET /services/data/hapi/catalog?x={URLSAFE}", f"/hapi/catalog?x={URLSAFE[:4]}[secret]"),
    (f"Cluster dask-gateway-{TOKEN} started", f"Cluster dask-gateway-{TOKEN[:4]}[secret] started"),
    (f"POST /hub/login?next=%2Fhub%2F _xsrf={SHORT}&username=alice", "_xsrf=[secret]&username=alice"),
    (f"username=alice&password={SHORT}", "username=alice&password=[secret]"),
    (f"GET /hub/oauth_callback?code={SHORT}&state={SHORT}", "/hub/oauth_callback?code=[secret]&state=[secret]"),
    (f'{{"token": "{SHORT}", "name": "alice"}}', '{"token": "[secret]", "name": "alice"}'),
    (f"Cookie: jupyterhub-session-id={SHORT}; _xsrf={SHORT}", "Cookie: [secret]"),
]


@pytest.mark.parametrize(("line", "kept"), HIDDEN, ids=[kept[:40] for _, kept in HIDDEN])
def test_credentials_are_redacted(line, kept):
    out = redact(line)
    for credential in (SHORT, TOKEN, URLSAFE):
        assert credential not in out
    assert kept in out, out
    assert redact(out) == out  # redacting twice changes nothing


ORDINARY = [
    "[I 2026-12-03 10:22:28.123 JupyterHub app:3321] JupyterHub is now running at http://127.0.0.1:8000/",
    "200 GET /hub/api/users/alice (admin@127.0.0.1) 12.34ms",
    "201 POST /user/alice/api/kernels/5c2a9e1b-7d3f-4e6a-9b1c-2d3e4f5a6b7c/channels (alice@127.0.0.1) 3.10ms",
    "200 GET /services/data/hapi/data?id=omni_hro_1min&parameters=SYM_H&time.min=2015-03-17T00:00:00Z 51.0ms",
    "spacehub is ready at http://127.0.0.1:8000/ - log in as admin with the password in /srv/state/secrets/admin_password",
    "Adding API token for service: data",
    "[ConfigProxy] warn: 404 GET /no-such-page",
    "tests/unit/test_hapi_client.py::test_token_goes_in_a_header_and_nowhere_else PASSED",
    "Starting dask-gateway-server - version 2025.4.0",
    "/work/main/.venv/lib/python3.11/site-packages/jupyterhub/app.py:3321",
    "the token goes in an Authorization header",
    "",
]


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_lines_are_unchanged(line):
    assert redact(line) == line


def test_filter_redacts_message_arguments_and_traceback():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d GET %s", (200, f"/hapi/catalog?token={SHORT}"), None)
    assert RedactFilter().filter(record) is True
    assert record.getMessage() == "200 GET /hapi/catalog?token=[secret]"
    try:
        raise ValueError(f"bad /services/data/t/{SHORT}/hapi")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactFilter().filter(record)
    text = logging.Formatter().format(record)
    assert SHORT not in text and f"/t/{SECRET}/hapi" in text and "Traceback" in text


def test_every_record_of_the_process_is_redacted(caplog):
    old = logging.getLogRecordFactory()
    try:
        redact_logs()
        redact_logs()  # once only
        with caplog.at_level(logging.INFO, logger="tornado.access"):
            logging.getLogger("tornado.access").info("403 GET %s", f"/hub/api/users?token={SHORT}")
        assert caplog.messages == ["403 GET /hub/api/users?token=[secret]"]
    finally:
        logging.setLogRecordFactory(old)


def printing(code: str) -> list[str]:
    return [sys.executable, "-m", "spacehub.redact", sys.executable, "-u", "-c", code]


def test_wrapper_redacts_both_streams_and_exits_with_the_code():
    code = (f"import sys; print('GET /services/data/t/{SHORT}/hapi ok'); "
            f"print('err ?token={SHORT}', file=sys.stderr); sys.exit(3)")
    done = subprocess.run(printing(code), capture_output=True, text=True, timeout=30)
    assert done.returncode == 3
    assert done.stdout == f"GET /services/data/t/{SECRET}/hapi ok\n"
    assert done.stderr == f"err ?token={SECRET}\n"


def test_wrapper_passes_sigterm_on_and_ends_like_the_program():
    """The hub stops its proxy with SIGTERM to the pid it started: the wrapper's."""
    import psutil

    code = "import signal, sys, time; print('ready', flush=True); signal.pause()"
    wrapper = subprocess.Popen(printing(code), stdout=subprocess.PIPE, text=True)
    assert wrapper.stdout.readline() == "ready\n"
    program = wait_for(lambda: psutil.Process(wrapper.pid).children(), 10, what="the wrapped program")[0]
    wrapper.send_signal(signal.SIGTERM)
    assert wrapper.wait(10) == -signal.SIGTERM  # as if the proxy itself had been terminated
    assert psutil.wait_procs([program], timeout=5)[1] == []


def test_program_dies_with_a_killed_wrapper():
    import psutil

    code = "import signal; print('ready', flush=True); signal.pause()"
    wrapper = subprocess.Popen(printing(code), stdout=subprocess.PIPE, text=True)
    assert wrapper.stdout.readline() == "ready\n"
    program = psutil.Process(wrapper.pid).children()[0]
    wrapper.kill()
    wrapper.wait(10)
    assert psutil.wait_procs([program], timeout=5)[1] == []  # no proxy left holding the ports
