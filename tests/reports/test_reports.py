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
    assert "caveats" not in Report("r").table(concentration(eto_chain)).html().split("</style>")[1]
