"""What the slurm target needs from the system beyond the settings: the gateway's sudoers rule."""

from __future__ import annotations

from ..config import Settings


def sudoers_rule(settings: Settings, service_user: str, group: str = "ALL") -> str:
    """The sudoers line that lets the gateway's service user submit jobs as hub users.

    dask-gateway's Slurm backend runs ``sudo -nHu USER dask-gateway-jobqueue-launcher`` for every
    job; nothing else may be run. ``group`` narrows the target users to a Unix group (``%group``
    of sudoers, e.g. the group all hub users are in); ``ALL`` allows any account.

    Examples
    --------
    >>> from spacehub.config.settings import validate_settings
    >>> s = validate_settings({"target": "slurm", "mode": "isolated"})
    >>> print(sudoers_rule(s, "spacehub"), end="")
    # spacehub: the Dask gateway submits Slurm jobs as the cluster's user
    spacehub ALL=(ALL) NOPASSWD: /opt/spacehub/env/bin/dask-gateway-jobqueue-launcher
    """
    launcher = settings.slurm.job_env / "bin" / "dask-gateway-jobqueue-launcher"
    runas = "ALL" if group == "ALL" else f"%{group}"
    return ("# spacehub: the Dask gateway submits Slurm jobs as the cluster's user\n"
            f"{service_user} ALL=({runas}) NOPASSWD: {launcher}\n")
