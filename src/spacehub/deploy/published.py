"""What the hub publishes to each user's server about their limits: one format, written and read here.

The Dask Gateway enforces the per-user quota but has no API that tells a client what it is, so every
target puts it in the server's environment (``SPACEHUB_USER_QUOTA``) as JSON, in bytes and cores:

>>> limits = PublishedLimits(cores=12, memory=24 * 2**30, clusters=3, scheduler_cores=1,
...                          scheduler_memory=2**30, cluster_max_workers=8)
>>> PublishedLimits.from_json(limits.to_json()) == limits
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from .names import QUOTA_ENV


class PublishedLimitsError(ValueError):
    """The published quota is there but unreadable: says what was expected."""


@dataclass(frozen=True)
class PublishedLimits:
    """One user's quota across all their clusters, and what each cluster's scheduler reserves."""

    cores: float  #: across all of the user's clusters
    memory: int  #: bytes, across all of the user's clusters
    clusters: int  #: clusters at once
    scheduler_cores: float  #: reserved by each cluster's scheduler
    scheduler_memory: int  #: bytes reserved by each cluster's scheduler
    cluster_max_workers: int | None = None  #: workers of one cluster, None if unlimited

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PublishedLimits:
        example = cls(12, 24 * 2**30, 3, 1, 2**30, 8).to_json()
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise PublishedLimitsError(f"{QUOTA_ENV} is not JSON ({e}); expected e.g. {example}") from None
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in d] if isinstance(d, dict) else names
        if missing:
            raise PublishedLimitsError(f"{QUOTA_ENV} lacks {', '.join(missing)}; expected e.g. {example}")
        try:
            return cls(float(d["cores"]), int(d["memory"]), int(d["clusters"]), float(d["scheduler_cores"]),
                       int(d["scheduler_memory"]),
                       None if d["cluster_max_workers"] is None else int(d["cluster_max_workers"]))
        except (TypeError, ValueError) as e:
            raise PublishedLimitsError(f"{QUOTA_ENV} has a value that is not a number ({e}); "
                                       f"expected e.g. {example}") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PublishedLimits | None:
        """The limits in ``environ`` (a server's environment), or None if the hub published none."""
        text = environ.get(QUOTA_ENV, "")
        return cls.from_json(text) if text else None
