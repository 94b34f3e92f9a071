"""The ``spacehub`` command: ``up``, ``doctor``, ``config validate``, ``render``, ``catalog ...``, ``data sample``."""

from __future__ import annotations

import argparse
import sys

from .catalog.cli import add_commands as add_catalog_commands
from .catalog.errors import ReadError, UnknownDataset
from .catalog.files import CatalogError
from .config import SettingsError, load_settings
from .data.cli import add_commands as add_data_commands
from .timerange import TimeError

DEMO_WARNING = """\
NOTE: demo mode. Every user's server and Dask cluster runs as this Unix account ({user}):
      users are NOT isolated from each other. Fine for one person or a trusted group;
      use `mode: isolated` (as root) to give each user their own account."""


def _shown(path) -> str:
    """``path`` as a person finds it from here: relative to the working directory when under it."""
    from pathlib import Path

    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _login_hint(settings) -> str:
    """How to log in, in a few words: who, and the file that holds the password (never the password)."""
    from .config.secrets import secrets_dir

    auth = settings.auth
    admin = auth.admin_users[0] if auth.admin_users else None
    where = secrets_dir(settings.state_dir)
    if auth.type == "local":
        if admin:
            return f"log in as {admin} with the password in {_shown(where / 'admin_password')}"
        return "log in as a user an admin created"
    if auth.type == "shared-password":
        return f"log in with any name and the password in {_shown(where / 'shared_password')}"
    return f"log in through {auth.type}"


def _banner(settings) -> str:
    from .config.secrets import secrets_dir
    from .hub import public_url

    auth = settings.auth
    admin = auth.admin_users[0] if auth.admin_users else None
    lines = [f"spacehub starting: {public_url(settings)}", f"  settings:  {settings.source}",
             f"  state dir: {settings.state_dir}", f"  {_login_hint(settings)}"]
    if auth.type == "local":
        lines.append("  other users: list them in auth.allowed_users or create them in the admin panel;"
                     " each sets a password at first login")
    elif auth.type == "shared-password" and admin:
        lines.append(f"  admin '{admin}': password in {_shown(secrets_dir(settings.state_dir) / 'admin_password')}")
    if settings.mode == "demo":
        import getpass
        lines.append(DEMO_WARNING.format(user=getpass.getuser()))
    return "\n".join(lines)


def ready_line(settings) -> str:
    """What ``spacehub up`` says once the hub can be used: the URL and how to log in, again
    (the start-up banner has scrolled away by then)."""
    from .hub import public_url

    # ASCII only: a terminal in a non-UTF-8 locale prints it too
    return f"spacehub is ready at {public_url(settings)} - {_login_hint(settings)}"


def cmd_up(args) -> int:
    from .doctor import busy_ports, report, target_checks
    from .hub.process import run_hub, stop_leftover_hub
    from .hub.runtime import prepare_state

    settings = load_settings(args.config)
    stop_leftover_hub(settings.state_dir, log=lambda m: print(m, flush=True))
    busy = busy_ports(settings)
    if busy:
        print("spacehub: cannot start, ports in use: " + ", ".join(f"{k}={p}" for k, p in busy.items())
              + f"\n  -> stop what uses them (`ss -ltnp`) or choose other ports in {settings.source}",
              file=sys.stderr)
        return 1
    if settings.target == "kubernetes":
        print("spacehub: target kubernetes runs on the cluster, not here: `spacehub render kubernetes` writes "
              "the Helm values (README: Operating it, Kubernetes)", file=sys.stderr)
        return 1
    failed = [c for c in target_checks(settings) if not c.ok]
    if any(c.blocking for c in failed):
        print(f"spacehub: cannot start the {settings.target} target:", file=sys.stderr)
        report(failed, out=lambda line: print(line, file=sys.stderr))
        return 1
    for c in failed:
        print(f"spacehub: warning: {c.name}: {c.detail}\n  -> {c.fix}", file=sys.stderr)
    prepare_state(settings)
    print(_banner(settings), flush=True)
    return run_hub(settings, log=lambda m: print(m, flush=True), ready_message=ready_line(settings))


def cmd_doctor(args) -> int:
    from .doctor import report, run_checks

    return 0 if report(run_checks(args.config)) else 1


def cmd_config_validate(args) -> int:
    settings = load_settings(args.file)
    print(f"{settings.source}: valid ({settings.mode} mode, {settings.auth.type} logins)")
    return 0


def cmd_render(args) -> int:
    from pathlib import Path

    from .render import sudoers_rule, write_kubernetes

    settings = load_settings(args.config)
    if args.what == "sudoers":
        print(sudoers_rule(settings, args.service_user, args.group), end="")
        return 0
    for path in write_kubernetes(settings, Path(args.out)):
        print(f"wrote {path}")
    return 0


def cmd_groups(args) -> int:
    from .hub.groups import GroupsError, run

    try:
        return run(load_settings(args.config), args.action, args.name, args.users)
    except GroupsError as e:
        print(f"spacehub groups: {e}", file=sys.stderr)
        return 1


def cmd_workshop(args) -> int:
    from .workshops.cli import WorkshopError
    from .workshops.cli import main as workshop

    rest, config = list(args.rest), None
    if "--config" in rest:  # anywhere among the workshop's own arguments
        at = rest.index("--config")
        config = rest[at + 1] if at + 1 < len(rest) else None
        del rest[at:at + 2]
    try:
        return workshop(load_settings(config), rest)
    except WorkshopError as e:
        print(f"spacehub workshop: {e}", file=sys.stderr)
        return 1


def cmd_gallery(args) -> int:
    from .gallery.client import main as gallery

    return gallery(args.rest)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spacehub", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the hub in the foreground (Ctrl-C stops everything)")
    up.add_argument("--config", help="settings file (default: $SPACEHUB_CONFIG or hub/spacehub.yaml)")
    up.set_defaults(func=cmd_up)
    doc = sub.add_parser("doctor", help="check the installation and say what to fix")
    doc.add_argument("--config", help="settings file to check")
    doc.set_defaults(func=cmd_doctor)
    cfg = sub.add_parser("config", help="deployment settings")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    val = cfg_sub.add_parser("validate", help="validate a settings file")
    val.add_argument("file")
    val.set_defaults(func=cmd_config_validate)
    ren = sub.add_parser("render", help="files for the scale-out targets: Helm values, the Slurm sudoers rule")
    ren.add_argument("what", choices=["kubernetes", "sudoers"],
                     help="kubernetes: values of the jupyterhub and dask-gateway charts; "
                          "sudoers: the rule the gateway needs on the slurm target")
    ren.add_argument("--config", help="settings file (default: $SPACEHUB_CONFIG or hub/spacehub.yaml)")
    ren.add_argument("--out", default="kubernetes", help="folder for the kubernetes files (default ./kubernetes)")
    ren.add_argument("--service-user", default="root", help="sudoers: Unix account the hub and gateway run as")
    ren.add_argument("--group", default="ALL", help="sudoers: Unix group of the hub users (default: any user)")
    ren.set_defaults(func=cmd_render)
    grp = sub.add_parser("groups", help="the hub's groups (who sees which group folder), from the host",
                         description="list | create NAME [USER...] | add NAME USER... | remove NAME USER... | "
                                     "delete NAME: the hub's groups, as on its admin page; run as the account "
                                     "that runs the hub")
    grp.add_argument("action", choices=["list", "create", "add", "remove", "delete"])
    grp.add_argument("name", nargs="?")
    grp.add_argument("users", nargs="*")
    grp.add_argument("--config", help="settings file (default: $SPACEHUB_CONFIG or hub/spacehub.yaml)")
    grp.set_defaults(func=cmd_groups)
    wk = sub.add_parser("workshop", help="a workshop: create (seats, group, materials), status, end (archive)",
                        add_help=False)
    wk.add_argument("rest", nargs=argparse.REMAINDER)
    wk.set_defaults(func=cmd_workshop)
    gal = sub.add_parser("gallery", help="publish a notebook to the hub's gallery, list its entries (from your server)",
                         add_help=False)
    gal.add_argument("rest", nargs=argparse.REMAINDER)
    gal.set_defaults(func=cmd_gallery)
    add_catalog_commands(sub)
    add_data_commands(sub)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as e:
        print(f"spacehub: invalid settings: {e}", file=sys.stderr)
        return 2
    except CatalogError as e:
        print(f"spacehub: invalid catalog: {e}", file=sys.stderr)
        return 2
    except (ReadError, TimeError, UnknownDataset) as e:  # anything else is a bug: its traceback shows where
        print(f"spacehub: {e.args[0] if e.args else e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `spacehub catalog list | head`: the reader has all it wanted
        sys.stderr.close()  # nothing more can be said, and Python must not complain at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
