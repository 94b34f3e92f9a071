"""`spacehub.open_file`: any file of a format spacehub reads, a person's own download or a URL, as
the same ``xarray.Dataset`` `Entry.read` gives (time as datetime64, fills as NaN, units in attrs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_file(path_or_url: str | Path, variables: list[str] | None = None, *, format: str | None = None,
              layout: str | None = None, lazy: bool = False) -> Any:
    """Open one file as an ``xarray.Dataset``.

    Parameters
    ----------
    path_or_url : str or Path
        A local file (CDF, netCDF-4/HDF5, FITS or gzipped FITS, IAGA-2002, GFZ Kp, WDC Kyoto page,
        WDC hourly Dst/AE records, CSV, a zarr folder), or an ``http(s)://`` URL of one, downloaded once into your own cache
        (``~/.cache/spacehub/files``).
    variables : list of str, optional
        What to read; default: the file's data variables (a CDF's on the first one's time axis,
        the others named in ``attrs["other_time_axes"]``).
    format, layout : str, optional
        Found from the file's first bytes unless given (``format="cdf"``, ``"netcdf"``, ``"fits"``,
        ``"text"`` with ``layout="iaga2002"``, ``"gfz-kp-text"``, ``"kyoto-wdc-html"`` or ``"wdc-hourly"``, ``"csv"``,
        ``"zarr"``; ``layout="image"`` for FITS images).
    lazy : bool
        Dask-backed variables, read when computed.

    Raises
    ------
    spacehub.catalog.ReadError
        The file is missing, damaged or of no format spacehub reads; the message names it and what
        would work.

    Examples
    --------
    >>> import spacehub
    >>> ds = spacehub.open_file("ac_h0_mfi_20150316_v07.cdf", ["BGSEc"])  # doctest: +SKIP
    >>> ds.BGSEc.attrs["units"]                                            # doctest: +SKIP
    'nT'
    """
    from .catalog.readers import open_file as read
    from .catalog.readers.sniff import sniff
    from .provenance import note

    where = str(path_or_url)
    remote = where.startswith(("http://", "https://"))
    # what a published notebook read (spacehub.provenance), noted before reading: a run that fails on
    # a file it cannot have still says which
    note("file", path=where if remote else str(Path(where).expanduser().absolute()), remote=remote)
    path = _local(where)
    if format is None:
        format, found = sniff(path)
        layout = layout or found
    return read(path, format, list(variables) if variables else None, lazy=lazy, layout=layout,
                default_variables=not variables)


def _local(where: str) -> Path:
    """A local path for ``where``: itself, or a URL's bytes downloaded into the user's own cache."""
    if not where.startswith(("http://", "https://")):
        return Path(where).expanduser()
    from .catalog.errors import NoData, RemoteUnavailable
    from .data.cache import FetchError, SharedCache

    own = Path.home() / ".cache" / "spacehub"  # the person's alone (0700), as their catalog downloads
    own.mkdir(parents=True, exist_ok=True, mode=0o700)
    (own / "files").mkdir(exist_ok=True, mode=0o700)
    cache = SharedCache(own / "files", allowed=lambda url: url.startswith(("http://", "https://")))
    try:
        return cache.fetch(where)
    except FetchError as e:
        if e.status == 404:
            raise NoData(where, "no such file on the server (HTTP 404)") from None
        raise RemoteUnavailable(where, e.why) from None
