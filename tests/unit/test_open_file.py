"""`spacehub.open_file`: a person's own file or a URL, its format found from its first bytes, read as
`Entry.read` reads the catalog's files; a URL downloaded once into the person's own cache."""

import threading
from functools import partial
from http.server import ThreadingHTTPServer

import numpy as np
import pytest
from corpus import available
from hubtools import CountingFiles

import spacehub
from spacehub.catalog.errors import NoData, ReadError
from spacehub.catalog.readers import open_file as read
from spacehub.catalog.readers.sniff import sniff

#: sample files of each kind, with the (format, layout) their catalog route gives
SAMPLES = [
    ("ace/*/level_2_cdaweb/*/2015/*20150316*.cdf", "cdf", None),
    ("goes/**/*.nc", "netcdf", None),
    ("kepler/lightcurves/*/*/*_llc.fits", "fits", None),
    ("hxmt/**/*.FITS", "fits", None),
    ("wdc_kyoto/dst_final/201503/index.html", "text", "kyoto-wdc-html"),
    ("gfz/kp/Kp_ap_since_1932.txt", "text", "gfz-kp-text"),
    ("meridian/magnetometer/MOH/*20150317*.txt", "text", "iaga2002"),
    ("dampe/*.csv", "csv", None),
]


@pytest.mark.parametrize("pattern, fmt, layout", SAMPLES, ids=[s[0].split("/")[0] for s in SAMPLES])
def test_the_format_of_each_sample_is_found_from_its_bytes(sample_dir, tmp_path, pattern, fmt, layout):
    path = sorted(sample_dir.glob(pattern))[0]
    assert sniff(path) == (fmt, layout)
    renamed = tmp_path / "download"  # a name that says nothing: the bytes decide
    renamed.write_bytes(path.read_bytes())
    ds = spacehub.open_file(renamed)
    want = read(path, fmt, layout=layout, default_variables=True)
    assert list(ds.data_vars) == list(want.data_vars)
    for name in ds.data_vars:
        np.testing.assert_array_equal(ds[name].values, want[name].values)


def test_the_format_of_each_real_file_is_found_from_its_bytes():
    files = available()
    if not files:
        pytest.skip("the real-file corpus is not fetched: run `make corpus`")
    for f in files:
        fmt, layout = sniff(f.path)
        assert fmt == f.format and layout == f.layout, f.name


def test_files_of_no_known_format_are_refused_saying_what_works(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ReadError, match=f"^{junk}: is in no format spacehub reads .*give format="):
        spacehub.open_file(junk)
    classic = tmp_path / "classic.nc"
    classic.write_bytes(b"CDF\x01" + bytes(100))
    with pytest.raises(ReadError, match="classic netCDF-3 file: not read yet .*nccopy -k nc4"):
        spacehub.open_file(classic)
    with pytest.raises(ReadError, match="cannot be opened"):
        spacehub.open_file(tmp_path / "missing.cdf")


def test_a_url_is_downloaded_once_into_the_persons_own_cache(sample_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = sorted(sample_dir.glob("ace/*/level_2_cdaweb/*/2015/*20150316*.cdf"))[0]
    CountingFiles.counts = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(CountingFiles, directory=str(path.parent)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{path.name}"
        first = spacehub.open_file(url)
        second = spacehub.open_file(url)
        assert CountingFiles.counts == {f"/{path.name}": 1}
        local = read(path, "cdf", default_variables=True)
        for ds in (first, second):
            np.testing.assert_array_equal(ds[next(iter(local.data_vars))].values,
                                          local[next(iter(local.data_vars))].values)
        cached = list((tmp_path / "home" / ".cache" / "spacehub" / "files" / "data").iterdir())
        assert len(cached) == 1 and cached[0].name.endswith(path.name)
        assert (tmp_path / "home" / ".cache" / "spacehub").stat().st_mode & 0o077 == 0  # the person's alone
        with pytest.raises(NoData, match=r"/nope\.cdf: no such file on the server \(HTTP 404\)"):
            spacehub.open_file(f"http://127.0.0.1:{server.server_port}/nope.cdf")
    finally:
        server.shutdown()
