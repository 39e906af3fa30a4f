"""YAML files validated by Pydantic, with errors that name the file, the line and the field.

``load_yaml`` returns the plain data plus the line of every key and list item, so a Pydantic error location
(``('shocks', 2, 'fraction')``) maps back to the line a user has to fix.

Hostile files are normal input: a file is read only up to ``MAX_YAML_BYTES``, must be UTF-8 text, and its aliases
may not add more than ``MAX_ALIAS_NODES`` nodes (or as many as the file itself holds, if more) when expanded: an
"alias bomb" of nested aliases is a few hundred bytes that expand to billions of nodes when walked or validated.
Every YAML reader in pinchpoint goes through :func:`read_yaml_document`.

JSON files a user writes (planning's measures, awards, projects and baselines) are read through :func:`read_json`
with the same size and encoding caps, and a nesting cap checked before parsing (:data:`MAX_JSON_DEPTH`): Python's
JSON parser recurses once per level and fails with a ``RecursionError`` somewhere under 1,000 levels, an error that
names no file (a traceback at the command line, a 500 on the workbench).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pinchpoint.errors import DataError, Location, validation_message

Lines = dict[tuple[Any, ...], int]
M = TypeVar("M", bound=BaseModel)

#: Largest YAML file read (scenarios, native datasets and coalitions are far smaller: the built-in dataset is ~60 kB).
MAX_YAML_BYTES = 20_000_000
#: Most nodes aliases may add to a document once expanded, beyond the nodes the file itself spells out (files
#: larger than this may double in size through aliases).
MAX_ALIAS_NODES = 200_000


def read_text(path: Path, max_bytes: int = MAX_YAML_BYTES, what: str = "file") -> str:
    """The UTF-8 text of ``path``; an error naming the file when it is too large, binary, or in another encoding."""
    label = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DataError(f"{what} is {size:,} bytes, more than the {max_bytes:,} read", file=label)
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=label) from None
    return decode_text(raw, label)


#: Deepest nesting of arrays and objects a JSON file may have (planning's files nest 3 levels).
MAX_JSON_DEPTH = 100
# a JSON string (skipped: brackets inside it do not nest) or a bracket
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def check_json_depth(text: str, label: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON ``text`` nested more than ``limit`` levels deep, naming the file and the line where it goes past
    the cap, before a parser recurses into it."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        char = text[token.start()]
        if char in "[{":
            depth += 1
            if depth > limit:
                raise DataError(f"nested more than {limit} levels deep (the most a JSON file may nest): not a file "
                                "this reads", file=label, row=text.count("\n", 0, token.start()) + 1, unit="line")
        elif char in "]}":
            depth -= 1


def parse_json(text: str, label: str) -> Any:
    """The JSON document ``text`` of the file ``label``, its nesting checked first (:func:`check_json_depth`); a
    document that is not JSON is an error naming the file and the line."""
    check_json_depth(text, label)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=label, row=exc.lineno,
                        unit="line") from None
    except RecursionError:  # not reached under the depth cap; kept so no parser failure escapes unnamed
        raise DataError(f"nested more than {MAX_JSON_DEPTH} levels deep", file=label) from None


def read_json(path: Path, max_bytes: int = MAX_YAML_BYTES, what: str = "JSON file") -> Any:
    """The JSON document in ``path``, within the caps of :func:`read_text` and :func:`parse_json`."""
    return parse_json(read_text(path, max_bytes, what), str(path))


def decode_text(raw: bytes, label: str) -> str:
    """Decode UTF-8 (with or without a byte-order mark), naming the encoding a file seems to be in otherwise."""
    from pinchpoint.sources.sniff import binary_kind

    if (found := binary_kind(raw)) is not None:  # a workbook, a zip, a PDF...: named, with what to do
        raise DataError(f"this is {found[0]}, not a text file: {found[1]}", file=label, row=1)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError("the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8",
                        file=label, row=1)
    if b"\x00" in raw[:4096]:
        raise DataError("the file holds NUL bytes: it is binary or UTF-16/32 text, not UTF-8", file=label,
                        row=raw[: raw.index(b"\x00")].count(b"\n") + 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}): {exc.reason}",
                        file=label, row=line) from None


def check_alias_expansion(root: Any, label: str, limit: int = MAX_ALIAS_NODES) -> None:
    """Refuse a document whose aliases expand it by more than ``max(limit, nodes in the file)`` nodes. The
    expanded size is computed without expanding: each distinct node's size is memoised, so the cost is linear in
    the file. A node that contains itself through an alias is refused too."""
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()
    # iterative post-order walk, so deep nesting cannot exhaust the Python stack
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children: list[Any] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if not done:
            if key in active:
                raise DataError("a YAML alias refers to a node that contains it (a recursive document)",
                                file=label, row=node.start_mark.line + 1)
            active.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        active.discard(key)
        sizes[key] = 1 + sum(sizes[id(c)] for c in children)
    distinct = len(sizes)
    added = sizes[id(root)] - distinct
    if added > max(limit, distinct):
        raise DataError(f"the YAML aliases ('*' reusing an '&' anchor) would expand this {distinct:,}-node document "
                        f"by {added:,} nodes, more than the {max(limit, distinct):,} allowed (an alias bomb?); "
                        "refusing to read it", file=label)


def check_duplicate_keys(root: Any, label: str) -> None:
    """Refuse a mapping that gives one key twice, naming both lines: YAML readers keep the last and drop the first
    silently (a ``provisions:`` block appended further down a file lost the one above it, and its chokepoint)."""
    import yaml

    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + 1
                    if key.value in first:
                        raise DataError(f"key {key.value[:80]!r} is given twice (lines {first[key.value]} and "
                                        f"{line}): the second would replace the first; merge them into one",
                                        file=label, row=line, field=key.value[:80])
                    first[key.value] = line
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def read_yaml_document(path: Path, loader: type[Any] | None = None, *, max_bytes: int = MAX_YAML_BYTES,
                       max_alias_nodes: int = MAX_ALIAS_NODES) -> tuple[Any, Any]:
    """Parse ``path`` once into (data, root node) with ``loader`` (default ``yaml.SafeLoader``), within the caps.

    Errors name the file and the line: too large, not UTF-8, not valid YAML, aliases expanding too far, or a key
    given twice in one mapping.
    """
    import yaml

    label = str(path)
    text = read_text(path, max_bytes)
    instance = (loader or yaml.SafeLoader)(text)
    try:
        node = instance.get_single_node()
        if node is None:
            return None, None
        check_alias_expansion(node, label, max_alias_nodes)
        check_duplicate_keys(node, label)
        data = instance.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=label,
                        row=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise DataError("the YAML document is nested too deeply to read", file=label) from None
    finally:
        instance.dispose()
    return data, node


def _walk(root: Any, lines: Lines) -> None:
    import yaml

    stack: list[tuple[Any, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            stack.extend((value_node, (*path, key_node.value)) for key_node, value_node in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))


def load_yaml(path: Path) -> tuple[Any, Lines]:
    data, node = read_yaml_document(path)
    lines: Lines = {}
    if node is not None:
        _walk(node, lines)
    return data, lines


def locate(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest part of ``loc`` that the file spells out."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _error_location(lines: Lines, raw_loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], int | None]:
    loc: tuple[Any, ...] = ()
    for part in raw_loc:  # skip parts the file does not spell (union tags such as 'capacity_loss')
        if (*loc, part) in lines:
            loc = (*loc, part)
    if len(raw_loc) and raw_loc[-1] not in loc and isinstance(raw_loc[-1], str):
        loc = (*loc, raw_loc[-1])  # a missing or extra field: name it, at its parent's line
    return loc, locate(lines, loc)


def field_name(loc: tuple[Any, ...]) -> str | None:
    return ".".join(str(p) for p in loc) or None


def also(problems: list[tuple[Location, str]]) -> str:
    """The further problems of a file, each with its line and field, to append to the first one's message."""
    if not problems:
        return ""
    parts = []
    for where, message in problems:
        at = ", ".join(p for p in (f"row {where.row}" if where.row is not None else "",
                                   f"field '{where.field}'" if where.field else "") if p)
        parts.append(f"{at}: {message}" if at else message)
    return f" (and {len(problems)} more: " + "; ".join(parts) + ")"


def validate_model(path: Path, model: type[M], **context: Any) -> tuple[M, Lines]:
    """Load ``path`` and validate it as ``model``, with the line of every key. Every validation error is reported:
    the first names its line and field, the others follow in the message, each with its own."""
    data, lines = load_yaml(path)
    try:
        return model.model_validate(data, context=context or None), lines
    except ValidationError as exc:
        errors = _without_follow_ons(exc.errors())
        located = []
        for err in errors:
            loc, row = _error_location(lines, tuple(err["loc"]))
            located.append((Location(str(path), row, field_name(loc)), validation_message(err)))
        first, message = located[0]
        raise DataError(f"{message}{also(located[1:])}", file=first.file, row=first.row,
                        field=first.field) from None


def _without_follow_ons(errors: list[Any]) -> list[Any]:
    """The errors less those that only follow from another: a list or tuple "too short" because one of its own items
    failed (a shock with a bad field would also leave "shocks: should have at least 1 item")."""
    def inside(err: Any, other: Any) -> bool:
        return len(other["loc"]) > len(err["loc"]) and tuple(other["loc"][:len(err["loc"])]) == tuple(err["loc"])

    return [err for err in errors if not (err["type"] == "too_short" and any(inside(err, o) for o in errors))]


def validate_yaml(path: Path, model: type[M], **context: Any) -> M:
    """Load ``path`` and validate it as ``model``; errors name their lines and fields."""
    return validate_model(path, model, **context)[0]
