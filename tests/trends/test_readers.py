"""Readers on the real files in ../shared/data/trends, and bad input built from them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.errors import DataError
from pinchpoint.trends.readers import read_series_file
from pinchpoint.trends.series import month_index, month_label
from tests.conftest import SHARED

TRENDS = SHARED / "trends"
FRED = TRENDS / "us_fred_ipg3344s.csv"
IIP = TRENDS / "jp_iip_electronic_parts_devices.csv"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_fred_day_first_dates_are_read_as_first_of_month() -> None:
    rows = _rows(_need(FRED))
    got = read_series_file(FRED).check()
    assert got.layout == "fred" and got.problems == [] and got.rows_read == len(rows)
    (s,) = got.series
    assert s.id == "IPG3344S" and s.seasonal_adjustment == "SA" and "FRED" in s.source
    # the file writes 01-02-1972: day 01, month 02 (February), so the second row is February 1972
    day, month, year = rows[1]["observation_date"].split("-")
    assert day == "01" and s.start + 1 == month_index(int(year), int(month)) == month_index(1972, 2)
    assert len(s.values) == len(rows)
    assert s.values[-1] == float(rows[-1]["IPG3344S"]) and s.values[1] == float(rows[1]["IPG3344S"])
    assert month_label(s.end) == f"{rows[-1]['observation_date'][6:]}-{rows[-1]['observation_date'][3:5]}"


def test_fred_iso_layout_gives_the_same_series(tmp_path: Path) -> None:
    rows = _rows(_need(FRED))
    iso = tmp_path / "IPG3344S.csv"
    with iso.open("w", encoding="utf-8", newline="") as fh:
        fh.write("observation_date,IPG3344S\n")
        for r in rows:
            d, m, y = r["observation_date"].split("-")
            fh.write(f"{y}-{m}-{d},{r['IPG3344S']}\n")
    a = read_series_file(FRED).check().series[0]
    b = read_series_file(iso).check().series[0]
    assert a.start == b.start and list(a.values) == list(b.values)


def test_month_first_dates_are_told_apart(tmp_path: Path) -> None:
    rows = _rows(_need(FRED))[:30]
    path = tmp_path / "us.csv"
    path.write_text("DATE,IPG3344S\n" + "".join(
        f"{r['observation_date'][3:5]}/{r['observation_date'][:2]}/{r['observation_date'][6:]},{r['IPG3344S']}\n"
        for r in rows), encoding="utf-8")
    s = read_series_file(path).check().series[0]
    assert s.start == month_index(1972, 1) and len(s.values) == 30 and s.values[29] == float(rows[29]["IPG3344S"])


def test_ambiguous_day_month_order_is_refused_with_the_problem_named(tmp_path: Path) -> None:
    path = tmp_path / "amb.csv"
    # two dates a year apart on the 5th of the month: no part above 12, neither always 1
    path.write_text("date,x\n05-03-2020,1.0\n05-03-2021,2.0\n", encoding="utf-8")
    got = read_series_file(path)
    assert got.series == []
    with pytest.raises(DataError, match=r"amb.csv, row 2, field 'date': .*day-month-year or month-day-year"):
        got.check()


def test_japan_iip_gives_shipments_and_inventory() -> None:
    rows = _rows(_need(IIP))
    got = read_series_file(IIP).check()
    assert got.layout == "wide" and got.problems == []
    by_id = {s.id: s for s in got.series}
    ship, inv = by_id["jp_iip_epd_shipments"], by_id["jp_iip_epd_inventory"]
    assert ship.start == month_index(2013, 1) and len(ship.values) == len(rows)
    assert ship.values[-1] == float(rows[-1]["shipment_index"]) and inv.values[0] == float(rows[0]["inventory_index"])
    assert ship.seasonal_adjustment == "SA" and "e-Stat" in ship.source and ship.unit == "index 2020=100"


def _damaged(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    lines = _need(IIP).read_text(encoding="utf-8").splitlines()
    lines = edit(lines)
    path = tmp_path / "iip.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_missing_months_are_named_with_row_and_field(tmp_path: Path) -> None:
    path = _damaged(tmp_path, lambda ls: ls[:10] + ls[13:])  # drops 2013-10..2013-12 (file lines 11-13)
    got = read_series_file(path)
    assert got.series == []
    msgs = [str(p) for p in got.errors]
    assert any("row 11, field 'date'" in m and "missing month(s) 2013-10..2013-12" in m for m in msgs), msgs
    with pytest.raises(DataError, match="missing month"):
        got.check()


def test_duplicated_date_is_an_error(tmp_path: Path) -> None:
    path = _damaged(tmp_path, lambda ls: [*ls[:6], ls[5], *ls[6:]])
    msgs = [str(p) for p in read_series_file(path).errors]
    assert any("row 7, field 'date'" in m and "duplicated date" in m for m in msgs), msgs


def test_text_in_a_value_column_is_named(tmp_path: Path) -> None:
    def edit(ls: list[str]) -> list[str]:
        d, ship, _inv = ls[20].split(",")
        ls[20] = f"{d},{ship},n/a-revised"
        return ls
    got = read_series_file(_damaged(tmp_path, edit))
    msgs = [str(p) for p in got.errors]
    assert msgs == ["" + str(got.errors[0])]
    assert "row 21, field 'inventory_index': not a number: 'n/a-revised'" in msgs[0]
    # the other column of the file is still read whole
    assert [s.id for s in got.series] == ["jp_iip_epd_shipments"]


def test_mixed_frequencies_are_refused(tmp_path: Path) -> None:
    # monthly rows, then only the quarter months from 2015 on
    def edit(ls: list[str]) -> list[str]:
        return ls[:25] + [x for x in ls[25:] if x[5:7] in ("01", "04", "07", "10")]
    msgs = [str(p) for p in read_series_file(_damaged(tmp_path, edit)).errors]
    assert any("mixes frequencies" in m for m in msgs), msgs


def test_daily_rows_in_a_monthly_file_are_named(tmp_path: Path) -> None:
    def edit(ls: list[str]) -> list[str]:
        return [*ls[:3], ls[2].replace("-01,", "-15,", 1), *ls[3:]]
    msgs = [str(p) for p in read_series_file(_damaged(tmp_path, edit)).errors]
    assert any("row 4, field 'date'" in m and "a second date in 2013-02" in m for m in msgs), msgs


def test_long_csv_reads_several_series(tmp_path: Path) -> None:
    iip = _rows(_need(IIP))
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["series_id", "date", "value", "unit", "seasonal_adjustment"])
        for r in iip[:24]:
            w.writerow(["jp_ship", r["date"][:7], r["shipment_index"], "index", "SA"])
            w.writerow(["jp_inv", r["date"], r["inventory_index"], "index", "SA"])
    got = read_series_file(path).check()
    assert got.layout == "long"
    by_id = {s.id: s for s in got.series}
    assert list(by_id["jp_ship"].values) == [float(r["shipment_index"]) for r in iip[:24]]
    assert by_id["jp_inv"].seasonal_adjustment == "SA" and by_id["jp_inv"].start == month_index(2013, 1)


def test_estat_csv_with_section_headers(tmp_path: Path) -> None:
    # e-Stat API getSimpleStatsData with sectionHeaderFlg=1: RESULT/PARAMETER blocks, then "VALUE" and the table
    iip = _rows(_need(IIP))[-14:]
    lines = ['"RESULT"', '"STATUS","ERROR_MSG","DATE"', '"0","正常に終了しました。","2026-01-30T10:00:00.000+09:00"',
             '', '"VALUE"',
             '"tab_code","表章項目","cat01_code","業種","time_code","時間軸（月次）","unit","value","annotation"']
    for r in iip:
        y, m = r["date"][:4], r["date"][5:7]
        lines.append(f'"01","季節調整済指数","0046000","電子部品・デバイス工業","{y}00{m}{m}","{y}年{int(m)}月",'
                     f'"2020年=100","{r["shipment_index"]}",""')
    path = tmp_path / "estat.csv"
    path.write_bytes("\n".join(lines).encode("cp932"))
    got = read_series_file(path).check()
    assert got.layout == "estat"
    (s,) = got.series
    assert s.id == "estat:01.0046000" and s.seasonal_adjustment == "SA" and s.unit == "2020年=100"
    assert s.start == month_index(int(iip[0]["date"][:4]), int(iip[0]["date"][5:7]))
    assert list(s.values) == [float(r["shipment_index"]) for r in iip]
    # an annual row among the months is a frequency problem on its own row and field
    lines.append('"01","季節調整済指数","0046000","電子部品・デバイス工業","2025000000","2025年","2020年=100","101.2",""')
    path.write_bytes("\n".join(lines).encode("cp932"))
    errors = read_series_file(path).errors
    assert [(e.location.row, e.location.field) for e in errors] == [(len(lines), "time_code")]
    assert "annual" in errors[0].message


@pytest.mark.parametrize(("content", "match"), [
    (b"", "empty"), (b"observation_date,IPG3344S\n", "no values"),
    (b"<!DOCTYPE html><html>error</html>", "HTML page"), (b"a\x00b,c\n", "NUL"),
    (b"foo,bar\n1,2\n", "cannot tell the layout"),
])
def test_broken_files_are_refused_naming_the_file(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"bad.csv.*{match}"):
        read_series_file(path).check()
