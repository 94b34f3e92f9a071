"""The HAPI data service as a real process on a loopback port (public mode: the hub's login is
tested in tests/integration): every endpoint, both formats, the error codes, and hapiclient reading
the same values as Entry.read."""

import json
import os

import numpy as np
import pytest
import requests
from hubtools import served

import spacehub.catalog
from spacehub.catalog import CorruptFile, NoData, RemoteUnavailable

START, STOP = "2015-03-17T00:00:00Z", "2015-03-18T00:00:00Z"


@pytest.fixture(scope="module")
def hapi(hapi_service):
    return hapi_service


@pytest.fixture(scope="module")
def expected(sample_dir):
    os.environ["SPACEHUB_SAMPLE_DATA"] = str(sample_dir)
    return spacehub.catalog.open().omni_hro_1min.read(START, STOP, ["SYM_H", "BZ_GSM"])


def get(url, **params):
    return requests.get(url, params=params, timeout=30)


def test_about_capabilities_catalog(hapi):
    about = get(hapi + "/about").json()
    assert about["HAPI"] == "3.1" and about["status"]["code"] == 1200 and about["id"] == "spacehub"
    assert get(hapi + "/capabilities").json()["outputFormats"] == ["csv", "binary"]
    ids = {d["id"] for d in get(hapi + "/catalog").json()["catalog"]}
    assert {"omni_hro_1min", "ac_h0_mfi", "goes_xrs_flx1s", "dst_kyoto"} <= ids
    assert "dampe_events" not in ids and "dampe_electron_flux_2017" not in ids  # not time series


def test_info(hapi):
    info = get(hapi + "/info", dataset="omni_hro_1min").json()
    names = [p["name"] for p in info["parameters"]]
    assert names[:3] == ["Time", "F", "BX_GSE"] and "SYM_H" in names
    assert info["parameters"][0] == {"name": "Time", "type": "isotime", "units": "UTC", "fill": None, "length": 24}
    assert info["startDate"] == "1981-01-01T00:00:00.000Z" and info["cadence"] == "PT1M"
    sub = get(hapi + "/info", id="omni_hro_1min", parameters="BZ_GSM,SYM_H").json()  # HAPI 2 `id` still works
    assert [p["name"] for p in sub["parameters"]] == ["Time", "BZ_GSM", "SYM_H"]


def test_data_binary_equals_read(hapi, expected):
    r = get(hapi + "/data", dataset="omni_hro_1min", parameters="BZ_GSM,SYM_H", start=START, stop=STOP,
            format="binary")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/octet-stream"
    rec = np.frombuffer(r.content, dtype=[("Time", "S24"), ("BZ_GSM", "<f8"), ("SYM_H", "<f8")])
    assert len(rec) == 1440
    assert rec["Time"][0] == b"2015-03-17T00:00:00.000Z" and rec["Time"][-1] == b"2015-03-17T23:59:00.000Z"
    np.testing.assert_array_equal(rec["SYM_H"], expected.SYM_H.values.astype(float))
    np.testing.assert_array_equal(rec["BZ_GSM"], expected.BZ_GSM.values.astype(float))  # NaN where filled


def test_data_csv_and_header(hapi, expected):
    r = get(hapi + "/data", dataset="omni_hro_1min", parameters="BZ_GSM,SYM_H", start=START, stop=STOP,
            include="header")
    lines = r.text.splitlines()
    header = json.loads("\n".join(line[1:] for line in lines if line.startswith("#")))
    assert header["format"] == "csv" and header["status"]["code"] == 1200
    rows = [line.split(",") for line in lines if not line.startswith("#")]
    assert len(rows) == 1440 and rows[0][0] == "2015-03-17T00:00:00.000Z"
    np.testing.assert_allclose([float(r[2]) for r in rows], expected.SYM_H.values, rtol=1e-7)
    bz = np.array([float(r[1]) for r in rows])
    assert np.isnan(bz).sum() == int(expected.BZ_GSM.isnull().sum())


@pytest.mark.parametrize("params, code, http", [
    ({"dataset": "no_such_dataset", "start": START, "stop": STOP}, 1406, 404),
    ({"dataset": "omni_hro_1min", "start": "soon", "stop": STOP}, 1402, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": "later"}, 1403, 400),
    ({"dataset": "omni_hro_1min", "start": STOP, "stop": START}, 1404, 400),
    ({"dataset": "omni_hro_1min", "start": "1970-01-01Z", "stop": "1970-01-02Z"}, 1405, 400),
    # datetime64[ns] cannot hold these: refused, never wrapped round to data of 2015
    ({"dataset": "omni_hro_1min", "start": "2599-10-05Z", "stop": "2599-10-06Z"}, 1402, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": "2599-10-06Z"}, 1403, 400),
    ({"dataset": "omni_hro_1min", "start": "1600-01-01Z", "stop": STOP}, 1402, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": STOP, "parameters": "Bz"}, 1407, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": STOP, "parameters": "SYM_H,BZ_GSM"}, 1411, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": STOP, "format": "json"}, 1409, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": STOP, "include": "all"}, 1410, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": STOP, "colour": "red"}, 1401, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": STOP, "parameters": ","}, 1407, 400),
    ({"dataset": "omni_hro_1min", "start": START, "stop": STOP, "parameters": "SYM_H,"}, 1407, 400),
    # 1981 to 2262 at 1 min: about 148 million records, past the 20 million values a request may ask for
    ({"dataset": "omni_hro_1min", "start": "1981-01-01Z", "stop": "2262-01-01Z"}, 1408, 400),
])
def test_data_errors(hapi, params, code, http):
    r = get(hapi + "/data", **params)
    assert r.status_code == http
    assert r.json()["status"]["code"] == code


@pytest.mark.parametrize("path", ["/t/0123456789abcdef0123456789abcdef/hapi/catalog",
                                  "/t/0123456789abcdef0123456789abcdef", "/hapi/catalog?token=abc", "/hapi/info?id=x&TOKEN=abc"])
def test_a_token_in_the_url_is_refused_with_what_to_do(hapi, path):
    """No credential in a URL: the former path form and ?token= are told to use the header."""
    r = requests.get(hapi.removesuffix("/hapi") + path, timeout=30)
    assert r.status_code == 400
    status = r.json()["status"]
    assert status["code"] == 1400 and "Authorization: token" in status["message"]
    assert "spacehub.data.hapi_server()" in status["message"]


def test_no_data_for_range(hapi):
    r = get(hapi + "/data", dataset="omni_hro_1min", start="2019-01-01Z", stop="2019-01-02Z", include="header")
    assert r.status_code == 200
    header = json.loads("\n".join(line[1:] for line in r.text.splitlines()))
    assert header["status"]["code"] == 1201
    assert get(hapi + "/data", dataset="omni_hro_1min", start="2019-01-01Z", stop="2019-01-02Z").content == b""


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_hapiclient_reads_same_values(hapi, expected, tmp_path, fmt):
    from hapiclient import hapi as hapi_client

    data, meta = hapi_client(hapi, "omni_hro_1min", "BZ_GSM,SYM_H", START, STOP,
                             format=fmt, cachedir=str(tmp_path), usecache=False, logging=False)
    assert len(data) == 1440
    np.testing.assert_allclose(data["SYM_H"], expected.SYM_H.values, rtol=1e-7)
    np.testing.assert_allclose(data["BZ_GSM"], expected.BZ_GSM.values, rtol=1e-7, equal_nan=True)


def test_hapi_server_url_for_notebooks(monkeypatch):
    from spacehub.data import hapi_server

    monkeypatch.setenv("SPACEHUB_HAPI_URL", "http://127.0.0.1:8000/services/data/hapi")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "abc123")
    assert hapi_server() == "http://127.0.0.1:8000/services/data/hapi"  # the token goes in a header
    monkeypatch.delenv("SPACEHUB_HAPI_URL")
    with pytest.raises(RuntimeError, match="not a notebook server of a spacehub"):
        hapi_server()


def test_fits_light_curves_served(hapi, sample_dir):
    entry = spacehub.catalog.open().kepler_llc
    local = entry.read("2009-05-01", "2009-07-01", ["PDCSAP_FLUX"], sample_dir=sample_dir)
    t0, t1 = str(local.time.values[10])[:23] + "Z", str(local.time.values[60])[:23] + "Z"
    r = get(hapi + "/data", dataset="kepler_llc", parameters="PDCSAP_FLUX", start=t0, stop=t1)
    rows = [line.split(",") for line in r.text.strip().splitlines()]
    assert len(rows) == 50
    np.testing.assert_allclose([float(v) for _, v in rows], local.PDCSAP_FLUX.values[10:60], rtol=1e-6)


def test_day_of_year_times_accepted(hapi, expected):
    r = get(hapi + "/data", dataset="omni_hro_1min", start="2015-076T00:00Z", stop="2015-077", parameters="SYM_H")
    assert r.status_code == 200
    assert len(r.text.splitlines()) == expected.time.size


@pytest.mark.parametrize("error, code", [
    (NoData("x.cdf", "nothing in this range"), 1201),
    (RemoteUnavailable("https://archive.example/x.cdf", "HTTP 503 after 3 attempts"), 1501),
    (CorruptFile("x.cdf", "the file is truncated"), 1500),
])
def test_read_errors_decide_the_status_by_type(monkeypatch, error, code):
    from spacehub.catalog.model import Entry
    from spacehub.services.data.hapi import HAPIError, HAPIServer

    def read(self, *args, **kwargs):
        raise error

    server = HAPIServer(spacehub.catalog.open())
    monkeypatch.setattr(Entry, "read", read)
    query = {"dataset": "omni_hro_1min", "start": START, "stop": STOP, "include": "header"}
    try:
        answer = server.data(query)
        got = json.loads("\n".join(line[1:] for line in answer.body.decode().splitlines()))["status"]["code"]
        assert answer.code == got and answer.reason == "HAPI 1201 OK - no data for time range"
    except HAPIError as e:
        got = e.code
        assert f"HAPI error {code}: " in json.loads(e.answer().body)["status"]["message"]
    assert got == code


def test_an_error_body_names_the_file_not_the_servers_folders(monkeypatch, sample_dir):
    from spacehub.catalog.model import Entry
    from spacehub.services.data.hapi import HAPIServer

    def read(self, *args, **kwargs):
        raise CorruptFile(sample_dir / "omni" / "omni_hro_1min_20150301_v01.cdf", "the file is truncated")

    monkeypatch.setattr(Entry, "read", read)
    with pytest.raises(Exception) as e:
        HAPIServer(spacehub.catalog.open()).data({"dataset": "omni_hro_1min", "start": START, "stop": STOP})
    body = e.value.answer().body.decode()
    assert "omni_hro_1min_20150301_v01.cdf" in body and str(sample_dir) not in body and "/omni/" not in body


def test_variables_on_a_second_time_axis_are_a_dataset_of_their_own(hapi):
    """Wind MFI's files put the 3-s field on Epoch3: every parameter of each dataset reads in one request."""
    ids = {d["id"] for d in get(hapi + "/catalog").json()["catalog"]}
    assert {"wi_h0_mfi", "wi_h0_mfi@Epoch3"} <= ids
    three = get(hapi + "/info", dataset="wi_h0_mfi@Epoch3").json()
    assert [p["name"] for p in three["parameters"]] == ["Time", "B3F1", "B3GSE", "B3GSM"] and three["cadence"] == "PT3S"
    assert "B3F1" not in [p["name"] for p in get(hapi + "/info", dataset="wi_h0_mfi").json()["parameters"]]
    hour = dict(start="2015-03-17T00:00:00Z", stop="2015-03-17T01:00:00Z")
    one_min = get(hapi + "/data", dataset="wi_h0_mfi", **hour)
    three_s = get(hapi + "/data", dataset="wi_h0_mfi@Epoch3", **hour)
    assert one_min.status_code == three_s.status_code == 200
    assert len(one_min.text.splitlines()) == 60 and len(three_s.text.splitlines()) == 1200
    assert len(three_s.text.splitlines()[0].split(",")) == 1 + 1 + 3 + 3


def test_metadata_says_where_to_look_first_and_stays_the_same(hapi):
    info = get(hapi + "/info", dataset="omni_hro_1min").json()
    first, last = (np.datetime64(info[k].rstrip("Z")) for k in ("sampleStartDate", "sampleStopDate"))
    assert np.datetime64(info["startDate"].rstrip("Z")) <= first < last <= first + np.timedelta64(1, "D")
    data = get(hapi + "/data", dataset="omni_hro_1min", parameters="SYM_H", start=info["sampleStartDate"],
               stop=info["sampleStopDate"])
    assert len(data.text.splitlines()) == 1440
    # a dataset still delivering ends today at 00:00 UTC, in every answer of the day
    assert info["stopDate"] == str(np.datetime64("now", "D")) + "T00:00:00.000Z"
    again = get(hapi + "/info", dataset="omni_hro_1min")
    assert again.json() == info and again.headers["Last-Modified"]


def test_browsers_elsewhere_may_read_and_people_find_a_landing_page(hapi):
    about = get(hapi + "/about")
    assert about.headers["Access-Control-Allow-Origin"] == "*" and "GET" in about.headers["Access-Control-Allow-Methods"]
    bare = requests.get(hapi, allow_redirects=False, timeout=30)
    assert bare.status_code == 302 and bare.headers["Location"].endswith("/hapi/")
    page = get(hapi + "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'href="info?dataset=omni_hro_1min"' in page.text
    nothing = get(hapi + "/data", dataset="omni_hro_1min", start="2015-03-17T00:00:00.001Z",
                  stop="2015-03-17T00:00:00.002Z")
    assert nothing.status_code == 200 and nothing.content == b"" and nothing.reason == "HAPI 1201 OK - no data for time range"


def test_a_request_too_large_is_told_the_limit_and_what_to_ask_instead(hapi):
    r = get(hapi + "/data", dataset="omni_hro_1min", parameters="SYM_H", start="1981-01-01Z", stop="2262-01-01Z")
    message = r.json()["status"]["message"]
    assert r.status_code == 400 and r.json()["status"]["code"] == 1408
    assert "at most 20,000,000 values per request" in message and "ask for at most" in message
    # the largest range the message suggests is answered
    days = float(message.split("ask for at most ")[1].split(" days")[0].replace(",", ""))
    stop = np.datetime64("2015-01-01") + np.timedelta64(int(days * 86400) - 60, "s")
    ok = get(hapi + "/data", dataset="omni_hro_1min", parameters="SYM_H", start="2015-01-01Z", stop=f"{stop}Z",
             format="binary")
    assert ok.status_code == 200


def test_a_slow_read_holds_up_nobody_and_a_failing_one_only_itself(monkeypatch, sample_dir):
    import threading

    from spacehub.catalog.model import Entry
    from spacehub.services.data.app import make_app

    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    reading, release = threading.Event(), threading.Event()
    real_read = Entry.read

    def read(self, start, stop, *args, **kwargs):
        if self.id == "ac_h0_mfi":  # the slow one: years of data
            reading.set()
            assert release.wait(30)
        if self.id == "dst_kyoto":
            raise RuntimeError("a reader's bug")
        return real_read(self, start, stop, *args, **kwargs)

    monkeypatch.setattr(Entry, "read", read)
    url, loop = served(make_app(public=True), "/services/data/hapi")
    try:
        result = {}
        slow = threading.Thread(target=lambda: result.update(r=get(url + "/data", dataset="ac_h0_mfi", start=START,
                                                                   stop=STOP)))
        slow.start()
        assert reading.wait(30)
        # while it reads: other requests are answered, a failing read is a HAPI 1500 for its asker only
        assert get(url + "/about").json()["status"]["code"] == 1200
        small = get(url + "/data", dataset="omni_hro_1min", parameters="SYM_H", start=START, stop=STOP)
        assert small.status_code == 200 and small.text.count("\n") == 1440
        failed = get(url + "/data", dataset="dst_kyoto", start=START, stop=STOP)
        assert failed.status_code == 500 and failed.json()["status"]["code"] == 1500
        assert "a reader's bug" in failed.json()["status"]["message"] and "Traceback" not in failed.text
        release.set()
        slow.join(30)
        assert result["r"].status_code == 200 and result["r"].text
    finally:
        release.set()
        loop.call_soon_threadsafe(loop.stop)
