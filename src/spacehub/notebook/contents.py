"""The contents manager of users' servers in demo mode: ``shared/`` read-only for all but the hub's admins.

In demo mode every user runs as one Unix account, so file permissions cannot keep a user from
changing the hub-wide ``shared/`` folder (`spacehub.hub.folders`). The server can, for what goes
through it: the file browser, the editors, notebook saves (also those of real-time collaboration).
A user's kernel can still write there (it is the same account): demo mode says so. In isolated
mode Unix permissions hold the folder and this class is not used.
"""

from __future__ import annotations

import os

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from ..deploy.names import READ_ONLY_ENV  # comma-separated folders of the home, set per user by the hub


class SharedFoldersContents(AsyncLargeFileManager):
    """jupyter-server's default contents manager, refusing changes under the folders of
    ``$SPACEHUB_READ_ONLY_FOLDERS`` with a 403 that says why."""

    def _refuse_changes(self, *paths: str) -> None:
        read_only = [f.strip("/") for f in os.environ.get(READ_ONLY_ENV, "").split(",") if f.strip("/")]
        for path in paths:
            path = path.strip("/")
            for folder in read_only:
                if path == folder or path.startswith(folder + "/"):
                    raise web.HTTPError(403, f"{folder}/ is read-only: the hub's admins maintain it (copy the file "
                                             "into your own folders to change it)")

    async def save(self, model, path=""):
        self._refuse_changes(path)
        return await super().save(model, path)

    async def delete_file(self, path):
        self._refuse_changes(path)
        return await super().delete_file(path)

    async def rename_file(self, old_path, new_path):
        self._refuse_changes(old_path, new_path)
        return await super().rename_file(old_path, new_path)
