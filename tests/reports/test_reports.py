"""Charts follow their values; the demo report is one self-contained file whose figures match its CSV tables."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from pinchpoint.reports import Report, bar_chart, choropleth
from pinchpoint.reports.demo import build_demo
from pinchpoint.reports.svg import NO_DATA, colour
from pinchpoint.results import ResultTable
from pinchpoint.supplychain.model import SupplyChain


def fill_of(svg: str, iso3: str) -> str:
    match = re.search(rf'data-iso="{iso3}"[^>]*fill="(#[0-9a-f]{{6}})"', svg)
    assert match, f"{iso3} not drawn"
    return match.group(1)


def darkness(hex_colour: str) -> int:
    return -sum(int(hex_colour[k:k + 2], 16) for k in (1, 3, 5))


def test_map_colours_follow_values() -> None:
    svg = choropleth({"NLD": 100.0, "JPN": 60.0, "USA": 10.0, "TWN": 0.0, "SGP": 80.0}, title="t", legend="l")
    assert darkness(fill_of(svg, "NLD")) > darkness(fill_of(svg, "SGP")) > darkness(fill_of(svg, "JPN"))
    assert darkness(fill_of(svg, "JPN")) > darkness(fill_of(svg, "USA")) > darkness(fill_of(svg, "TWN"))
    assert fill_of(svg, "CHN") == NO_DATA
    assert fill_of(svg, "SGP") == colour(0.8)  # too small for 1:110m: drawn as a marker


def test_bar_widths_are_proportional() -> None:
    svg = bar_chart(["a", "b", "c"], [50.0, 25.0, 100.0], title="t", vmax=100.0)
    widths = [float(w) for w in re.findall(r'class="bar"[^>]*width="([0-9.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 2 * widths[0]


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>'
    table = ResultTable.from_records("t", [{"name": hostile}], ["name"])
    path = Report(hostile).paragraph(hostile).table(table).chart(bar_chart([hostile], [1.0], title=hostile)).write(
        tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text


class ResourceFinder(HTMLParser):
    """Every attribute through which a browser would fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "srcset", "data", "poster") or (name == "href" and tag in ("link", "use", "image")):
                self.fetches.append(f"{tag} {name}={value}")


def test_demo_report_on_eto_is_self_contained(eto_chain: SupplyChain, tmp_path: Path) -> None:
    result = build_demo(eto_chain, tmp_path / "out", command="pinchpoint demo --dataset eto")
    html = result.report.read_text(encoding="utf-8")
    finder = ResourceFinder()
    finder.feed(html)
    assert finder.fetches == [] and "script" not in finder.tags
    assert "EUV lithography tools" in html and "Finished logic chip" in html
    assert html.count("<svg") >= 4 and "pinchpoint demo --dataset eto" in html
    # the tables behind the figures are written next to the report and match what was returned
    with (tmp_path / "out" / "chokepoints.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["input_id"] for r in rows] == [r["input_id"] for r in result.chokepoints.rows]
    with (tmp_path / "out" / "exposure.csv").open(encoding="utf-8") as fh:
        expo = {r["country"]: float(r["dependence"]) for r in csv.DictReader(fh)}
    assert expo == {r["country"]: r["dependence"] for r in result.exposure.rows}
    # the map colours each country by its dependence
    nld = next(r for r in result.exposure.rows if r["country"] == "NLD")
    assert 'data-iso="NLD" d=' in html and nld["dependence"] == 1.0


def test_demo_command(eto_path: Path, tmp_path: Path) -> None:
    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["demo", "--dataset", str(eto_path), "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "EUV lithography tools" in result.stdout and (tmp_path / "d" / "index.html").exists()


def test_report_shows_table_caveats_in_a_visible_box(eto_chain: SupplyChain, tmp_path: Path) -> None:
    from pinchpoint.analysis import concentration

    caveat = 'Shares <b>"estimated"</b> by ETO analysts.'
    table = concentration(eto_chain).with_caveats(caveat)
    html = Report("r").table(table).caveats(["Ignores inventories."]).write(tmp_path).read_text(encoding="utf-8")
    box = re.search(r"<section class='caveats'[^>]*>(.*?)</section>", html, re.S)
    assert box, "no caveats box"
    assert "Shares &lt;b&gt;&quot;estimated&quot;&lt;/b&gt; by ETO analysts." in box.group(1)
    assert "Ignores inventories." in box.group(1) and "<b>" not in html
    plain = concentration(eto_chain)
    plain = ResultTable(plain.name, plain.columns, plain.rows, {**plain.meta, "caveats": []})
    assert "caveats" not in Report("r").table(plain).html().split("</style>")[1]


def _demo_html(eto_chain: SupplyChain, eto_path: Path, out: Path) -> tuple[str, Path]:
    build_demo(eto_chain, out, command=f"pinchpoint demo --dataset {eto_path} --out {out}")
    return (out / "index.html").read_text(encoding="utf-8"), out


def test_demo_report_years_paths_credit_and_units(eto_chain: SupplyChain, eto_path: Path, tmp_path: Path) -> None:
    html, out = _demo_html(eto_chain, eto_path, tmp_path / "out")
    # years as years: every year in provision.csv that the concentration table shows is printed without a comma
    with (eto_path / "provision.csv").open(encoding="utf-8-sig") as fh:
        years = {r["year"] for r in csv.DictReader(fh) if r.get("year")}
    n_shares = len(eto_chain.provisions)
    assert n_shares >= 1000 and f"{n_shares:,} provider shares" in html  # counts do get thousands separators
    shown = set(re.findall(r'<td class="num">(\d,?\d{3})</td>', html))
    assert shown & years and not any(f"{y[0]},{y[1:]}" in shown for y in years)
    # no local folders in the header: the dataset folder and the output folder appear by their last part only
    assert str(eto_path) not in html and str(tmp_path) not in html
    assert f"--dataset {eto_path.name} --out out" in html
    # the dataset is named and ETO's licence and attribution (SOURCES.md: CC BY-NC 4.0, ETO / CSET) are shown
    credit = re.search(r"<p class='credit'>(.*?)</p>", html)
    assert credit and "ETO Advanced Semiconductor Supply Chain Dataset" in credit.group(1)
    assert "CC BY-NC 4.0" in credit.group(1) and "Emerging Technology Observatory / CSET" in credit.group(1)
    # dependence: percent in the table as in the charts, with the unit in the header
    with (out / "exposure.csv").open(encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    assert "<th>dependence (%)</th>" in html and "<th>top_share (% of supply)</th>" in html
    row = re.search(rf"<td>{first['country']}</td><td class=\"num\">([0-9.,]+)</td>", html)
    assert row and float(row.group(1).replace(",", "")) == round(100 * float(first["dependence"]), 1)


def test_markdown_links_become_escaped_anchors(tmp_path: Path) -> None:
    text = ('See [ETO <data>](https://eto.tech/x?a=1&b=2), <https://cset.georgetown.edu/> and '
            '[bad](javascript:alert(1)) or [q](https://e.example/"onmouseover="x)')
    html = Report("r").paragraph(text).bullets([text]).html()
    assert '<a href="https://eto.tech/x?a=1&amp;b=2">ETO &lt;data&gt;</a>' in html
    assert '<a href="https://cset.georgetown.edu/">https://cset.georgetown.edu/</a>' in html
    assert "javascript:" not in re.sub(r"<p>|<li>", "", "".join(re.findall(r'href="[^"]*"', html)))
    assert 'href="https://e.example/&quot;onmouseover=&quot;x"' in html and "[ETO" not in html
    finder = ResourceFinder()
    finder.feed(html)
    assert finder.fetches == [] and "script" not in finder.tags


def test_japanese_cells_name_their_language_and_a_font_that_has_them(tmp_path: Path) -> None:
    from tests.conftest import SHARED

    source = SHARED / "controls" / "jp" / "jp_sme_concordance.csv"
    if not source.exists():
        import pytest

        pytest.skip(f"real data not found at {source}")
    with source.open(encoding="utf-8") as fh:
        rows = [{"jp_item": r["jp_item"], "gloss": r["gloss_en"]} for r in csv.DictReader(fh)][:5]
    html = Report("JP items").table(ResultTable.from_records("jp", rows)).html()
    for r in rows:
        assert f'<td lang="ja">{r["jp_item"]}</td>' in html
        assert f"<td>{r['gloss'].replace('>', '&gt;').replace('<', '&lt;')}</td>" in html
    fonts = re.search(r"body\{font-family:([^;]+);", html)
    assert fonts and all(f in fonts.group(1) for f in ('"Noto Sans CJK JP"', '"Hiragino Sans"', '"Yu Gothic"',
                                                        '"Meiryo"'))
    assert fonts.group(1).endswith("sans-serif") and 'svg text{font-family:' in html
    assert 'font-family="' in bar_chart([rows[0]["jp_item"]], [1.0], title="t")


def _rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[k:k + 2], 16) for k in (1, 3, 5))


def test_small_countries_are_visible_on_the_map() -> None:
    """Taiwan, the Netherlands and Armenia are a few px² at 1:110m; Kyrgyzstan at 0.5% of the top vanished."""
    svg = choropleth({"TWN": 100.0, "NLD": 50.0, "ARM": 1.0, "KGZ": 0.5}, title="t", legend="l")
    sea = _rgb("#f7fbff")
    for code in ("TWN", "NLD", "ARM", "KGZ"):
        marks = re.findall(rf'<(path|circle) data-iso="{code}"([^>]*)>', svg)
        visible = []
        for tag, attrs in marks:
            fill = re.search(r'fill="(#[0-9a-f]{6})"', attrs)
            assert fill
            contrast = sum(abs(a - b) for a, b in zip(_rgb(fill.group(1)), sea, strict=True))
            if tag == "circle":
                big = float(re.search(r'r="([0-9.]+)"', attrs).group(1)) >= 3  # type: ignore[union-attr]
            else:
                d = re.search(r'd="([^"]+)"', attrs).group(1)  # type: ignore[union-attr]
                xs = [float(p.split(",")[0]) for p in re.findall(r"[\d.]+,[\d.]+", d)]
                ys = [float(p.split(",")[1]) for p in re.findall(r"[\d.]+,[\d.]+", d)]
                big = (max(xs) - min(xs)) * (max(ys) - min(ys)) >= 40
            visible.append(big and contrast >= 60)
        assert any(visible), f"{code} has no visible mark"


def test_map_legend_labels_do_not_overlap() -> None:
    svg = choropleth({"USA": 123_456_789.0, "CHN": 5.0}, title="t", legend="Imports from the United States (USD)")
    legend = svg.split("</g>")[1]
    labels = re.findall(r'<text x="([0-9.]+)" y="([0-9.]+)" font-size="10"(?: text-anchor="(\w+)")?>([^<]*)</text>',
                        legend)
    spans = []
    for x, y, anchor, text in labels:
        width = 6.0 * len(text)  # generous: ~0.6 em per character at 10 px
        left = float(x) - (width / 2 if anchor == "middle" else width if anchor == "end" else 0)
        spans.append((float(y), left, left + width))
    assert len(spans) >= 7
    for k, a in enumerate(spans):
        for b in spans[k + 1:]:
            assert a[0] != b[0] or a[2] <= b[1] or b[2] <= a[1], f"legend labels overlap: {a} {b}"
    title = re.search(r'<text x="10" y="([0-9.]+)" font-size="11">', legend)
    assert title and all(float(title.group(1)) < y - 10 for y, _, _ in spans)  # the title has its own line


def test_map_handles_nan_negative_and_values_above_vmax() -> None:
    svg = choropleth({"USA": float("nan"), "DEU": -40.0, "FRA": 0.0, "JPN": 60.0, "KOR": 150.0}, title="t",
                     legend="growth", vmax=100.0, unit="%")
    assert fill_of(svg, "USA") == NO_DATA  # NaN used to raise "cannot convert float NaN to integer"
    assert darkness(fill_of(svg, "KOR")) > darkness(fill_of(svg, "JPN")) > darkness(fill_of(svg, "FRA"))
    assert darkness(fill_of(svg, "FRA")) > darkness(fill_of(svg, "DEU"))  # a fall is not drawn as zero
    assert ">-40%</text>" in svg and ">150%</text>" in svg  # the legend spans what is drawn


def test_bars_above_vmax_stay_inside_the_chart() -> None:
    svg = bar_chart(["a", "b"], [50.0, 250.0], title="t", vmax=100.0, width=720)
    x = [float(v) for v in re.findall(r'class="bar" x="([0-9.]+)"', svg)]
    widths = [float(w) for w in re.findall(r'class="bar"[^>]*width="([0-9.]+)"', svg)]
    assert x[1] + widths[1] <= 720 - 60 and widths[1] == 5 * widths[0]


def test_years_codes_and_ids_print_without_separators() -> None:
    from pinchpoint.reports.html import table_html

    row = {"year": 2022, "period": 202201, "hs6": 854231, "input_id": 1234, "row": 1500, "n_rows": 2022,
           "value_usd": 1234567}
    html = table_html(ResultTable.from_records("t", [row]))
    cells = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert cells == ["2022", "202201", "854231", "1234", "1500", "2,022", "1,234,567"]
