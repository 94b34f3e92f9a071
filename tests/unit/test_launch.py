"""The fenced changes of upstream: JupyterLab's licenses route answers its errors and it starts without
running node (users' servers); the hub notices a dead service within seconds."""

import inspect
import subprocess
import sys

import pytest
from jupyterlab_server.licenses_handler import LicensesHandler

from spacehub.hub.launch import SERVICE_POLL, answer_refusals_of_licenses, watch_services_closely


def test_upstream_licenses_finish_still_needs_the_fix():
    """When jupyterlab_server stops requiring a MIME type in ``finish``, the fix can go."""
    original = getattr(LicensesHandler.finish, "__wrapped__", LicensesHandler.finish)
    mime = inspect.signature(original).parameters["_mime_type"]
    assert mime.default is inspect.Parameter.empty, "upstream fixed LicensesHandler.finish: drop the fix"


class _Handler(LicensesHandler):
    """A LicensesHandler without a request: only what finish() looks at."""

    def __init__(self, status):
        self._status_code = status
        self.calls = []


@pytest.fixture
def fixed(monkeypatch):
    monkeypatch.setattr(LicensesHandler, "finish", LicensesHandler.finish)  # undone after the test
    base = LicensesHandler.__mro__[1]
    monkeypatch.setattr(base, "finish", lambda self, *a, **k: self.calls.append(("api", a)))
    answer_refusals_of_licenses()
    answer_refusals_of_licenses()  # once is enough: a second call wraps nothing more


def test_an_error_is_finished_as_api_errors_are(fixed):
    handler = _Handler(403)
    handler.finish()  # what tornado's send_error does: upstream raised TypeError here
    assert handler.calls == [("api", ())]
    # a report (200) is finished by upstream as before: the auth sweep reads alice's licenses



def test_the_gallery_menu_links_follow_the_hubs_base_url():
    import json

    from spacehub.hub.launch import lab_settings_for

    assert lab_settings_for("/") is None  # the shipped defaults are written for a hub at /
    folder = lab_settings_for("/spacehub/")
    menu = json.loads((folder / "overrides.json").read_text())["@jupyterlab/mainmenu-extension:plugin"]["menus"][0]
    assert [item["args"]["url"] for item in menu["items"]] == [
        "/spacehub/hub/user-redirect/spacehub/gallery/publish", "/spacehub/services/gallery/"]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_the_hub_looks_at_its_services_every_few_seconds(monkeypatch):
    from jupyterhub.services import service
    from jupyterhub.spawner import LocalProcessSpawner

    # what the change relies on: Service.start makes its spawner by the module's name for the class
    assert "_ServiceSpawner(" in inspect.getsource(service.Service.start), "upstream changed Service.start"
    assert issubclass(service._ServiceSpawner, LocalProcessSpawner)
    assert service._ServiceSpawner.class_traits()["poll_interval"].default_value == 30, "upstream's default changed"
    monkeypatch.setattr(service, "_ServiceSpawner", service._ServiceSpawner)  # undone after the test
    watch_services_closely()
    watch_services_closely()  # once is enough
    assert service._ServiceSpawner.__mro__[1].__name__ == "_ServiceSpawner"
    spawner = service._ServiceSpawner(cmd=["true"])
    assert spawner.poll_interval == SERVICE_POLL == 3


def test_a_users_server_starts_without_node_nor_the_hubs_settings_modules():
    """What a user's server's start imports and runs before JupyterLab: not the hub's configuration nor the
    settings' model (their packages import them lazily), and no ``node yarn.js config`` when JupyterLab
    is imported (upstream's ``_yarn_config`` is still what gives the registry its default)."""
    import jupyterlab.commands

    assert "_yarn_config(" in inspect.getsource(jupyterlab.commands.AppOptions._default_registry.func)
    probe = (
        "import subprocess, sys\n"
        "ran = []\n"
        "real = subprocess.Popen.__init__\n"
        "def spy(self, args, *a, **k):\n"
        "    ran.append(args)\n"
        "    real(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = spy\n"
        "from spacehub.hub import launch\n"
        "launch.no_yarn_configuration()\n"
        "import jupyterlab.labapp, jupyterlab.commands\n"
        "print(sorted(m for m in ('spacehub.hub.config', 'spacehub.config.model') if m in sys.modules))\n"
        "print(ran, jupyterlab.commands.AppOptions().registry == jupyterlab.commands.YARN_DEFAULT_REGISTRY)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.splitlines() == ["[]", "[] True"], out.stdout + out.stderr
