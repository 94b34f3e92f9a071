"""What a library raises on a damaged file, as a `CorruptFile` naming the file.

astropy, h5py/HDF5, xarray and pandas meet a flipped bit or a cut file in many places and say so
with whatever exception is at hand (``KeyError`` for an HDF5 object whose checksum is wrong,
``RuntimeError`` for an attribute, astropy's ``VerifyError`` for a header card). A reader wraps the
work that touches the file in `damage_is_corrupt`, so that a person sees which file and what the
library said, and can fetch the file again.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import CorruptFile, ReadError

#: exceptions of the libraries on a damaged file (a ReadError raised inside passes as it is)
DAMAGE: tuple[type[BaseException], ...] = (OSError, ValueError, RuntimeError, KeyError, IndexError, TypeError,
                                           OverflowError, UnicodeDecodeError, EOFError, ZeroDivisionError,
                                           zlib.error)  # a damaged deflate stream of a .gz


def _library_damage() -> tuple[type[BaseException], ...]:
    try:
        from astropy.io.fits.verify import VerifyError
    except ImportError:  # pragma: no cover - astropy is a dependency
        return ()
    return (VerifyError,)


@contextlib.contextmanager
def damage_is_corrupt(path: str | Path, what: str) -> Iterator[None]:
    """Turn the libraries' exceptions inside into a `CorruptFile` saying ``path`` is no readable ``what``."""
    try:
        yield
    except ReadError:
        raise
    except (FileNotFoundError, PermissionError) as e:
        raise ReadError(path, f"cannot be opened: {e.strerror}") from None
    except MemoryError:
        raise CorruptFile(path, f"not a readable {what}: it declares more data than fits in memory") from None
    except DAMAGE + _library_damage() as e:
        raise CorruptFile(path, f"not a readable {what} ({type(e).__name__}: {e})") from None
