"""Load and validate the deployment settings file.

The schema (``schema.yaml`` beside this module) is the reference documentation: every key has a
``description``. Errors name the file, the key (dotted path), the line and why, so that an operator
can fix the file without reading code.
"""

from __future__ import annotations

import copy
import math
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .jsonschema_ import Draft202012Validator
from .model import Settings, build_settings
from .paths import DEFAULT_SETTINGS_FILE
from .yaml_ import YAMLProblem, line_of, read_yaml

SCHEMA_FILE = Path(__file__).with_name("schema.yaml")


class SettingsError(ValueError):
    """A settings file that cannot be used: says which file, which key and why."""

    def __init__(self, path, key: str, why: str, line: int | None = None):
        self.path, self.key, self.why, self.line = str(path), key, why, line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {key or '(top level)'}: {why}")


def settings_path(path: str | os.PathLike | None = None) -> Path:
    """The settings file to use: ``path``, else ``$SPACEHUB_CONFIG``, else ``hub/spacehub.yaml``."""
    if path:
        return Path(path).expanduser().resolve()
    env = os.environ.get("SPACEHUB_CONFIG")
    return Path(env).expanduser().resolve() if env else DEFAULT_SETTINGS_FILE


@cache
def schema() -> dict:
    with open(SCHEMA_FILE) as f:
        return yaml.safe_load(f)


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read, validate and complete a settings file.

    Raises
    ------
    SettingsError
        If the file is missing, is not YAML, or breaks the schema (unknown key, wrong type, ...).
    """
    path = settings_path(path)
    try:
        raw, text = read_yaml(path)
    except FileNotFoundError:
        raise SettingsError(path, "", "file not found (set SPACEHUB_CONFIG or pass a path)") from None
    except YAMLProblem as e:
        raise SettingsError(path, "", e.why, e.line) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SettingsError(path, "", f"must be a mapping of settings, not {type(raw).__name__}")
    return validate_settings(raw, path, text)


def validate_settings(raw: dict, path: str | os.PathLike = "<settings>", text: str | None = None) -> Settings:
    """Validate a settings mapping (as read from ``path``) and return the typed settings, defaults filled
    in and units parsed; relative paths are relative to ``path``'s folder (the working directory for
    a mapping that comes from no file)."""
    _check_values(raw, [], path, text)  # first: a schema's "number" takes .inf and .nan
    validator = Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = errors[0]
        key = _dotted(err.absolute_path)
        if err.validator == "additionalProperties":
            unknown = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            key = _dotted([*err.absolute_path, unknown[0]]) if unknown else key
            known = ", ".join(sorted(err.schema.get("properties", {})))
            why = f"unknown setting (known here: {known})"
        elif err.validator == "required":
            why = err.message.replace("is a required property", "is required but missing")
        else:
            why = err.message
        raise SettingsError(path, key, why, line_of(text, key.split(".") if key else []))
    filled = _with_defaults(copy.deepcopy(raw), schema(), schema())
    if filled["mode"] == "auto":  # decided by who starts the hub: root can give each user an account
        filled["mode"] = "isolated" if os.geteuid() == 0 else "demo"
    _check_consistency(filled, path, text)
    base = Path(path).parent if str(path) != "<settings>" else Path.cwd()
    # shipped folders (the templates) relative to the file, or to hub/ for a mapping from no file
    shipped = Path(path).parent if Path(path).is_file() else DEFAULT_SETTINGS_FILE.parent
    settings = build_settings(filled, Path(path), base, shipped)
    _check_state_dir(settings.state_dir, path, text)
    return settings


#: folders of the system that the hub must never take as its state folder (it makes it 0700)
SYSTEM_FOLDERS = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/media", "/mnt",
                  "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var",
                  "/var/lib", "/var/tmp")


#: the most memory a setting may give (1 PiB): more than any machine has, far less than overflows a byte count
MOST_GIB = 2**20


def _check_values(value: Any, where: list, path, text) -> None:
    """Values a schema's types let through that no setting means: YAML's .inf and .nan (a "number"),
    a NUL character (no path or name holds one), ``~user/`` of no user, memory past `MOST_GIB` (a ``*_gib`` key)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_values(item, [*where, key], path, text)
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_values(item, [*where, i], path, text)
        return
    why = None
    if isinstance(value, float) and not math.isfinite(value):
        why = f"{value} is not a number a setting can take (finite numbers only)"
    elif isinstance(value, str) and "\x00" in value:
        why = "contains a NUL character (\\0), which no path, name or URL may hold"
    elif isinstance(value, str) and value.startswith("~") and os.path.expanduser(value) == value:
        user = value[1:].split("/", 1)[0]
        why = f"{value!r} starts with ~{user}, but there is no user {user!r} whose home folder that could be"
    elif (isinstance(value, int | float) and not isinstance(value, bool) and value > MOST_GIB
          and any(str(k).endswith("_gib") for k in where)):
        why = f"{value:g} GiB is more than any machine has (at most {MOST_GIB:,} GiB, 1 PiB)"
    if why:
        raise SettingsError(path, _dotted(where), why, line_of(text, where))


def _check_state_dir(state_dir: Path, path, text) -> None:
    """The state folder is made private (0700) at start: never a system folder nor someone's home."""
    homes = set()
    try:
        import pwd

        homes = {Path(entry.pw_dir) for entry in pwd.getpwall() if entry.pw_dir not in ("", "/")}
    except ImportError:  # not a Unix system
        pass
    if str(state_dir) in SYSTEM_FOLDERS or state_dir in homes or state_dir == Path.home():
        what = "a system folder" if str(state_dir) in SYSTEM_FOLDERS else "a home folder"
        raise SettingsError(path, "state_dir", f"{state_dir} is {what}; the hub makes its state folder private "
                            "(mode 0700) and keeps secrets there: give it a folder of its own, e.g. "
                            f"{state_dir / 'spacehub-state'}", line_of(text, ["state_dir"]))


def _with_defaults(value: Any, sub: dict, root: dict) -> Any:
    if "$ref" in sub:
        name = sub["$ref"].rsplit("/", 1)[-1]
        sub = {**root["$defs"][name], **{k: v for k, v in sub.items() if k != "$ref"}}
    if not isinstance(value, dict) or "properties" not in sub:
        return value
    for key, prop in sub["properties"].items():
        if key not in value and "default" in prop:
            value[key] = copy.deepcopy(prop["default"])
        elif isinstance(value.get(key), dict) and isinstance(prop.get("default"), dict):
            value[key] = {**copy.deepcopy(prop["default"]), **value[key]}
        if key in value:
            value[key] = _with_defaults(value[key], prop, root)
    return value


def _check_consistency(s: dict, path, text) -> None:
    """Rules a JSON schema cannot say: ranges that must nest, quotas that must fit one cluster."""

    def fail(key, why):
        raise SettingsError(path, key, why, line_of(text, key.split(".")))

    gw = s["gateway"]
    for name in ("worker_cores", "worker_memory_gib"):
        c = gw[name]
        if not c["min"] <= c["default"] <= c["max"]:
            fail(f"gateway.{name}", f"needs min <= default <= max, got {c}")
    quota, limits = gw["user_quota"], gw["cluster_limits"]
    if quota["cores"] < gw["scheduler_cores"] + gw["worker_cores"]["min"]:
        fail("gateway.user_quota.cores",
             f"{quota['cores']} cores cannot hold one scheduler ({gw['scheduler_cores']}) and one worker")
    if limits.get("cores") is not None and limits["cores"] < gw["scheduler_cores"] + gw["worker_cores"]["min"]:
        fail("gateway.cluster_limits.cores", "too small for one scheduler and one worker")
    folder = Path(s["templates"]["folder"])
    if folder.is_absolute() or ".." in folder.parts or str(folder) in ("", "."):
        fail("templates.folder", f"{str(folder)!r} must be a folder inside each user's home (a relative path "
                                 "without '..', e.g. templates)")
    root = Path(s["folders"]["root"])
    if root.is_absolute() or ".." in root.parts or str(root) in ("", ".") or root.parts[0] in (
            "secrets", "homes", "sample-data", "cache", "gateway-clusters", "gallery", "workshops"):
        fail("folders.root", f"{str(root)!r} must be a folder of its own inside the state dir (a relative path "
                             "without '..', e.g. folders): the hub sets its owner and mode")
    ports: dict[int, str] = {}
    for key, port in (("hub.port", s["hub"]["port"]), ("hub.api_port", s["hub"]["api_port"]),
                      ("hub.proxy_api_port", s["hub"]["proxy_api_port"]),
                      ("gateway.port", s["gateway"]["port"] if s["gateway"]["enabled"] else None),
                      ("gateway.gate_port", s["gateway"]["gate_port"] if s["gateway"]["enabled"] else None),
                      ("data_service.port", s["data_service"]["port"] if s["data_service"]["enabled"] else None),
                      ("gallery.port", s["gallery"]["port"] if s["gallery"]["enabled"] else None),
                      ("workshops.port", s["workshops"]["port"] if s["workshops"]["enabled"] else None)):
        if port is None:
            continue
        if port in ports:
            fail(key, f"port {port} is already {ports[port]}'s: every service needs a port of its own")
        ports[port] = key
    if s["mode"] == "isolated" and s["auth"]["type"] == "shared-password":
        fail("auth.type", "shared-password logins cannot be mapped to Unix accounts in isolated mode")
    if s["auth"]["type"] in ("github", "oidc") and s["auth"]["type"] not in s["auth"]:
        kind = s["auth"]["type"]
        fail("auth.type", f"is {kind} but the auth.{kind} settings (client id, secret, ...) are missing")


def _dotted(parts) -> str:
    return ".".join(str(p) for p in parts)
