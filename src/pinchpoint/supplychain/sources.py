"""The supply-chain sources (kind ``supplychain``): ETO folders (both vintages) and the native YAML file or CSV
folder. Each reads into a :class:`~pinchpoint.supplychain.model.SupplyChain`; ``name=`` names the dataset."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pinchpoint.sources import Detection, Source
from pinchpoint.sources.sniff import header, shown, text_head
from pinchpoint.supplychain.eto import ETO_FILES, detect_vintage, load_eto
from pinchpoint.supplychain.native import load_native

_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", re.M)


def _detect_eto(path: Path) -> Detection:
    if not path.is_dir():
        return Detection.miss("reads a folder (stages, inputs, providers, provision, sequence .csv), not a file")
    missing = [f for f in ETO_FILES if not (path / f).exists()]
    if missing:
        return Detection.miss(f"folder lacks {', '.join(missing)}")
    from pinchpoint.errors import DataError

    try:
        release = f"{detect_vintage(path)} release"
    except DataError as exc:  # still ETO's files: the loader reports what is wrong with them
        release = f"release not read: {exc.problem}"
    return Detection.match(f"an ETO dataset folder ({release})")


def _read_eto(path: Path, name: str | None = None) -> Any:
    return load_eto(path, name=name)


def _detect_native_yaml(path: Path) -> Detection:
    if path.is_dir():
        return Detection.miss("reads one .yaml file, not a folder")
    if path.suffix.lower() not in (".yaml", ".yml"):
        return Detection.miss(f"expected a .yaml or .yml file, not {path.suffix or 'a file without extension'}")
    keys = _TOP_KEY.findall(text_head(path, 1 << 20))
    if "inputs" in keys:
        return Detection.match("a YAML file with a top-level 'inputs' list")
    # any YAML file may still be a dataset the loader has to explain (a missing 'inputs', a typo in a key)
    return Detection.match(f"a .yaml file (no top-level 'inputs' seen; keys: {', '.join(keys[:8]) or 'none'})", 0.5)


def _read_native(path: Path, name: str | None = None) -> Any:
    return load_native(path, name=name)


def _detect_native_csv(path: Path) -> Detection:
    if not path.is_dir():
        return Detection.miss("reads a folder with inputs.csv (and stages, providers, provisions, relations, "
                              "sources .csv), not a file")
    inputs = path / "inputs.csv"
    if all((path / f).exists() for f in ETO_FILES):
        return Detection.miss("an ETO dataset folder (provision.csv and sequence.csv beside inputs.csv)")
    if not inputs.exists():
        return Detection.miss("folder lacks inputs.csv")
    found = header(inputs)
    if all(c in found for c in ("id", "name", "kind")):
        return Detection.match("a folder whose inputs.csv has the columns id,name,kind")
    # still ours to explain when nothing else claims it (the loader names the missing column and row)
    return Detection.match(f"a folder with inputs.csv (columns {shown(found)}, not id,name,kind)", 0.5)


ETO = Source(
    name="eto", kind="supplychain",
    description="Emerging Technology Observatory's semiconductor supply-chain dataset, either release (a folder)",
    detect=_detect_eto, read=_read_eto, patterns=ETO_FILES,
    columns=("provision.csv: provider_id,provided_id,share_provided (year in the current release)",
             "sequence.csv: input_id,goes_into_id,is_type_of_id"))
NATIVE_YAML = Source(
    name="native-yaml", kind="supplychain",
    description="pinchpoint's native format as one YAML file (docs/native-format.md)",
    detect=_detect_native_yaml, read=_read_native, patterns=("*.yaml", "*.yml"),
    columns=("sources", "stages", "inputs", "providers", "provisions", "relations"))
NATIVE_CSV = Source(
    name="native-csv", kind="supplychain",
    description="pinchpoint's native format as a folder of CSV files (docs/native-format.md)",
    detect=_detect_native_csv, read=_read_native,
    patterns=("inputs.csv", "stages.csv", "providers.csv", "provisions.csv", "relations.csv", "sources.csv",
              "dataset.yaml"),
    columns=("inputs.csv: id,name,kind",))
