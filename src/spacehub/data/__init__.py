"""Data on this hub: the shared read-through cache (:mod:`spacehub.data.cache`) and ``spacehub data sample``.

``hapi_server()`` and ``sample_dir()`` say where this hub's HAPI service and sample data are (read
from what the hub published: :mod:`spacehub.environment`).
"""

from __future__ import annotations

from .. import environment
from ..environment import sample_dir

__all__ = ["hapi_server", "sample_dir"]


def hapi_server() -> str:
    """This hub's HAPI server URL, for any HAPI client in a notebook of this hub.

    The URL carries no credential. hapiclient is taught to send this server's token as a header
    and to cache in the account's own ``~/.cache/hapiclient`` (:mod:`spacehub.data.hapi_client`), so
    nothing secret lands in outputs, shared folders or logs; other clients send
    ``Authorization: token $JUPYTERHUB_API_TOKEN`` themselves:

    >>> from hapiclient import hapi                                   # doctest: +SKIP
    >>> data, meta = hapi(spacehub.data.hapi_server(), "omni_hro_1min", "BZ_GSM,SYM_H",
    ...                   "2015-03-17T00:00:00Z", "2015-03-19T00:00:00Z")  # doctest: +SKIP
    """
    from .hapi_client import authorize, use_private_cache

    server = environment.hapi_server()
    token = environment.server_token()
    use_private_cache()
    if token:
        authorize(server, token)
    return server
