"""HAPI routes read through hapiclient from a real HAPI server (the hub's data service on a loopback
port), and what happens when a server misbehaves: a front server on another port forwards to it,
or answers with errors and garbage, and counts the requests."""

import dataclasses
import http.server
import threading

import numpy as np
import pytest
import requests
from hubtools import free_port

import spacehub.catalog
from spacehub.catalog.readers import CorruptFile, ReadError, RemoteUnavailable
from spacehub.catalog.readers.hapi import http_status, read_hapi, transport_failed

START, STOP = "2015-03-17", "2015-03-18"


class Front:
    """A HAPI front server: forwards to ``upstream`` after ``failures`` canned answers to /data."""

    def __init__(self, upstream: str, failures: list[tuple[int, bytes]] | None = None):
        self.upstream, self.failures, self.requests = upstream, list(failures or []), []
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                front.requests.append(self.path)
                if "/data" in self.path and front.failures:
                    status, body = front.failures.pop(0)
                else:
                    r = requests.get(front.upstream + self.path.split("/hapi", 1)[1], timeout=30)
                    status, body = r.status_code, r.content
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hapi"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def data_requests(self) -> int:
        return sum("/data" in p for p in self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def front(hapi_service):
    servers = []

    def make(failures=None):
        servers.append(Front(hapi_service, failures))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture(scope="module")
def omni(sample_dir):
    entry = spacehub.catalog.open().omni_hro_1min
    return entry, entry.read(START, STOP, ["SYM_H", "BZ_GSM"], sample_dir=sample_dir)


def test_hapi_route_reads_what_the_files_hold(omni, hapi_service, monkeypatch):
    entry, expected = omni
    local = dataclasses.replace(entry, routes=({"kind": "hapi", "server": hapi_service, "id": entry.id},))
    monkeypatch.delenv("SPACEHUB_OFFLINE")
    got = local.read(START, STOP, ["SYM_H", "BZ_GSM"], route="hapi")
    np.testing.assert_array_equal(got.time.values, expected.time.values)
    np.testing.assert_allclose(got.SYM_H.values, expected.SYM_H.values, equal_nan=True)
    assert np.isnan(got.BZ_GSM.values).sum() == np.isnan(expected.BZ_GSM.values).sum() > 0  # fills masked
    assert got.SYM_H.attrs["units"] == "nT" and got.attrs["hapi_dataset"] == "omni_hro_1min"
    assert got.attrs["provenance_route"] == f"hapi:{hapi_service}?id=omni_hro_1min"


def test_vector_parameters_get_a_component_dimension(sample_dir, hapi_service):
    got = read_hapi(hapi_service, "ac_h0_mfi", "2015-03-17T04:00", "2015-03-17T05:00", ["BGSEc"])
    assert got.BGSEc.dims == ("time", "BGSEc_dim1") and got.BGSEc.shape[1] == 3
    assert got.time.size == 60 * 60 / 16  # ACE MFI H0: 16-s cadence


def test_server_errors_are_retried(omni, front):
    _, expected = omni
    server = front([(503, b"busy"), (500, b'{"HAPI": "3.1", "status": {"code": 1500, "message": "Internal server error"}}')])
    got = read_hapi(server.url, "omni_hro_1min", START, STOP, ["SYM_H"], backoff=0.01)
    np.testing.assert_allclose(got.SYM_H.values, expected.SYM_H.values, equal_nan=True)
    assert server.data_requests() == 3


def test_persistent_failure_is_a_clear_error(front):
    server = front([(503, b"busy")] * 3)
    with pytest.raises(ReadError, match=r"omni_hro_1min: HAPI request failed after 3 attempt\(s\).*503") as e:
        read_hapi(server.url, "omni_hro_1min", START, STOP, ["SYM_H"], backoff=0.01)
    assert server.data_requests() == 3
    assert isinstance(e.value, RemoteUnavailable)


def test_request_errors_are_not_retried(hapi_service, front):
    server = front()
    with pytest.raises(ReadError, match="unknown dataset id") as e:  # HAPI 1406, HTTP 404
        read_hapi(server.url, "no_such_dataset", START, STOP, backoff=0.01)
    assert "no_such_dataset" in str(e.value) and not isinstance(e.value, RemoteUnavailable)
    assert sum("/info" in p for p in server.requests) == 1  # asked once, not retried


def test_client_errors_are_not_retried(front):
    server = front([(404, b'{"HAPI": "3.1", "status": {"code": 1406, "message": "Bad request - unknown dataset id"}}')])
    with pytest.raises(ReadError, match="failed after 1 attempt") as e:
        read_hapi(server.url, "omni_hro_1min", START, STOP, ["SYM_H"], backoff=0.01)
    assert server.data_requests() == 1 and not isinstance(e.value, RemoteUnavailable)


def test_hapiclient_failures_are_told_apart_by_status_and_type(front):
    """What the retry decision relies on in hapiclient: the HTTP status of an answer in its error, and
    urllib3's exception as the error's context when there was no answer. Fails if hapiclient changes."""
    from hapiclient.util import HAPIError, urlopen

    server = front([(503, b"busy")])
    with pytest.raises(HAPIError) as answered:
        urlopen(server.url + "/data?dataset=omni_hro_1min")
    assert http_status(answered.value) == 503 and not transport_failed(answered.value)
    port = free_port()  # nothing listens there
    with pytest.raises(HAPIError) as unanswered:
        urlopen(f"http://127.0.0.1:{port}/hapi/data?dataset=x")
    assert http_status(unanswered.value) is None and transport_failed(unanswered.value)


def test_unreachable_server_is_remote_unavailable():
    with pytest.raises(RemoteUnavailable, match="failed after 2 attempt"):
        read_hapi(f"http://127.0.0.1:{free_port()}/hapi", "omni_hro_1min", START, STOP, retries=2, backoff=0.01)


def test_malformed_response_is_a_clear_error(front):
    server = front([(200, b"\x00garbage that is not HAPI binary")])
    with pytest.raises(CorruptFile, match="omni_hro_1min: malformed HAPI response"):
        read_hapi(server.url, "omni_hro_1min", START, STOP, ["SYM_H"], backoff=0.01)


def test_offline_refuses_remote_hapi_reads():
    entry = spacehub.catalog.open().omni_hro_1min
    with pytest.raises(ReadError, match="SPACEHUB_OFFLINE"):
        entry.read(START, STOP, ["SYM_H"], route="hapi")


def test_unknown_route_named():
    entry = spacehub.catalog.open().kp_gfz
    with pytest.raises(ValueError, match=r"kp_gfz has no 'hapi' route \(it has: sample"):
        entry.read(START, STOP, route="hapi")
