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
        text = path.read_text()
    except FileNotFoundError:
        raise SettingsError(path, "", "file not found (set SPACEHUB_CONFIG or pass a path)") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise SettingsError(path, "", f"not valid YAML: {getattr(e, 'problem', e)}",
                            mark.line + 1 if mark else None) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SettingsError(path, "", f"must be a mapping of settings, not {type(raw).__name__}")
    return validate_settings(raw, path, text)


def validate_settings(raw: dict, path: str | os.PathLike = "<settings>", text: str | None = None) -> Settings:
    """Validate a settings mapping (as read from ``path``) and return the typed settings, defaults filled
    in and units parsed; relative paths are relative to ``path``'s folder (the working directory for
    a mapping that comes from no file)."""
    _check_finite(raw, [], path, text)  # first: a schema's "number" takes .inf and .nan
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
        raise SettingsError(path, key, why, _line_of(text, key.split(".") if key else []))
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


def _check_finite(value: Any, where: list, path, text) -> None:
    """YAML's .inf and .nan pass a JSON schema's number type; no setting means either."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, [*where, key], path, text)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_finite(item, [*where, i], path, text)
    elif isinstance(value, float) and not math.isfinite(value):
        key = _dotted(where)
        raise SettingsError(path, key, f"{value} is not a number a setting can take (finite numbers only)",
                            _line_of(text, [str(k) for k in where]))


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
                            f"{state_dir / 'spacehub-state'}", _line_of(text, ["state_dir"]))


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
        raise SettingsError(path, key, why, _line_of(text, key.split(".")))

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
    ports: dict[int, str] = {}
    for key, port in (("hub.port", s["hub"]["port"]), ("hub.api_port", s["hub"]["api_port"]),
                      ("hub.proxy_api_port", s["hub"]["proxy_api_port"]),
                      ("gateway.port", s["gateway"]["port"] if s["gateway"]["enabled"] else None),
                      ("gateway.gate_port", s["gateway"]["gate_port"] if s["gateway"]["enabled"] else None),
                      ("data_service.port", s["data_service"]["port"] if s["data_service"]["enabled"] else None)):
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


def _line_of(text: str | None, keys: list[str]) -> int | None:
    """1-based line of the deepest existing key on ``keys`` in the YAML ``text``."""
    if not text:
        return None
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == key), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
            node = node.value[int(key)]
            line = node.start_mark.line + 1
        else:
            break
    return line
