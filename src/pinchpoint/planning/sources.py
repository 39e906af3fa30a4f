"""The planning sources: support-measure awards (kind ``incentives``) and capacity projects (kind ``projects``), each
as YAML, JSON or CSV in the format :mod:`pinchpoint.planning.registry` and :mod:`pinchpoint.planning.projects`
read and write. Detectors look at the top-level keys of a YAML or JSON file, or a CSV's header; the readers check
the whole file (an awards file against the built-in programmes and projects) before returning anything."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinchpoint.sources import Detection, Source
from pinchpoint.sources.sniff import header, json_top_keys, shown, text_head

_TOP_KEY = re.compile(r"(?m)^([A-Za-z_][\w-]*)\s*:")
AWARD_COLUMNS = ("id", "programme", "recipient", "country", "amount", "currency", "instrument", "stage", "announced")
PROJECT_COLUMNS = ("id", "operator", "country", "node_class", "status")


def _detector(key: str, columns: Sequence[str], item_keys: Sequence[str]) -> Any:
    """A detector for a file holding a top-level ``key`` list (YAML, JSON) or a CSV with ``columns``."""

    def detect(path: Path) -> Detection:
        if path.is_dir():
            return Detection.miss("reads one .yaml, .json or .csv file, not a folder")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            found = header(path)
            missing = [c for c in columns if c not in found]
            if not missing:
                return Detection.match(f"a CSV with the columns {','.join(columns)}")
            return Detection.miss(f"expected columns {','.join(columns)}; found {shown(found)}")
        if suffix in (".yaml", ".yml"):
            keys = _TOP_KEY.findall(text_head(path, 1 << 20))
            if key in keys:
                return Detection.match(f"a YAML file with a top-level '{key}' list")
            return Detection.miss(f"expected a top-level '{key}' list; keys: {', '.join(keys[:8]) or 'none'}")
        if suffix == ".json":
            text = text_head(path)
            keys = json_top_keys(text)
            if key in keys:
                return Detection.match(f"a JSON object with a top-level '{key}' list")
            if text.lstrip().startswith("[") and all(f'"{k}"' in text for k in item_keys):
                return Detection.match(f"a JSON list of records with {', '.join(item_keys)}", 0.5)
            return Detection.miss(f"expected a JSON object with a top-level '{key}' list")
        return Detection.miss(f"expected a .yaml, .yml, .json or .csv file, not {suffix or 'a file without extension'}")

    return detect


def _read_awards(path: Path) -> Any:
    from pinchpoint.planning.registry import load_registry

    return load_registry(path)


def _read_projects(path: Path) -> Any:
    from pinchpoint.planning.projects import read_projects

    return read_projects(path)


AWARDS = Source(
    name="pinchpoint-awards", kind="incentives",
    description="support-measure awards (programme, recipient, amount, currency, stage, sources) as YAML, JSON or "
                "CSV; read into a registry checked against the built-in programmes and projects",
    detect=_detector("awards", AWARD_COLUMNS, ("programme", "recipient", "amount")), read=_read_awards,
    patterns=("*.yaml", "*.yml", "*.json", "*.csv"), columns=AWARD_COLUMNS)
PROJECTS = Source(
    name="pinchpoint-projects", kind="projects",
    description="fab and plant projects (operator, country, node class, capacity in 300 mm-equivalent wafer starts "
                "a month, status, start, sources) as YAML, JSON or CSV",
    detect=_detector("projects", PROJECT_COLUMNS, ("operator", "node_class", "status")), read=_read_projects,
    patterns=("*.yaml", "*.yml", "*.json", "*.csv"), columns=PROJECT_COLUMNS)
