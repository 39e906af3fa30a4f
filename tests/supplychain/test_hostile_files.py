"""Hostile files are normal input: alias bombs, UTF-16 and binary files get one error naming the file."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.errors import DataError
from pinchpoint.supplychain.load import builtin_path
from pinchpoint.supplychain.native import load_native


def alias_bomb(levels: int) -> str:
    """A flow mapping of nested aliases: 9 ** levels strings once expanded, from a few hundred bytes."""
    keys = ['b0: &b0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    keys += [f"b{k}: &b{k} [" + ", ".join([f"*b{k - 1}"] * 9) + "]" for k in range(1, levels)]
    return "{" + ", ".join(keys) + "}"


def with_description(text: str, value: str) -> str:
    """The YAML ``text`` with its top-level ``description`` replaced by ``value``."""
    start = text.index("\ndescription:") + 1
    end = re.compile(r"^\S", re.M).search(text, start + len("description:"))
    assert end is not None
    return text[:start] + f"description: {value}\n" + text[end.start():]


def test_alias_bomb_in_the_builtin_dataset_is_refused_fast(tmp_path: Path) -> None:
    # 9 ** 6 = 531,441 strings: the old reader loaded it (and 9 ** 9 took 5.8 GB)
    path = tmp_path / "bomb.yaml"
    path.write_text(with_description(builtin_path().read_text(encoding="utf-8"), alias_bomb(6)), encoding="utf-8")
    began = time.perf_counter()
    with pytest.raises(DataError, match="alias") as info:
        load_native(path)
    assert info.value.location.file == str(path)
    assert time.perf_counter() - began < 5
    # the same file without the bomb still loads: the cap does not refuse ordinary aliases
    path.write_text(with_description(builtin_path().read_text(encoding="utf-8"), "&d x"), encoding="utf-8")
    assert load_native(path).description == "x"


def test_alias_bomb_in_a_scenario_and_in_data_validate(tmp_path: Path) -> None:
    from pinchpoint.cli.main import app
    from pinchpoint.stress.scenario import load_scenario

    source = Path(load_scenario("taiwan_blockade").origin).read_text(encoding="utf-8")
    path = tmp_path / "bomb.yaml"
    path.write_text(with_description(source, alias_bomb(9)), encoding="utf-8")
    with pytest.raises(DataError, match="alias bomb") as info:
        load_scenario(path)
    assert info.value.location.file == str(path)
    native = tmp_path / "native.yaml"
    native.write_text(with_description(builtin_path().read_text(encoding="utf-8"), alias_bomb(9)), encoding="utf-8")
    result = CliRunner().invoke(app, ["data", "validate", str(native)])
    assert result.exit_code == 2 and str(native) in result.stderr and "alias" in result.stderr


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(with_description(builtin_path().read_text(encoding="utf-8"), "&a [1, *a]"), encoding="utf-8")
    with pytest.raises(DataError, match="recursive") as info:
        load_native(path)
    assert info.value.location.file == str(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_yaml_and_csv_name_the_file(tmp_path: Path, eto_copy: Path, encoding: str) -> None:
    from pinchpoint.cli.main import app

    runner = CliRunner()
    path = tmp_path / "builtin.yaml"
    path.write_bytes(builtin_path().read_text(encoding="utf-8").encode(encoding))
    result = runner.invoke(app, ["data", "validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert str(path) in result.stderr and "UTF-8" in result.stderr
    for name in ("inputs.csv", "provision.csv"):  # provision.csv is also read to tell the ETO vintage
        csv_path = eto_copy / name
        original = csv_path.read_bytes()
        csv_path.write_bytes(original.decode("utf-8-sig").encode(encoding))
        result = runner.invoke(app, ["data", "validate", str(eto_copy)])
        assert result.exit_code == 2 and str(csv_path) in result.stderr, result.stderr
        csv_path.write_bytes(original)


def test_binary_file_names_the_file(tmp_path: Path) -> None:
    from pinchpoint.cli.main import app

    path = tmp_path / "random.yaml"
    path.write_bytes(bytes(range(256)) * 16)
    result = CliRunner().invoke(app, ["data", "validate", str(path)])
    assert result.exit_code == 2 and str(path) in result.stderr and "binary" in result.stderr
    path.write_bytes(b"name: x\ninputs: []\n" + "é".encode("latin-1") + b"\n")
    with pytest.raises(DataError, match="not UTF-8") as info:
        load_native(path)
    assert info.value.location.row == 3
