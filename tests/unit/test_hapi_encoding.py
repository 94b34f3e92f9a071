"""HAPI binary encoding of the data service: time strings exact, the streamed body byte-identical to
a plain per-record encoding (in process and from the real service across a file boundary), and the
formatted-time cache bounded and never handing one request another's strings."""

import os

import numpy as np
import pytest
import requests

import spacehub.catalog
from spacehub.services.data.binary import BinaryRecords, TimeStringCache, iso_times
from spacehub.services.data.hapi import binary_records

ACE_START, ACE_STOP = "2015-03-16T22:00:00Z", "2015-03-17T02:00:00Z"  # two daily files


def reference_binary(ds, names: list[str], header: bytes = b"") -> bytes:
    """The HAPI binary body built the plain way: numpy formats each time, records packed whole."""
    times = np.char.add(np.datetime_as_string(ds.time.values.astype("datetime64[ms]"), unit="ms"), "Z")
    fields = [("Time", "S24")] + [(n, "<f8", ds[n].shape[1:]) for n in names]
    rec = np.empty(ds.time.size, dtype=fields)
    rec["Time"] = times.astype("S24")
    for n in names:
        rec[n] = ds[n].values
    return header + rec.tobytes()


def ms(*iso: str) -> np.ndarray:
    return np.array(iso, dtype="datetime64[ms]").view(np.int64)


@pytest.fixture(scope="module")
def ace(sample_dir):
    os.environ["SPACEHUB_SAMPLE_DATA"] = str(sample_dir)
    ds = spacehub.catalog.open().ac_h0_mfi.read(ACE_START, ACE_STOP, ["Magnitude", "BGSEc"])
    assert len(ds.attrs["provenance_files"]) == 2 and ds.time.size > 100
    return ds


def test_iso_times_exact_across_day_year_and_1970():
    t = ["2015-03-16T23:59:59.999", "2015-03-17T00:00:00.000", "2015-03-17T00:00:00.001",
         "2016-02-29T12:34:56.789", "2016-12-31T23:59:59.000", "2017-01-01T00:00:00.000",
         "1969-12-31T23:59:59.999", "1957-01-01T00:00:00.500"]
    assert iso_times(ms(*t)).tolist() == [f"{s}Z".encode() for s in t]


def test_iso_times_match_numpy_over_random_times():
    rng = np.random.default_rng(3)
    values = rng.integers(ms("1900-01-01")[0], ms("2100-01-01")[0], 20_000)
    expected = np.char.add(np.datetime_as_string(values.astype("datetime64[ms]"), unit="ms"), "Z").astype("S24")
    np.testing.assert_array_equal(iso_times(values), expected)
    assert iso_times(np.array([], np.int64)).shape == (0,)


@pytest.mark.parametrize("chunk_bytes", [1, 1000, 4 << 20])  # one record, a few, all at once
def test_chunked_body_identical_to_plain_encoding(ace, chunk_bytes):
    names = ["Magnitude", "BGSEc"]
    header = b"#{}\n"
    body = binary_records(ace, names, header)
    pieces = [bytes(p) for p in body.chunks(chunk_bytes)]  # copied: a piece's buffer is reused later
    assert b"".join(pieces) == reference_binary(ace, names, header)
    assert body.nbytes == len(header) + ace.time.size * (24 + 8 * 4)
    assert len(pieces) == 1 + (ace.time.size if chunk_bytes == 1 else 1 if chunk_bytes > body.nbytes else
                               -(-ace.time.size // (chunk_bytes // 56)))


def test_cache_reuses_overlaps_and_formats_only_gaps():
    cache = TimeStringCache(1 << 20)
    t = np.arange(1000, dtype=np.int64) * 1000 + ms("2015-03-17T23:50:00")[0]  # crosses midnight
    first = cache.strings("ac_h0_mfi", t[200:600])
    assert cache.hits == 0 and first.tolist() == iso_times(t[200:600]).tolist()
    # overlapping on both sides: the middle 400 come from the cache, the rest is formatted
    wider = cache.strings("ac_h0_mfi", t[100:800])
    assert cache.hits == 400 and wider.tolist() == iso_times(t[100:800]).tolist()
    assert cache.nbytes == 700 * 32  # the wider column replaced the one it covers
    inner = cache.strings("ac_h0_mfi", t[300:310])
    assert cache.hits == 410 and inner.tolist() == iso_times(t[300:310]).tolist() and cache.nbytes == 700 * 32


def test_cache_never_hands_out_strings_of_other_times():
    cache = TimeStringCache(1 << 20)
    t = np.arange(500, dtype=np.int64) * 16_000 + ms("2015-03-17")[0]
    cache.strings("ac_h0_mfi", t)
    shifted = t + 1  # same count, same dataset, 1 ms later: no record may match
    assert cache.strings("ac_h0_mfi", shifted).tolist() == iso_times(shifted).tolist()
    assert cache.hits == 0
    changed = t.copy()
    changed[250] += 8000  # the data changed in the middle: the equal run before it is reused
    assert cache.strings("ac_h0_mfi", changed).tolist() == iso_times(changed).tolist()
    assert cache.hits == 250
    unsorted = t[::-1].copy()
    assert cache.strings("ac_h0_mfi", unsorted).tolist() == iso_times(unsorted).tolist()


def test_cache_is_bounded_least_recently_used_first():
    cache = TimeStringCache(3 * 100 * 32)  # room for three columns of 100 records
    columns = {k: np.arange(100, dtype=np.int64) * 1000 + 10**12 * i for i, k in enumerate("abcd")}
    for k in "abc":
        cache.strings(k, columns[k])
    cache.strings("a", columns["a"])  # a is used again: b is now the oldest
    cache.strings("d", columns["d"])
    assert cache.nbytes == 3 * 100 * 32
    hits = cache.hits
    for k in "acd":
        cache.strings(k, columns[k])
    assert cache.hits - hits == 300  # a, c, d kept
    cache.strings("b", columns["b"])
    assert cache.hits - hits == 300  # b was dropped: formatted again
    cache.strings("big", np.arange(400, dtype=np.int64))  # larger than the whole cache: not kept
    assert cache.nbytes <= 3 * 100 * 32


def test_binary_records_size_only_parameters():
    body = BinaryRecords(iso_times(ms("2015-03-17")), [np.array([[1.0, 2.0, 3.0]], np.float32)])
    assert body.tobytes() == b"2015-03-17T00:00:00.000Z" + np.array([1.0, 2.0, 3.0]).tobytes()


def test_service_streams_identical_bytes_across_files(hapi_service, ace):
    def data(parameters, **extra):
        return requests.get(hapi_service + "/data", params={"dataset": "ac_h0_mfi", "parameters": parameters,
                                                            "start": ACE_START, "stop": ACE_STOP,
                                                            "format": "binary", **extra}, timeout=30)

    for parameters in ("Magnitude,BGSEc", "Magnitude", "Magnitude,BGSEc"):  # the third: times cached
        r = data(parameters)
        names = parameters.split(",")
        assert r.status_code == 200 and r.content == reference_binary(ace[names], names)
        assert r.headers["Content-Length"] == str(len(r.content)) and "Etag" not in r.headers
        assert "Transfer-Encoding" not in r.headers
    later = requests.get(hapi_service + "/data", params={"dataset": "ac_h0_mfi", "parameters": "Magnitude",
                                                         "start": "2015-03-17T00:00:00Z", "stop": ACE_STOP,
                                                         "format": "binary"}, timeout=30)
    inside = ace.sel(time=slice(np.datetime64("2015-03-17"), None))
    assert later.content == reference_binary(inside[["Magnitude"]], ["Magnitude"])
    with_header = data("Magnitude", include="header")
    assert with_header.content.startswith(b"#{") and with_header.content.endswith(data("Magnitude").content)
