"""The CDF reader's compiled kernels against numpy and pycdfpp: ISTP masking (compiled, and the
numpy path of small reads) equals numpy's ``putmask(x, (x < lo) | (x > hi) | (x == fill), nan)`` bit
for bit (NaN, fills, values on and one ulp beside the bounds, every CDF integer type), and the
TT2000 conversion equals ``pycdfpp.to_datetime64`` element for element, also across every leap
second."""

import numpy as np
import pycdfpp
import pytest

from spacehub.catalog.readers import cdf, cdf_decode
from spacehub.catalog.readers._kernels import mask_istp, tt2000_to_datetime64

TT2000 = np.dtype([("nseconds", "<i8")])  # pycdfpp's tt2000_t records
INT64 = np.iinfo(np.int64)
CDF_INTS = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64]


def numpy_masked(values, fill=None, lo=None, hi=None):
    """The reference: the reader's numpy path (one comparison per bound) on a copy."""
    return cdf_decode.masked_numpy(values.copy(), fill, lo, hi)


def same(a, b):
    """Equal bit for bit (NaN included) and of the same dtype."""
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def float_sample(dtype, lo, hi, fill, n=20_000, seed=1):
    """Normal noise with NaN, fills, and values on and one ulp either side of each bound."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2 * hi, n).astype(dtype)
    edges = [np.asarray(b, dtype) for b in (lo, hi, fill)]
    special = np.concatenate([[np.nextafter(e, dtype(-np.inf)), e, np.nextafter(e, dtype(np.inf))] for e in edges])
    special = np.concatenate([special, np.asarray([np.nan, np.inf, -np.inf], dtype)])
    x[rng.choice(n, special.size * 50, replace=False)] = np.tile(special, 50)
    return x


MASKERS = {"compiled": mask_istp, "numpy": cdf_decode.masked_numpy}


@pytest.mark.parametrize("masker", MASKERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bounds", [
    dict(fill=-1e31, lo=-1e4, hi=1e4),  # Python numbers: numpy compares in the array's type
    dict(fill=np.float64(-1e31), lo=np.float64(-0.1), hi=np.float64(0.1)),  # float64: in float64
    dict(fill=np.float32(99999.9), lo=None, hi=np.float32(9999.0)),
    dict(fill=None, lo=0, hi=None),
    dict(fill=np.nan, lo=None, hi=None),  # a NaN fill masks nothing
])
def test_mask_of_floats_equals_numpy_in_place(masker, dtype, bounds):
    edges = [-1.0 if bounds["lo"] is None else bounds["lo"], 1.0 if bounds["hi"] is None else bounds["hi"],
             5.0 if bounds["fill"] is None else bounds["fill"]]
    x = float_sample(dtype, *edges)
    nan_before = int(np.isnan(x).sum())
    want = numpy_masked(x, **bounds)
    got = MASKERS[masker](x, **bounds)
    assert same(got, want)
    assert got is x  # masked in the memory it was given
    masked = int(np.isnan(want).sum()) - nan_before
    assert masked == 0 if bounds["fill"] is np.nan else masked > 100  # the sample holds values to mask


def test_float32_against_float64_bound_compares_like_numpy():
    # float32(0.1) is 0.10000000149: above a float64 0.1, equal to a Python 0.1 compared in float32
    x = np.array([0.1, 0.2], np.float32)
    assert np.isnan(mask_istp(x.copy(), hi=np.float64(0.1))).tolist() == [True, True]
    assert np.isnan(mask_istp(x.copy(), hi=0.1)).tolist() == [False, True]


@pytest.mark.parametrize("masker", MASKERS)
@pytest.mark.parametrize("dtype", CDF_INTS)
def test_mask_of_integers_equals_numpy_as_float64(masker, dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(2)
    x = rng.integers(info.min, info.max, 10_000, dtype=dtype, endpoint=True)
    fill, lo, hi = info.min if info.min < 0 else info.max, info.min // 2 if info.min < 0 else 8, info.max // 2
    x[:7] = [fill, lo - 1, lo, lo + 1, hi - 1, hi, hi + 1]
    kept = x.copy()
    got = MASKERS[masker](x, fill=fill, lo=lo, hi=hi)
    assert same(got, numpy_masked(x, fill=fill, lo=lo, hi=hi))
    if x.itemsize <= 4:  # int64 values next to the bounds round onto them in float64, as in numpy
        assert np.isnan(got[:7]).tolist() == [True, True, False, False, False, False, True]
    assert np.array_equal(x, kept)  # integers give a new float64 array


def test_mask_of_strided_multidimensional_and_empty_arrays():
    cube = float_sample(np.float32, -10.0, 10.0, -1e31, n=6000).reshape(1000, 2, 3)
    column = cube[:, 1, :]  # not contiguous: masked in a copy
    bounds = dict(fill=-1e31, lo=-10.0, hi=10.0)
    assert same(mask_istp(column, **bounds), numpy_masked(column, **bounds))
    assert same(mask_istp(cube.copy(), **bounds), numpy_masked(cube, **bounds))
    assert mask_istp(np.empty((0, 3), np.int16), fill=-1).shape == (0, 3)


def test_mask_refuses_what_is_not_a_number():
    with pytest.raises(TypeError, match="integers or floats"):
        mask_istp(np.array(["a", "b"]), fill="a")


def tt2000(*utc):
    """TT2000 records of UTC times given as ISO strings."""
    return pycdfpp.to_tt2000(np.array(utc, "datetime64[ns]"))


def converted_like_pycdfpp(records):
    """Convert a copy of ``records`` both ways; the result and whether it is a view of the copy."""
    want = pycdfpp.to_datetime64(records.copy())
    mine = records.copy()
    got = tt2000_to_datetime64(mine)
    assert got.dtype == np.dtype("datetime64[ns]")
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    return np.shares_memory(got, mine), mine


def test_tt2000_without_leap_second_is_converted_in_place():
    records = (tt2000("2015-01-01").view(np.int64) + np.arange(100_000) * 250_000_000).view(TT2000)
    in_place, _ = converted_like_pycdfpp(records)
    assert in_place


def test_tt2000_across_the_2016_leap_second_matches_pycdfpp():
    # 5 s of TT from 23:59:58 UTC every ms: 2016-12-31T23:59:60 lies inside
    start = tt2000("2016-12-31T23:59:58").view(np.int64)[0]
    records = (start + np.arange(5000) * 1_000_000).view(TT2000)
    in_place, after = converted_like_pycdfpp(records)
    assert not in_place and np.array_equal(after.view(np.int64), records.view(np.int64))  # restored
    # the 1000 TT2000 ms of the leap second fold onto 00:00:00 UTC, as in pycdfpp
    assert np.unique(pycdfpp.to_datetime64(records)).size == 4000


def test_tt2000_at_every_leap_second_matches_pycdfpp():
    erfa = pytest.importorskip("erfa")
    table = erfa.leap_seconds.get()
    starts = [f"{y:04d}-{m:02d}-01" for y, m in zip(table["year"], table["month"]) if y >= 1972]
    assert len(starts) >= 28
    for start in starts:
        t = tt2000(start).view(np.int64)[0]
        for lo, hi in ((-2_000_000_000, 2_000_000_000), (-1, 0), (0, 1), (-1_000_000_001, -1)):
            converted_like_pycdfpp(np.arange(t + lo, t + hi + 1, max(1, (hi - lo) // 997)).view(TT2000))


def test_tt2000_unsorted_fills_and_before_1972_match_pycdfpp():
    same_offset_at_ends = tt2000("2018-01-01", "2016-06-01", "2018-01-02")  # middle: one leap second less
    assert not converted_like_pycdfpp(same_offset_at_ends)[0]
    fill_and_pad = np.array([INT64.min, INT64.min + 1], np.int64).view(TT2000)
    with_fill = np.concatenate([tt2000("2015-01-01", "2015-01-02"), fill_and_pad])
    converted_like_pycdfpp(with_fill)
    converted_like_pycdfpp(tt2000("1965-03-01", "1965-03-02", "1971-12-31T23:59:59.9"))
    converted_like_pycdfpp(np.array([INT64.max - 5, INT64.max, INT64.min + 3], np.int64).view(TT2000))
    rng = np.random.default_rng(3)
    converted_like_pycdfpp(rng.integers(INT64.min, INT64.max, 10_000, dtype=np.int64).view(TT2000))
    assert tt2000_to_datetime64(np.empty(0, TT2000)).size == 0


@pytest.mark.parametrize("compiled_from", [0, 1 << 40], ids=["compiled", "numpy"])
@pytest.mark.parametrize("start", ["2016-12-31T23:59:00", "2015-03-17"], ids=["leap-second", "no-leap-second"])
def test_open_cdf_masks_its_own_memory_and_leaves_the_file_alone(tmp_path, monkeypatch, compiled_from, start):
    """Five minutes at 10 Hz with every kind of variable: open_cdf equals numpy masking and pycdfpp's
    times, and a second read of the file sees the original values."""
    monkeypatch.setattr(cdf, "_COMPILED_FROM", compiled_from)
    n = 3000
    times = (tt2000(start).view(np.int64)[0] + np.arange(n) * 100_000_000).view(TT2000)
    rng = np.random.default_rng(4)
    types = pycdfpp.DataType
    kinds = {"f4": (np.float32, types.CDF_FLOAT, -1e31), "f8": (np.float64, types.CDF_DOUBLE, -1e31),
             "i2": (np.int16, types.CDF_INT2, -32768), "u1": (np.uint8, types.CDF_UINT1, 255)}
    file = pycdfpp.CDF()
    records = pycdfpp.to_tt2000(np.zeros(n, "datetime64[ns]"))  # pycdfpp writes only its own record type
    records.view(np.int64)[:] = times.view(np.int64)
    file.add_variable("Epoch", values=records, data_type=pycdfpp.DataType.CDF_TIME_TT2000)
    truth = {}
    for name, (dtype, cdf_type, fill) in kinds.items():
        v = rng.integers(0, 180, n, endpoint=True).astype(dtype)  # all valid, then 2 in 50 spoilt
        v[::50] = fill
        v[7::50] = 190  # above VALIDMAX
        truth[name] = v
        file.add_variable(name, values=v, data_type=cdf_type, attributes={
            "FILLVAL": [dtype(fill)], "VALIDMIN": [dtype(0)], "VALIDMAX": [dtype(180)], "DEPEND_0": "Epoch",
            "VAR_TYPE": "data"})
    path = tmp_path / "leap.cdf"
    assert pycdfpp.save(file, str(path))
    for _ in range(2):  # the second read proves the first changed nothing on disk
        ds = cdf.open_cdf(path)
        assert np.array_equal(ds.time.values.view(np.int64), pycdfpp.to_datetime64(times).view(np.int64))
        for name, (_, _, fill) in kinds.items():
            assert same(ds[name].values, numpy_masked(truth[name], fill=fill, lo=0, hi=180))
            assert int(np.isnan(ds[name].values).sum()) == 2 * n // 50
