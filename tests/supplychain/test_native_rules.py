"""The native format's rules come from the Pydantic models: every field a model requires is required in the
file, every enumeration's values are the choices, and each refusal names the file, the line and the field."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import pytest
import yaml

from pinchpoint.errors import DataError
from pinchpoint.supplychain import model
from pinchpoint.supplychain.native import RULES, SPELLINGS, load_native
from tests.supplychain.test_native import TINY, write_yaml

MODELS = {"sources": model.Source, "stages": model.Stage, "inputs": model.Input, "providers": model.Provider,
          "provisions": model.Provision, "relations": model.Relation}
RENAMED = {"relations": {"source": "from", "target": "to"}}


def test_the_rules_follow_the_models() -> None:
    for section, cls in MODELS.items():
        spelling = SPELLINGS[section]
        assert spelling.model is cls
        for name, info in cls.model_fields.items():
            native = RENAMED.get(section, {}).get(name, name)
            if name in spelling.omitted:
                assert native not in RULES[section]
                continue
            rule = RULES[section][native]
            # the format may only default what the model requires, or require a column the model defaults
            assert rule.required == ((info.is_required() and native not in spelling.optional)
                                     or native in spelling.required)
            if isinstance(info.annotation, type) and issubclass(info.annotation, Enum):
                assert rule.choices == tuple(e.value for e in info.annotation)
    assert RULES["provisions"]["share"].minimum == 0 and RULES["provisions"]["share"].maximum == 100


def _first_item_without(section: str, field: str) -> tuple[str, int]:
    """TINY with ``field`` removed from the first item of ``section``, and that item's line (from PyYAML's own
    node marks, not the loader's)."""
    doc = yaml.safe_load(TINY)
    del doc[section][0][field]
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    node = yaml.compose(text)
    section_node = next(v for k, v in node.value if k.value == section)
    return text, section_node.value[0].start_mark.line + 1


@pytest.mark.parametrize(("section", "field"), [(s, r.name) for s, rules in RULES.items()
                                                 for r in rules.values() if r.required])
def test_every_required_field_is_refused_when_missing(tmp_path: Path, section: str, field: str) -> None:
    text, line = _first_item_without(section, field)
    path = write_yaml(tmp_path, text)
    with pytest.raises(DataError, match=rf"{section}\[0\] lacks '{field}'") as err:
        load_native(path)
    assert (err.value.location.file, err.value.location.row, err.value.location.field) == (str(path), line, field)


@pytest.mark.parametrize(("section", "field", "enum"), [("inputs", "kind", model.InputKind),
                                                        ("providers", "kind", model.ProviderKind),
                                                        ("relations", "kind", model.RelationKind),
                                                        ("relations", "mode", model.Mode)])
def test_an_unknown_choice_lists_the_enumeration(tmp_path: Path, section: str, field: str, enum: type[Enum]) -> None:
    doc = yaml.safe_load(TINY)
    doc[section][0][field] = "bogus"
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    node = yaml.compose(text)
    item = next(v for k, v in node.value if k.value == section).value[0]
    path = write_yaml(tmp_path, text)
    with pytest.raises(DataError) as err:
        load_native(path)
    values = [str(e.value) for e in enum]
    for value in values:
        assert value in str(err.value)
    assert "'bogus'" in str(err.value)
    assert (err.value.location.row, err.value.location.field) == (item.start_mark.line + 1, field)


def test_a_number_out_of_the_models_bounds_names_its_line(tmp_path: Path) -> None:
    text = TINY.replace("{provider: TWN, input: wafer, share: 44, year: 2021",
                        "{provider: TWN, input: wafer, share: 44, year: 1850")
    line = TINY[: TINY.index("{provider: TWN, input: wafer")].count("\n") + 1
    with pytest.raises(DataError, match="year 1850 is outside 1900-2100") as err:
        load_native(write_yaml(tmp_path, text))
    assert (err.value.location.row, err.value.location.field) == (line, "year")
