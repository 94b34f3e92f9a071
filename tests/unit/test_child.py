"""The CDF program (`child`): reads through it equal pycdfpp's own, by either way the arrays come
back (copied out of its memory, or sent on the pipe where that is forbidden); reads at once each get
a program; a program that died between reads is replaced; errors keep their kind."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pycdfpp
import pytest

from spacehub.catalog.errors import CorruptFile, ReadError, UnknownVariable
from spacehub.catalog.readers import child, open_file

FILL = np.float32(99999.9)


@pytest.fixture
def omni_files(sample_dir):
    return sorted((sample_dir / "omni").rglob("*.cdf"))


def truth(path, name):
    values = pycdfpp.load(str(path))[name].values.astype(np.float64)
    values[values == FILL] = np.nan
    return values


@pytest.mark.parametrize("copied_out", [True, False], ids=["copied-out", "sent-on-the-pipe"])
def test_reads_equal_pycdfpp_either_way(omni_files, monkeypatch, copied_out):
    if not copied_out:
        monkeypatch.setattr(child, "_vm_read", False)
    path = omni_files[0]
    ds = open_file(path, "cdf", ["flow_speed", "SYM_H"])
    np.testing.assert_array_equal(ds.flow_speed.values, truth(path, "flow_speed"))
    times = pycdfpp.to_datetime64(pycdfpp.load(str(path))["Epoch"])
    np.testing.assert_array_equal(ds.time.values, times.astype("datetime64[ns]"))
    assert ds.flow_speed.attrs["units"] == "km/s" and ds.flow_speed.values.flags.writeable
    assert int(np.isnan(ds.flow_speed.values).sum()) > 100
    if copied_out:
        assert child._vm_read is True  # this machine allows it: the fast way was taken


def test_reads_at_once_each_get_a_program(omni_files):
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda p: open_file(p, "cdf", ["flow_speed"]).flow_speed.values, omni_files * 3))
    for path, values in zip(omni_files * 3, got, strict=True):
        np.testing.assert_array_equal(values, truth(path, "flow_speed"))
    assert 1 <= len(child._idle) <= child.IDLE_MOST


def test_a_program_that_died_between_reads_is_replaced(omni_files):
    open_file(omni_files[0], "cdf", ["SYM_H"])
    for program in list(child._idle):
        program.popen.kill()
        program.popen.wait()
    ds = open_file(omni_files[1], "cdf", ["SYM_H"])
    np.testing.assert_array_equal(ds.SYM_H.values, truth(omni_files[1], "SYM_H"))


def test_errors_keep_their_kind_and_name_the_file(omni_files, tmp_path):
    with pytest.raises(UnknownVariable, match="has no variable.*'nope'.*it has: .*SYM_H") as e:
        open_file(omni_files[0], "cdf", ["nope"])
    assert str(e.value).startswith(str(omni_files[0]))
    empty = tmp_path / "empty.cdf"
    pycdfpp.save(pycdfpp.CDF(), str(empty))
    with pytest.raises(CorruptFile, match=f"^{empty}: .*no variables"):
        open_file(empty, "cdf")


def test_an_idle_program_ends_and_a_read_racing_its_end_is_retried(omni_files, monkeypatch):
    monkeypatch.setattr(child, "IDLE_SECONDS", 0.2)
    child._close_all()
    open_file(omni_files[0], "cdf", ["SYM_H"])
    (program,) = child._idle
    assert program.popen.wait(30) == 0  # ended by itself, idle
    monkeypatch.setattr(child._Program, "alive", lambda self: True)  # as if it ended just after being taken
    ds = open_file(omni_files[1], "cdf", ["SYM_H"])
    np.testing.assert_array_equal(ds.SYM_H.values, truth(omni_files[1], "SYM_H"))
    assert program not in child._idle


def test_data_given_once_not_over_time_is_named_not_refused(tmp_path):
    """A data variable without a time axis (a calibration table, say) is left out of a default read
    and named in its attrs; asked for, it is read as it is, without a time axis, beside those with one."""
    f = pycdfpp.CDF()
    t = pycdfpp.to_tt2000(np.array(["2015-03-17T00:00", "2015-03-17T00:01"], "datetime64[ns]"))
    f.add_variable("Epoch", values=t, data_type=pycdfpp.DataType.CDF_TIME_TT2000)
    f.add_variable("flux", values=np.array([1.0, 2.0]), data_type=pycdfpp.DataType.CDF_DOUBLE,
                   attributes={"VAR_TYPE": "data", "DEPEND_0": "Epoch"})
    f.add_variable("table", values=np.array([[5.0, 6.0]]), data_type=pycdfpp.DataType.CDF_DOUBLE, is_nrv=True,
                   attributes={"VAR_TYPE": "data"})
    path = tmp_path / "mixed.cdf"
    assert pycdfpp.save(f, str(path))
    ds = open_file(path, "cdf")
    assert list(ds.data_vars) == ["flux"] and ds.attrs["variables_without_time_axis"] == "table"
    alone = open_file(path, "cdf", ["table"])
    assert alone.table.dims == ("table_dim1",) and alone.table.values.tolist() == [5.0, 6.0] and "time" not in alone.dims
    both = open_file(path, "cdf", ["flux", "table"])
    assert both.flux.values.tolist() == [1.0, 2.0] and both.table.values.tolist() == [5.0, 6.0]
    f.add_variable("lost", values=np.array([1.0, 2.0]), data_type=pycdfpp.DataType.CDF_DOUBLE,
                   attributes={"VAR_TYPE": "data", "DEPEND_0": "Epoch_gone"})
    assert pycdfpp.save(f, str(path))
    with pytest.raises(ReadError, match="variable lost has DEPEND_0 'Epoch_gone', which the file does not have"):
        open_file(path, "cdf", ["lost"])


def test_a_cdf_without_istp_attributes_is_read_on_its_one_time_variable_with_a_warning(tmp_path):
    from spacehub import SpacehubWarning

    f = pycdfpp.CDF()
    t = pycdfpp.to_tt2000(np.array(["2015-03-17T00:00", "2015-03-17T00:01"], "datetime64[ns]"))
    f.add_variable("Epoch", values=t, data_type=pycdfpp.DataType.CDF_TIME_TT2000)
    f.add_variable("f", values=np.array([48000.5, 48001.0]), data_type=pycdfpp.DataType.CDF_DOUBLE,
                   attributes={"UNITS": "nT"})
    path = tmp_path / "magpy.cdf"
    assert pycdfpp.save(f, str(path))
    with pytest.warns(SpacehubWarning, match="f name no time axis .*taken to be on Epoch"):
        ds = open_file(path, "cdf")
    assert ds.f.values.tolist() == [48000.5, 48001.0] and ds.f.attrs["units"] == "nT"
    assert ds.attrs["time_axis_assumed"] == "Epoch" and str(ds.time.values[1])[:16] == "2015-03-17T00:01"
