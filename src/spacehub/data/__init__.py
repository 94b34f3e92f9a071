"""Data on this hub: the shared read-through cache (:mod:`spacehub.data.cache`) and ``spacehub data sample``.

``hapi_server()`` and ``sample_dir()`` say where this hub's HAPI service and sample data are (read
from what the hub published: :mod:`spacehub.environment`).
"""

from ..environment import hapi_server, sample_dir

__all__ = ["hapi_server", "sample_dir"]
