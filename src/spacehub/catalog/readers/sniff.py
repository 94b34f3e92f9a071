"""Which reader a file needs, from its first bytes (never from its name alone, which downloads lose).

Binary formats by their magic numbers: CDF (``0xCDF30001``, ``0xCDF26002``, ``0x0000FFFF``),
HDF5 / netCDF-4 (``\\x89HDF\\r\\n\\x1a\\n``), FITS (``SIMPLE  =``), a gzip holding FITS; classic
netCDF-3 (``CDF\\x01``, ``CDF\\x02``) is named as such (not read yet). Text by its first lines:
IAGA-2002 (`` Format  IAGA-2002``), GFZ's Kp files (their ``#`` header naming GFZ and Kp), WDC
Kyoto's monthly index pages (HTML naming WDC and the index), the WDC exchange format of hourly
Dst and AE indices (records starting ``DSTyymm*dd``, ``AE yymm*dd`` ...), and a table whose first
line that is not a ``#`` note has commas (CSV). A folder with zarr metadata is a zarr store.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from ..errors import ReadError
from .wdc import RECORD_START

_CDF_MAGIC = {b"\xcd\xf3\x00\x01", b"\xcd\xf2\x60\x02", b"\x00\x00\xff\xff"}
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def sniff(path: str | Path) -> tuple[str, str | None]:
    """(format, layout) for `open_file`, or a `ReadError` saying what the file looks like."""
    path = Path(path)
    if path.is_dir():
        if any((path / name).exists() for name in (".zgroup", ".zarray", "zarr.json")):
            return "zarr", None
        raise ReadError(path, "is a folder, not a file (nor a zarr store)")
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise ReadError(path, f"cannot be opened: {e.strerror}") from None
    if head[:4] in _CDF_MAGIC:
        return "cdf", None
    if head.startswith(_HDF5_MAGIC):
        return "netcdf", None
    if head.startswith(b"SIMPLE  ="):
        return "fits", None
    if head[:3] == b"CDF" and head[3:4] in (b"\x01", b"\x02", b"\x05"):
        raise ReadError(path, "is a classic netCDF-3 file: not read yet (convert it to netCDF-4, e.g. "
                              "`nccopy -k nc4 in.nc out.nc`)")
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as f:
                inner = f.read(30)
        except (OSError, EOFError, zlib.error) as e:
            raise ReadError(path, f"is a gzip file that cannot be unpacked ({e})") from None
        if inner.startswith(b"SIMPLE  ="):
            return "fits", None
        raise ReadError(path, f"is a gzip file holding something else than FITS (it starts with {inner[:20]!r}): "
                              "unpack it and open what is inside")
    text = head.decode("utf-8", errors="replace")
    lower = text.lower()
    if text.lstrip().lower().startswith("format") and "iaga-2002" in lower.splitlines()[0]:
        return "text", "iaga2002"
    if text.startswith("#") and "gfz" in lower and "kp" in lower:
        return "text", "gfz-kp-text"
    if ("<html" in lower or "<!doctype html" in lower) and "wdc" in lower:
        return "text", "kyoto-wdc-html"
    if RECORD_START.match(text.lstrip("\r\n")):
        return "text", "wdc-hourly"
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
    if "," in first and b"\x00" not in head:
        return "csv", None
    raise ReadError(path, f"is in no format spacehub reads (it starts with {head[:20]!r}); formats: CDF, "
                          "netCDF-4/HDF5, FITS (also gzipped), IAGA-2002, GFZ Kp, WDC Kyoto pages, WDC hourly "
                          "indices (Dst, AE), CSV, zarr; "
                          "give format= (and layout=) if it is one of those")
