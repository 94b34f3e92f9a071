"""The WDC exchange format of hourly Dst and AE indices (layout ``wdc-hourly``), on records written
here from WDC Kyoto's format description (dstformat.html, aehformat.html): no PyPI package ships a
real file of it. Values, times, the base value, missing hours, touching fields, the two-digit years
of the 1900s, sniffing from content, and a CorruptFile naming file, line and columns for every
record that breaks the layout."""

from pathlib import Path

import numpy as np
import pytest

import spacehub
from spacehub.catalog.readers import CorruptFile, UnknownVariable
from spacehub.catalog.readers.sniff import sniff
from spacehub.samples import dst as dst_sample

#: the damaged-file tests' seed (tests/file_fuzzing.py), written by `record` from the sample's storm
SEED = Path(__file__).parents[1] / "data" / "wdc" / "dst_ae_20150316_from_the_spec.wdc"


def record(name: str, day: str, hours, base: int = 0, version: str = "2", quicklook: bool = False) -> str:
    """One record as the format description lays it out (columns 1-120)."""
    year, month, dd = day.split("-")
    fields = ["9999" if np.isnan(v) else f"{int(v) - 100 * base:4d}" for v in hours]
    valid = [v for v in hours if not np.isnan(v)]
    mean = f"{round(np.mean(valid)) - 100 * base:4d}" if valid else "9999"
    century = "  " if year.startswith("19") else year[:2]
    line = (f"{name:<3}{year[2:]}{month}*{dd}{'RR' if quicklook else '  '}X{version}{century}{base:4d}"
            + "".join(fields) + mean)
    assert len(line) == 120
    return line


def plain_parse(text: str) -> dict:
    """(index, hour) -> value, read straight from the columns."""
    out = {}
    for line in text.splitlines():
        year = (int(line[14:16]) if line[14:16].strip() else 19) * 100 + int(line[3:5])
        day = np.datetime64(f"{year:04d}-{line[5:7]}-{line[8:10]}", "h")
        base = int(line[16:20])
        for h in range(24):
            field = int(line[20 + 4 * h: 24 + 4 * h])
            out[line[:3].strip(), day + h] = np.nan if field == 9999 else 100 * base + field
    return out


@pytest.fixture
def dst_month(tmp_path):
    t, values = dst_sample.hourly_dst()
    march = t.astype("datetime64[M]") == np.datetime64("2015-03")
    days = values[march].reshape(-1, 24)
    path = tmp_path / "dst1503.for.request"
    path.write_text("\n".join(record("DST", f"2015-03-{i + 1:02d}", row) for i, row in enumerate(days)) + "\n")
    return path, t[march], values[march]


def test_a_month_of_dst_reads_with_its_hours_stamped_at_their_start(dst_month):
    path, t, values = dst_month
    assert sniff(path) == ("text", "wdc-hourly")
    ds = spacehub.open_file(path)
    assert list(ds.data_vars) == ["Dst"] and ds.Dst.attrs["units"] == "nT" and ds.Dst.attrs["versions"] == "final"
    assert np.array_equal(ds.time.values, t.astype("datetime64[ns]"))
    np.testing.assert_array_equal(ds.Dst.values, values)


def test_the_same_month_reads_as_the_wdc_kyoto_page_of_the_samples(dst_month, sample_dir):
    path, _, _ = dst_month
    page = spacehub.open_file(sample_dir / "wdc_kyoto" / "dst_final" / "201503" / "index.html")
    np.testing.assert_array_equal(spacehub.open_file(path).Dst.values, page.Dst.values)


def test_ae_records_use_the_base_value_and_several_indices_share_the_time_axis(tmp_path):
    ae = np.array([1523.0, 1498.0] + [np.nan] + [1600.0 + h for h in range(21)])
    al = -ae + 200
    lines = [record("AE", "2003-10-29", ae, base=15), record("AL", "2003-10-29", al, base=-14),
             record("AU", "2003-10-30", np.full(24, 120.0), quicklook=True, version="0")]
    path = tmp_path / "ae0310"
    path.write_text("\r\n".join(lines) + "\r\n")
    ds = spacehub.open_file(path)
    assert list(ds.data_vars) == ["AE", "AL", "AU"] and ds.sizes["time"] == 48
    np.testing.assert_array_equal(ds.AE.values[:24], ae)
    np.testing.assert_array_equal(ds.AL.values[:24], al)
    assert np.isnan(ds.AU.values[:24]).all() and (ds.AU.values[24:] == 120).all()
    assert ds.AU.attrs["versions"] == "quick-look" and np.isnan(ds.AE.values[24:]).all()
    assert list(spacehub.open_file(path, ["AL"]).data_vars) == ["AL"]
    with pytest.raises(UnknownVariable, match="has no index \\['Dst'\\]"):
        spacehub.open_file(path, ["Dst"])


def test_touching_fields_and_years_of_the_1900s(tmp_path):
    hours = np.array([-100.0, -120.0, 9999.0] + [-5.0] * 21)
    hours[2] = np.nan
    line = record("DST", "1989-03-13", hours)
    assert "-100-1209999" in line and line[14:16] == "  "
    path = tmp_path / "dst8903"
    path.write_text(line + "\n")
    ds = spacehub.open_file(path)
    assert str(ds.time.values[0]).startswith("1989-03-13T00")
    np.testing.assert_array_equal(ds.Dst.values, hours)


def test_the_seed_file_reads_as_its_columns_say():
    ds = spacehub.open_file(SEED)
    expected = plain_parse(SEED.read_text())
    for (name, hour), value in expected.items():
        got = ds[{"DST": "Dst"}.get(name, name)].sel(time=hour).item()
        assert got == value or (np.isnan(got) and np.isnan(value)), (name, hour)


GOOD = record("DST", "2015-03-17", np.arange(24.0) * -10)


@pytest.mark.parametrize("line, where", [
    (GOOD[:100], "line 2, length: 100 characters"),
    ("XYZ" + GOOD[3:], "line 2, columns 1-3: index 'XYZ'"),
    (GOOD[:7] + "-" + GOOD[8:], "line 2, columns 8-14"),
    (GOOD.replace("1503*17", "1502*30"), "line 2, columns 4-16: no date"),
    (GOOD[:24] + " x12" + GOOD[28:], "line 2, columns 25-28: ' x12' is not a number"),
    (GOOD[:16] + "    " + GOOD[20:], "line 2, columns 17-20"),
    (GOOD.replace("X2", "XZ"), "line 2, columns 8-14"),
    (GOOD[:30] + "é" + GOOD[31:], "line 2, characters: not ASCII"),
    (GOOD.replace("1503*17", "1503*16"), "line 2: Dst of 2015-03-16 again \\(first on line 1\\)"),
])
def test_a_broken_record_is_a_corrupt_file_naming_file_line_and_columns(tmp_path, line, where):
    path = tmp_path / "dst.wdc"
    path.write_text(record("DST", "2015-03-16", np.zeros(24)) + "\n" + line + "\n")
    with pytest.raises(CorruptFile, match=where) as e:
        spacehub.open_file(path, format="text", layout="wdc-hourly")
    assert "dst.wdc" in str(e.value)


def test_a_file_without_records_is_a_corrupt_file(tmp_path):
    path = tmp_path / "empty.wdc"
    path.write_text("\n\n")
    with pytest.raises(CorruptFile, match="no records"):
        spacehub.open_file(path, format="text", layout="wdc-hourly")
