"""The HAPI service given whatever a client may send: every answer a HAPI status, an input error a
14xx, never a 500, a traceback or a hang.

Two layers: generated queries straight to the protocol (`HAPIServer`), thousands of them quickly;
and raw query strings (repeated keys, percent-escapes of any byte, unicode) through the real tornado
application on a loopback port, as a client's bytes arrive.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests
from hubtools import served
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import spacehub.catalog
from spacehub.services.data.app import make_app
from spacehub.services.data.hapi import HAPIError, HAPIServer

ENDPOINTS = ["about", "capabilities", "catalog", "info", "data"]
KEYS = ["dataset", "id", "parameters", "start", "stop", "time.min", "time.max", "format", "include"]
DATASETS = ["omni_hro_1min", "ac_h0_mfi", "dst_kyoto", "goes_xrs_flx1s", "kepler_llc", "no_such"]
VARIABLES = ["Time", "SYM_H", "BZ_GSM", "F", "BGSEc", "DST", "xrsb", ""]
TIMES = ["2015-03-17", "2015-03-17T00:00:00Z", "2015-03-18T00:00Z", "2015-076", "2015-076T12:00Z", "1981-001",
         "2262-04-12", "2599-10-05Z", "1600-01-01", "2015-13-01", "2015-02-30", "2015-000", "2015-366",
         "now", "", "T", "2015-03-17T25:00", "+002015-03-17", "٢٠١٥-03-17", "2015-03-17\x00", "9" * 400]

times = st.one_of(st.sampled_from(TIMES), st.text(max_size=30),
                  st.datetimes().map(lambda t: t.isoformat() + "Z"))
parameters = st.one_of(st.lists(st.sampled_from(VARIABLES), max_size=4).map(",".join), st.text(max_size=20))
values = st.one_of(st.sampled_from(DATASETS), times, parameters, st.sampled_from(["csv", "binary", "json", "header"]),
                   st.text(max_size=40))
queries = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)),
                          st.one_of(values, st.sampled_from(DATASETS)), max_size=6)
# queries a client is likely to send, nearly valid: where most of the service's own code runs
nearly = st.fixed_dictionaries({"dataset": st.sampled_from(DATASETS), "start": times, "stop": times},
                               optional={"parameters": parameters, "format": st.sampled_from(["csv", "binary", "x"]),
                                         "include": st.sampled_from(["header", "all"])})


@pytest.fixture(scope="module")
def server(sample_dir):
    import os

    os.environ["SPACEHUB_SAMPLE_DATA"] = str(sample_dir)
    return HAPIServer(spacehub.catalog.open(), time_cache_bytes=0)


def answer(server: HAPIServer, endpoint: str, query: dict) -> int:
    """The HAPI status code of ``query`` at ``endpoint``; anything but the service's own error fails."""
    call = {"about": server.about, "capabilities": server.capabilities, "catalog": server.catalog_list,
            "info": server.info, "data": server.data}[endpoint]
    try:
        got = call(query)
    except HAPIError as e:
        assert 1400 <= e.code <= 1411, f"{endpoint}?{query} -> {e}"  # the client's mistake, said so
        assert e.detail, f"{endpoint}?{query}: HAPI {e.code} without saying what is wrong"
        return e.code
    assert got.http == 200 and got.code in (1200, 1201)
    return got.code


FUZZ = settings(max_examples=1200, deadline=2000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), query=queries)
@example(endpoint="data", query={"dataset": "omni_hro_1min", "start": "2015-03-17", "stop": "2015-03-18",
                                 "parameters": ","})
@example(endpoint="data", query={"dataset": "omni_hro_1min", "start": "1981-01-01", "stop": "2262-01-01"})
@example(endpoint="info", query={"dataset": "omni_hro_1min", "parameters": "SYM_H,,F"})
def test_any_query_gets_a_hapi_answer(server, endpoint, query):
    answer(server, endpoint, query)


@FUZZ
@given(query=nearly)
def test_nearly_valid_data_requests(server, query):
    answer(server, "data", query)


raw_value = st.one_of(st.text(max_size=30).map(lambda t: quote(t, safe="")),
                      st.binary(max_size=8).map(lambda b: "".join(f"%{byte:02X}" for byte in b)),
                      st.sampled_from(["%", "%G0", "%00", "%FF%FE", "+", "&", "="]))
raw_query = st.lists(st.tuples(st.one_of(st.sampled_from(KEYS), st.text(max_size=8).map(lambda t: quote(t, safe=""))),
                               st.one_of(st.sampled_from(DATASETS + TIMES[:4]).map(lambda t: quote(t, safe="")),
                                         raw_value)),
                     max_size=6).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))


@pytest.fixture(scope="module")
def service(server):
    url, loop = served(make_app(public=True, catalog=server.catalog, time_cache_bytes=0), "/services/data/hapi")
    yield url
    loop.call_soon_threadsafe(loop.stop)


@settings(max_examples=400, deadline=5000, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS + ["", "dat", "../about"]), query=raw_query)
@example(endpoint="data", query="dataset=omni_hro_1min&dataset=ac_h0_mfi&start=2015-03-17&stop=2015-03-18")
@example(endpoint="info", query="dataset=%FF%FE")
@example(endpoint="about", query="%=%")
def test_raw_query_strings_through_the_service(service, endpoint, query):
    r = requests.get(f"{service}/{endpoint}?{query}", timeout=30)
    assert r.status_code in (200, 400, 404), f"{endpoint}?{query}: {r.status_code} {r.text[:300]}"
    if r.status_code != 200:
        status = json.loads(r.text)["status"]  # a HAPI answer, not a page
        assert 1400 <= status["code"] <= 1411 and status["message"], status
    assert "Traceback" not in r.text
