"""What a catalog's reads use besides the catalog files: the sample folder, the shared cache, offline, home.

Nothing under ``catalog/`` finds these by itself: :func:`spacehub.catalog.open` is handed them, or
builds them at the edge (:mod:`spacehub.environment`) from what the hub published to this process.
Each may be given as a zero-argument function, called at each read that needs it (so that opening a
catalog neither reads the settings file nor creates a cache folder, and reads follow the process's
environment as it is then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the cache is handed in; the catalog never builds one
    from ..data.cache import SharedCache


@dataclass(frozen=True)
class ReadContext:
    """Where reads find local files and remote ones.

    ``sample_dir`` None: no sample route is read. ``cache`` None: archive files cannot be fetched
    (reads say how to get a cache). ``offline``: no remote reads at all (archives, HAPI servers).
    ``home``: what ``~/`` means in a `local` route.
    """

    sample_dir: Path | Callable[[], Path] | None = None
    cache: SharedCache | Callable[[], SharedCache] | None = None
    offline: bool | Callable[[], bool] = False
    #: the home of the person reading: where a `local` route's ``~/`` points (None: such routes are not read)
    home: Path | None = None

    def samples(self) -> Path | None:
        return self.sample_dir() if callable(self.sample_dir) else self.sample_dir

    def is_offline(self) -> bool:
        return self.offline() if callable(self.offline) else self.offline

    def shared_cache(self) -> SharedCache | None:
        return self.cache() if callable(self.cache) else self.cache
