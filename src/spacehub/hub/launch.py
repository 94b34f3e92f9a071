"""Start the hub or a user's server without compiling a grammar nobody uses; stop the hub fast.

``python -m spacehub.hub.launch jupyterhub|jupyterhub-singleuser [ARGS...]`` runs that program.

jsonschema is imported first without ``rfc3987_syntax``, a grammar that costs each start about
1.5 s (hub) to 3 s (user server) of CPU and serves no schema any of them uses: see
:mod:`spacehub.config.jsonschema_`. Kernels are separate processes and unaffected.

A user's server gives its kernels spacehub's startup file (``PYTHONSTARTUP``, unless the user set
one): plots that need no internet (:mod:`spacehub.notebook`); and JupyterLab fetches no news or
update checks (:data:`OFFLINE_LAB`); a refused request for its licenses gets its 403
(:func:`answer_refusals_of_licenses`); it starts without running node for yarn's configuration
(:func:`no_yarn_configuration`). ``spacehub-singleuser`` is
``python -m spacehub.hub.launch jupyterhub-singleuser`` (Kubernetes pods run it).

The hub is JupyterHub with three changes. :func:`watch_services_closely`: a service that died is
noticed and started again within seconds (JupyterHub looks every 30 s). :func:`stop_together`: on shutdown it stops its services
(the gateway with its clusters, the data service, the culler) and the users' servers all at once,
where JupyterHub stops them one after another, each waited for with a growing backoff. And it is a
child subreaper that ends whatever of its own still runs when it exits (a kernel whose server was
stopped, say) once it stops: if ``spacehub up`` is gone (``kill -9``), the hub is the last one to
clean up. While it runs, ``spacehub up`` adopts (and reaps) what its children leave.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..config.jsonschema_ import import_jsonschema
from ..redact import redact_logs

PROGRAMS = {
    "jupyterhub": "jupyterhub.app",
    "jupyterhub-singleuser": "jupyterhub.singleuser",
}


def main(argv: list[str] | None = None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in PROGRAMS:
        raise SystemExit(f"usage: python -m spacehub.hub.launch {{{'|'.join(PROGRAMS)}}} [ARGS...]")
    name, *args = argv
    redact_logs()  # no credential in the hub's log nor a server's, from their first line
    import_jsonschema()  # before the program imports it: see spacehub.config.jsonschema_
    if name == "jupyterhub-singleuser":
        from ..notebook import STARTUP_FILE

        os.environ.setdefault("PYTHONSTARTUP", str(STARTUP_FILE))  # kernels inherit it
        args = [*OFFLINE_LAB, *args]  # the operator's own arguments come after, and win
        settings = lab_settings_for(os.environ.get("JUPYTERHUB_BASE_URL", "/"))
        if settings is not None:
            args.insert(len(OFFLINE_LAB), f"--LabApp.app_settings_dir={settings}")
        answer_refusals_of_licenses()
        no_yarn_configuration()
    sys.argv = [name, *args]
    if name == "jupyterhub":
        watch_services_closely()
        return _hub_class().launch_instance()  # jupyterhub.app.main, with stop_together
    return importlib.import_module(PROGRAMS[name]).main()


#: JupyterLab asks nothing of the internet: no news feed, no check for a newer JupyterLab (the
#: hub's operator updates the environment), and its users' defaults (``notebook/lab-settings``)
#: say so, which keeps JupyterLab from asking each new user whether to fetch news
OFFLINE_LAB = ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.app_settings_dir={Path(__file__).parents[1] / 'notebook' / 'lab-settings'}"]

def no_yarn_configuration() -> None:
    """JupyterLab without its look at yarn's configuration: importing ``jupyterlab.labapp`` runs
    ``node yarn.js config --json`` (0.3 s and 0.36 s of CPU at each server start: 15 s of CPU when 40
    seats of a workshop start at once) for the package registry of a lab build, which a user's server
    never runs (its extensions come installed). The registry stays yarn's default.

    Relies on (jupyterlab 4, the version pyproject.toml allows): ``jupyterlab.commands._yarn_config(logger)``,
    returning ``{"yarn config": dict, "npm config": dict}``, read by ``AppOptions``' default registry;
    ``tests/unit/test_launch.py`` checks it."""
    import jupyterlab.commands

    jupyterlab.commands._yarn_config = lambda logger: {"yarn config": {}, "npm config": {}}


def lab_settings_for(base_url: str) -> Path | None:
    """The users' JupyterLab defaults for a hub under ``base_url``: the *Gallery* menu's links are
    absolute paths (JupyterLab opens them from wherever the page is), written for a hub at ``/``;
    under another prefix a copy with the prefix is made in the account's runtime folder (None: the
    shipped folder is right)."""
    import json
    import tempfile

    if base_url in ("", "/"):
        return None
    shipped = Path(__file__).parents[1] / "notebook" / "lab-settings" / "overrides.json"
    prefix = "/" + base_url.strip("/")
    text = shipped.read_text().replace('"url": "/', f'"url": "{prefix}/')
    json.loads(text)  # still JSON: a prefix with a quote in it is no base URL
    folder = Path(tempfile.mkdtemp(prefix="spacehub-lab-settings-"))  # the account's own, 0700
    (folder / "overrides.json").write_text(text)
    return folder


#: seconds between looks at a process being stopped on shutdown
STOP_POLL = 0.05


async def _prompt_wait_for_death(spawner: Any, timeout: float = 10) -> bool:
    """``Spawner.wait_for_death``, looking every ``STOP_POLL`` s instead of a jittered backoff growing to 5 s."""
    deadline = time.monotonic() + timeout
    while await spawner.poll() is None:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(STOP_POLL)
    return True


async def stop_together(hub: Any) -> None:
    """Stop ``hub``'s managed services and its users' servers at once, each seen gone as it exits.

    JupyterHub's ``cleanup`` stops each managed service in turn, then the servers; each stop sends
    SIGINT, then looks for the process after pauses drawn at random up to 0.1, 0.2, 0.4 ... 5 s.
    After clusters ran, a Ctrl-C took 4-8 s that way: the gateway (which stops the clusters) needs
    1.5-2 s, the user's server about 1 s, and each was seen gone up to 1.5 s late. Here they all
    stop at once and a local process is looked for every ``STOP_POLL``; run first in ``cleanup``,
    this leaves upstream's part nothing to wait for: it finds the services and servers stopped and
    goes on with the proxy, the database and the pid file.

    Relies on (jupyterhub 6.1, the version pyproject.toml allows): ``JupyterHub._service_map`` (name -> ``Service`` with
    ``managed``, ``spawner`` and ``stop()``), ``JupyterHub.users`` (a dict of ``User`` with
    ``spawners`` by server name and ``stop(server_name)``), ``Spawner.active``,
    ``JupyterHub.cleanup_servers``; ``LocalProcessSpawner.stop`` awaiting ``self.wait_for_death(timeout)``
    after each signal; ``Service.stop`` and ``User.stop`` returning at once for a process that has
    exited (so upstream's ``cleanup`` after this does not wait again). ``tests/unit/test_process.py``
    checks them.
    """
    from jupyterhub.spawner import LocalProcessSpawner

    stops, spawners = {}, []
    for name, service in hub._service_map.items():
        if service.managed:
            stops[f"service {name}"] = service.stop()
            spawners.append(service.spawner)
    if hub.cleanup_servers:
        for user in list(hub.users.values()):
            for server, spawner in list(user.spawners.items()):
                if spawner.active:
                    stops[f"{user.name}'s server {server!r}"] = user.stop(server)
                    spawners.append(spawner)
    for spawner in spawners:
        # a local process only: others (batchspawner's Slurm jobs) are polled by asking their scheduler
        if isinstance(spawner, LocalProcessSpawner):
            spawner.wait_for_death = functools.partial(_prompt_wait_for_death, spawner)
    results = await asyncio.gather(*stops.values(), return_exceptions=True)
    for what, result in zip(stops, results, strict=True):
        if isinstance(result, Exception):
            hub.log.error("Failed to stop %s: %s", what, result)


def answer_refusals_of_licenses() -> None:
    """JupyterLab's ``lab/api/licenses/`` answers an error (a stranger's 403, a 404) instead of hanging.

    ``jupyterlab_server.licenses_handler.LicensesHandler.finish(self, _mime_type, ...)`` wants the
    report's MIME type; tornado's ``send_error`` calls ``finish()`` without one, which raises
    ``TypeError``, and the request is never answered: a person not let in waits until their browser
    gives up. An error is finished as every other API error is (JSON). Relies on (jupyterlab_server
    2.27 to 2.28.1): that signature and ``LicensesHandler`` being a jupyter_server ``APIHandler``;
    ``tests/unit/test_launch.py`` fails when upstream changes it.
    """
    from jupyterlab_server.licenses_handler import LicensesHandler

    report_finish = LicensesHandler.finish
    if getattr(report_finish, "__wrapped__", None) is not None:
        return

    @functools.wraps(report_finish)
    def finish(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.get_status() >= 400:
            return super(LicensesHandler, self).finish(*args, **kwargs)
        return report_finish(self, *args, **kwargs)

    LicensesHandler.finish = finish  # type: ignore[method-assign]  # the fix described above


#: seconds between two looks at whether a hub-managed service still runs (JupyterHub's: 30)
SERVICE_POLL = 3


def watch_services_closely() -> None:
    """The hub notices a managed service that died (the data service, the gallery, the gateway) within
    :data:`SERVICE_POLL` seconds and starts it again, instead of up to 30 s of outage.

    JupyterHub runs each managed service with ``jupyterhub.services.service._ServiceSpawner``, made
    without the hub's configuration, so its ``poll_interval`` (the period of the poll that restarts an
    exited service) is the class default and cannot be configured; a subclass with another default
    takes its place. Polling a local process is a ``kill(pid, 0)``. Relies on (jupyterhub 5.0 to
    6.1): ``Service.start`` making the spawner by that module-level name, ``_ServiceSpawner`` being a
    ``LocalProcessSpawner``; ``tests/unit/test_launch.py`` fails when upstream changes either.
    """
    from jupyterhub.services import service
    from traitlets import Integer

    if getattr(service._ServiceSpawner, "spacehub_poll", False):
        return

    class ServiceSpawner(service._ServiceSpawner):
        spacehub_poll = True
        poll_interval = Integer(SERVICE_POLL, help="seconds between two looks at whether the service still runs")

    service._ServiceSpawner = ServiceSpawner  # the change described above


def _hub_class() -> Any:
    """JupyterHub with :func:`stop_together` first in its cleanup (imported here: after jsonschema).

    Named ``JupyterHub`` too: its log lines and its configuration section stay JupyterHub's.
    """
    from jupyterhub import app

    from .process import become_subreaper, end_descendants

    class JupyterHub(app.JupyterHub):
        async def cleanup(self) -> None:
            # what its services and servers leave while they stop (a kernel, the gateway's proxy) is
            # its own to end below, also when `spacehub up`, which otherwise adopts it, is gone
            become_subreaper()
            await stop_together(self)
            await super().cleanup()
            ended = end_descendants()
            if ended:
                self.log.info("Ended %d process(es) left by stopped servers and services: %s", len(ended), ended)

    return JupyterHub


def singleuser() -> int:
    """``spacehub-singleuser``: a user's server (the command the user image and Kubernetes pods run)."""
    return main(["jupyterhub-singleuser", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
