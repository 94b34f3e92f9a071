"""The one way spacehub reads YAML (the settings file, the catalog files): bounded, and every problem a
`YAMLProblem` that names the file and line.

PyYAML's safe loader builds an alias as a reference to the anchored object, so a 5 KB file of
nested aliases ("billion laughs") loads in milliseconds into a structure of billions of nodes when
walked as a tree, which everything after loading does (schema validation, copying, reading). So a
document's events are counted first, in one pass of libyaml's parser, an alias counting as the nodes
it stands for, and a document past its `Limits` (bytes, nodes, nesting depth) is refused before
anything is built, at the line where it went past. That pass also refuses keys that are not text
(``1:``, ``yes:``, ``2015-03-17:``, ``[a, b]:``): every key of these files is a name.

Values that YAML's types cannot hold (``2015-13-01`` as a date, an integer of 5,000 digits) are
refused at their line too, instead of escaping as a bare ``ValueError``.

>>> load_yaml("a: &x [1, 2]\\nb: *x\\n", "demo.yaml")
{'a': [1, 2], 'b': [1, 2]}
>>> load_yaml("a: &a [x, x]\\nb: &b [*a, *a]\\nc: [*b, *b]\\n", "bomb.yaml", Limits(nodes=10))
Traceback (most recent call last):
...
spacehub.config.yaml_.YAMLProblem: bomb.yaml:2: more than 10 YAML nodes (aliases counted as what they \
repeat): ...
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError

#: libyaml's parser where PyYAML was built with it (about ten times faster); the constructor is Python
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:merge")  # text, and `<<` merging a mapping in
_TYPE_NAMES = {"bool": "a boolean", "int": "an integer", "float": "a number", "null": "null",
               "timestamp": "a date"}


class YAMLProblem(ValueError):
    """A YAML file that cannot be read: which file, which line (when known) and why."""

    def __init__(self, path: str | os.PathLike, why: str, line: int | None = None):
        self.path, self.why, self.line = str(path), why, line
        super().__init__(f"{self.path}{f':{line}' if line else ''}: {why}")


@dataclass(frozen=True)
class Limits:
    """How big a document may be: ``bytes`` of text, ``nodes`` (scalars and collections, an alias
    counting as the nodes it repeats) and ``depth`` of nested collections."""

    bytes: int = 1 << 20
    nodes: int = 20_000
    depth: int = 32


class SafeLoader(_Base):
    """YAML's safe types, a value that does not fit its type refused as a YAML error at its line."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError, ArithmeticError) as e:
            what = _TYPE_NAMES.get(node.tag.rsplit(":", 1)[-1], node.tag)
            shown = _short(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
            raise ConstructorError(None, None, f"{shown} is not {what} ({e}); quote it if it is text",
                                   node.start_mark) from None


def _short(value: object, most: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= most else f"{text[:most - 5]}...{text[-1]}"


def read_yaml(path: str | os.PathLike, loader: type = SafeLoader, limits: Limits = Limits()) -> tuple[Any, str]:
    """The data and the text of the YAML file ``path``. ``FileNotFoundError`` is left to the caller
    (who knows where the file should have come from); every other problem is a `YAMLProblem`."""
    try:
        with open(path, "rb") as f:
            raw = f.read(limits.bytes + 1)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise YAMLProblem(path, f"cannot be read: {e.strerror or e}") from None
    if len(raw) > limits.bytes:
        raise YAMLProblem(path, f"is larger than {limits.bytes:,} bytes, more than such a file ever needs")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise YAMLProblem(path, f"is not UTF-8 text (byte {e.start}: {raw[e.start:e.start + 1]!r}); save it as "
                                "UTF-8", line) from None
    return load_yaml(text, path, limits, loader), text


def load_yaml(text: str, path: str | os.PathLike = "<yaml>", limits: Limits = Limits(),
              loader: type = SafeLoader) -> Any:
    """The data of the YAML document ``text`` (read from ``path``), refused with a `YAMLProblem` when
    it is not YAML, is past ``limits`` or has a key that is not text."""
    if len(text) > limits.bytes:
        raise YAMLProblem(path, f"is larger than {limits.bytes:,} characters, more than such a file ever needs")
    check_events(text, path, limits, loader)
    reader = loader(text)
    try:
        return reader.get_single_data()
    except yaml.YAMLError as e:
        raise _problem(path, e, text) from None
    finally:
        reader.dispose()


def check_events(text: str, path: str | os.PathLike, limits: Limits, loader: type = SafeLoader) -> None:
    """Refuse ``text`` past ``limits`` or with a key that is not text, in one pass of the parser."""
    resolver = loader("")  # the loader's own rules for what a plain scalar is (its dates, or none)
    nodes, aliases = 0, 0
    sizes: dict[str, int] = {}  #: anchor -> nodes it stands for
    open_: list[list] = []  #: per open collection: [anchor, nodes before it, is a mapping, children so far]
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, before, _, _ = open_.pop()
                if anchor is not None:
                    sizes[anchor] = nodes - before
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if open_:
                parent = open_[-1]
                if parent[2] and parent[3] % 2 == 0:
                    _check_key(event, resolver, path, line)
                parent[3] += 1
            if isinstance(event, yaml.AliasEvent):
                if any(o[0] == event.anchor for o in open_):
                    raise YAMLProblem(path, f"alias *{event.anchor} is inside its own anchor: such a value "
                                            "would contain itself", line)
                aliases += 1
                nodes += sizes.get(str(event.anchor), 1)
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            else:
                open_.append([event.anchor, nodes, isinstance(event, yaml.MappingStartEvent), 0])
                nodes += 1
                if len(open_) > limits.depth:
                    raise YAMLProblem(path, f"nested more than {limits.depth} levels deep; such a file never "
                                            "needs that", line)
            if nodes > limits.nodes:
                how = " (aliases counted as what they repeat)" if aliases else ""
                raise YAMLProblem(path, f"more than {limits.nodes:,} YAML nodes{how}: far more than such a "
                                        "file needs; is an alias repeating a large value many times?", line)
    except yaml.YAMLError as e:
        raise _problem(path, e, text) from None
    finally:
        resolver.dispose()


def _check_key(event, resolver, path, line: int | None) -> None:
    if not isinstance(event, yaml.ScalarEvent):
        what = "an alias" if isinstance(event, yaml.AliasEvent) else "a list or mapping"
        raise YAMLProblem(path, f"a key is {what}; keys are names (text)", line)
    tag = event.tag
    if tag is None or tag == "!":
        tag = resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag not in _KEY_TAGS:
        what = _TYPE_NAMES.get(tag.rsplit(":", 1)[-1], tag)
        raise YAMLProblem(path, f"key {_short(event.value)} is read as {what}; keys are names (text): write it in "
                                f"quotes, '{event.value}'", line)


def _problem(path, error: yaml.YAMLError, text: str) -> YAMLProblem:
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow, at a position
        return YAMLProblem(path, f"not valid YAML: character {error.character!r} is not allowed ({error.reason})",
                           text.count("\n", 0, max(error.position, 0)) + 1)
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    why = problem if isinstance(error, ConstructorError) else \
        f"not valid YAML: {f'{context} ' if context else ''}{problem}"
    return YAMLProblem(path, why, mark.line + 1 if mark is not None else None)


def line_of(text: str | None, keys: Iterable, loader: type = SafeLoader) -> int | None:
    """1-based line of the deepest key of the path ``keys`` (names and list indexes) found in ``text``."""
    if not text:
        return None
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return None
    line = None
    for key in map(str, keys):
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


__all__ = ["Limits", "SafeLoader", "YAMLProblem", "check_events", "line_of", "load_yaml", "read_yaml"]
