"""YAML files validated by Pydantic, with errors that name the file, the line and the field.

``load_yaml`` returns the plain data plus the line of every key and list item, so a Pydantic error location
(``('shocks', 2, 'fraction')``) maps back to the line a user has to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pinchpoint.errors import DataError

Lines = dict[tuple[Any, ...], int]
M = TypeVar("M", bound=BaseModel)


def _walk(node: Any, path: tuple[Any, ...], lines: Lines) -> None:
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _walk(value_node, (*path, key_node.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


def load_yaml(path: Path) -> tuple[Any, Lines]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                        row=mark.line + 1 if mark else None) from None
    lines: Lines = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def locate(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest part of ``loc`` that the file spells out."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def validate_yaml(path: Path, model: type[M], **context: Any) -> M:
    """Load ``path`` and validate it as ``model``; the first error names its line and field."""
    data, lines = load_yaml(path)
    try:
        return model.model_validate(data, context=context or None)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc: tuple[Any, ...] = ()
        for part in err["loc"]:  # skip parts the file does not spell (union tags such as 'capacity_loss')
            if (*loc, part) in lines:
                loc = (*loc, part)
        if len(err["loc"]) and err["loc"][-1] not in loc and isinstance(err["loc"][-1], str):
            loc = (*loc, err["loc"][-1])  # a missing or extra field: name it, at its parent's line
        field = ".".join(str(p) for p in loc) or None
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DataError(f"{err['msg']}{more}", file=str(path), row=locate(lines, loc), field=field) from None
