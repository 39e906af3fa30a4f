"""Bounded fuzzing of the scenario YAML and the native and ETO loaders: mutate the real files' structure; every
outcome is a loaded result or a DataError naming the file, the row/line and the field, never a traceback."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinchpoint.errors import DataError
from pinchpoint.stress.engines import run_static
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import load_scenario, packaged_scenarios
from pinchpoint.supplychain import load_chain
from pinchpoint.supplychain.eto import load_eto
from pinchpoint.supplychain.load import builtin_path
from pinchpoint.supplychain.native import load_native
from tests.conftest import ETO

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
junk = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                 st.text(max_size=12), st.lists(st.integers(-3, 3), max_size=3),
                 st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
BUILTIN_NET = StressNetwork.build(load_chain())


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a YAML document (mappings and lists), the root excluded."""
    found: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths(value, (*prefix, key)))
    return found


def mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = value
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{key}x"] = parent.pop(key)
    return doc


def assert_located(err: DataError, file: Path) -> None:
    """The error names a file of the input (``file`` or, for a folder, a file in it) and a row or field in it."""
    where = err.location
    assert where.file is not None, str(err)
    named = Path(where.file)
    assert named == file or file in named.parents or named.parent == file.parent, str(err)
    assert where.row is not None or where.field is not None, str(err)


@FUZZ
@given(data=st.data())
def test_mutated_scenarios_run_or_name_file_line_and_field(tmp_path_factory: Any, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(packaged_scenarios())))
    origin = Path(load_scenario(name).origin)
    doc = yaml.safe_load(origin.read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        candidates = paths(doc)
        if not candidates:
            break
        doc = mutate(doc, data.draw(st.sampled_from(candidates)),
                     data.draw(st.sampled_from(["replace", "replace", "delete", "rename"])), data.draw(junk))
    folder = tmp_path_factory.mktemp("sc")
    if (origin.parent / "data").is_dir():
        shutil.copytree(origin.parent / "data", folder / "data")
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        sc = load_scenario(path)
        net = BUILTIN_NET if sc.dataset_ref() == "builtin" else StressNetwork.build(sc.open_dataset())
        run_static(net, sc)
    except DataError as err:
        assert_located(err, path)


@FUZZ
@given(data=st.data())
def test_mutated_native_dataset_loads_or_names_file_line_and_field(tmp_path_factory: Any,
                                                                    data: st.DataObject) -> None:
    doc = yaml.safe_load(builtin_path().read_text(encoding="utf-8"))
    section = data.draw(st.sampled_from(["inputs", "providers", "provisions", "relations", "stages", "sources"]))
    item = data.draw(st.integers(0, len(doc[section]) - 1))
    field = data.draw(st.sampled_from(sorted(doc[section][item])))
    doc = mutate(doc, (section, item, field), data.draw(st.sampled_from(["replace", "delete", "rename"])),
                 data.draw(junk))
    path = tmp_path_factory.mktemp("native") / "chain.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        load_native(path)
    except DataError as err:
        assert_located(err, path)


ETO_FILES = ("inputs.csv", "providers.csv", "provision.csv", "sequence.csv", "stages.csv")
cell = st.one_of(st.text(max_size=10), st.sampled_from(["", "N99", "N20", "P1", "-5", "150", "1e400", "nan",
                                                        "2019", "goes_into", "S9", "N99"]))


def test_a_scenario_dataset_that_cannot_be_opened_names_the_scenario_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    text = Path(load_scenario("taiwan_blockade").origin).read_text(encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace("dataset: builtin", "dataset: no_such_dataset"), encoding="utf-8")
    result = CliRunner().invoke(app, ["stress", str(path)])
    line = text[: text.index("dataset: builtin")].count("\n") + 1
    assert result.exit_code == 2 and f"{path}, row {line}, field 'dataset'" in result.stderr, result.stderr


@FUZZ
@given(data=st.data())
def test_mutated_eto_files_load_or_name_file_row_and_field(tmp_path_factory: Any, data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("eto") / "eto"
    shutil.copytree(ETO, folder)
    name = data.draw(st.sampled_from(ETO_FILES))
    path = folder / name
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    row = data.draw(st.integers(1, len(rows) - 1))
    column = data.draw(st.integers(0, len(rows[0]) - 1))
    rows[row][column] = data.draw(cell)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    try:
        load_eto(folder)
    except DataError as err:
        assert_located(err, folder)
