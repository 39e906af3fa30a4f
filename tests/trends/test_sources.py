"""Every indicator format is a registered source (kind ``indicators``): the real files resolve to theirs, layouts
built from the real rows (FRED with ISO dates, a generic wide file, long, e-Stat) to theirs, and each reads the
values the file holds."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint import sources
from tests.conftest import SHARED
from tests.trends.conftest import FRED, IIP


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture(scope="module")
def fred_rows() -> list[list[str]]:
    if not FRED.exists() or not IIP.exists():
        pytest.skip("trends data not found")
    return _rows(FRED)


def test_the_real_files_resolve_to_their_sources_and_read_the_file_values(fred_rows: list[list[str]]) -> None:
    assert sources.detect(FRED).name == "fred"
    got = sources.read(FRED).check()
    assert [s.id for s in got.series] == ["IPG3344S"]
    assert got.series[0].values.tolist() == [float(r[1]) for r in fred_rows[1:]]
    assert sources.detect(IIP, kind="indicators").name == "meti-iip"
    iip = _rows(IIP)
    jp = {s.id: s for s in sources.read(IIP, source="meti-iip").check().series}
    assert jp["jp_iip_epd_inventory"].values.tolist() == [float(r[2]) for r in iip[1:]]
    # the generic wide source also reads it, less surely: the source that knows the columns wins
    verdicts = {s.name: d for s, d in sources.explain(IIP, kind="indicators")}
    assert verdicts["indicators-wide"].matched and verdicts["indicators-wide"].confidence < 1
    assert not verdicts["fred"].matched and "shipment_index" in verdicts["fred"].reason


def test_fred_iso_layout_and_generic_layouts_built_from_real_rows(tmp_path: Path,
                                                                  fred_rows: list[list[str]]) -> None:
    def iso(d: str) -> str:
        day, month, year = d.split("-")
        return f"{year}-{month}-{day}"

    body = fred_rows[1:]
    iso_file = _write(tmp_path / "fred_iso.csv", [fred_rows[0]] + [[iso(d), v] for d, v in body])
    wide = _write(tmp_path / "wide.csv", [["date", "a", "b"]] + [[iso(d), v, v] for d, v in body])
    long = _write(tmp_path / "long.csv", [["series_id", "date", "value"]] + [["x", iso(d), v] for d, v in body])
    estat = _write(tmp_path / "estat.csv", [["cat01_code", "品目", "time_code", "時間軸（月次）", "unit", "value"]]
                   + [["1", "x", f"{d[6:]}00{d[3:5]}{d[3:5]}", "", "2017=100", v] for d, v in body])
    expected = [float(v) for _, v in body]
    for path, name in ((iso_file, "fred"), (wide, "indicators-wide"), (long, "indicators-long"), (estat, "estat")):
        assert sources.detect(path).name == name, path
        series = sources.read(path).check().series
        assert series and all(s.values.tolist() == expected for s in series), name
        assert series[0].start == int(body[0][0][6:]) * 12 + int(body[0][0][3:5]) - 1


def test_a_table_no_indicator_source_reads_gets_every_reason() -> None:
    chpl = SHARED / "trade" / "chpl.csv"
    if not chpl.exists():
        pytest.skip("trade data not found")
    with pytest.raises(sources.NoSourceMatched) as err:
        sources.detect(chpl, kind="indicators")
    reasons = dict(err.value.reasons)
    assert set(reasons) == {"fred", "meti-iip", "indicators-wide", "indicators-long", "estat"}
    assert reasons["indicators-long"].startswith("expected columns series_id,date,value; found hs6,tier")
