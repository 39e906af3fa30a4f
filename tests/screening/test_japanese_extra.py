"""Japanese readings are the optional 'ja' extra: without SudachiPy, screening falls back and says so."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from pinchpoint.screening import scripts
from pinchpoint.screening.matcher import Screener
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")


def _forget_sudachi() -> None:
    scripts._sudachi_dictionary.cache_clear()
    scripts._THREAD.__dict__.pop("sudachi", None)


@pytest.fixture
def without_sudachi(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "sudachipy", None)  # `import sudachipy` now raises ImportError
    _forget_sudachi()
    yield
    monkeypatch.undo()
    _forget_sudachi()


def test_with_the_extra_a_japanese_name_finds_its_romanisation(screener: Screener) -> None:
    pytest.importorskip("sudachipy", reason="the 'ja' extra is not installed")
    assert scripts.japanese_readings_available()
    assert screener.compare("山田太郎", "Yamada Taro") >= 0.70  # the watchman pair's minimum
    table = screener.screen_many(["山田太郎"], threshold=0.8)
    assert scripts.JAPANESE_FALLBACK not in table.meta.get("caveats", [])


def test_without_the_extra_screening_falls_back_and_says_so(screener: Screener, without_sudachi: None) -> None:
    assert not scripts.japanese_readings_available()
    assert scripts.japanese_reading("山田太郎") is None
    assert screener.compare("山田太郎", "Yamada Taro") < 0.70  # what the reading added is gone...
    table = screener.screen_many(["山田太郎", "Kim Jong Un"], threshold=0.8)
    assert scripts.JAPANESE_FALLBACK in table.meta["caveats"]  # ...and the result says so
    assert "pinchpoint[ja]" in scripts.JAPANESE_FALLBACK
    assert any(r["query"] == "Kim Jong Un" for r in table.rows)  # Latin names are screened as before
    # a query with no kana or kanji needs no note
    assert scripts.JAPANESE_FALLBACK not in screener.screen_many(["Kim Jong Un"]).meta.get("caveats", [])


def test_the_cli_prints_a_one_line_note(small_ws: object, without_sudachi: None) -> None:
    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["screen", "山田太郎", "--workspace", str(small_ws), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: Japanese readings are off")]
    assert len(notes) == 1 and "pinchpoint[ja]" in notes[0]
