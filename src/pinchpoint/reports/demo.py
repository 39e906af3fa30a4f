"""The demo: chokepoints and the finished product's exposure by country, as tables and an HTML report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pinchpoint.analysis import chokepoints, concentration, exposure
from pinchpoint.kernel.countries import country_name
from pinchpoint.reports.html import Report
from pinchpoint.reports.svg import bar_chart, choropleth
from pinchpoint.results import ResultTable
from pinchpoint.results.table import write_table
from pinchpoint.supplychain.model import SupplyChain


@dataclass(frozen=True)
class DemoResult:
    chokepoints: ResultTable
    exposure: ResultTable
    concentration: ResultTable
    target_name: str
    report: Path  # the written index.html
    tables: tuple[Path, ...]  # the CSV files behind every figure in the report


def _names(codes: list[str]) -> dict[str, str]:
    return {c: country_name(c) for c in codes}


def dataset_credit(chain: SupplyChain) -> str:
    """The line crediting a dataset in a report: its title, name and licence (with the attribution it requires)."""
    named = f"{chain.title} ({chain.name})" if chain.title and chain.title != chain.name else chain.name
    return f"Data: {named}." + (f" Licence: {chain.licence}." if chain.licence else " Licence: not stated.")


SHARE_UNITS = {"top_share": "% of supply", "hhi": "0-10,000", "share_us_japan": "%", "share_chip4": "%",
               "share_concern": "%", "cr1": "%", "cr3": "%"}


def build_demo(chain: SupplyChain, out: Path, command: str = "") -> DemoResult:
    """Run the three core analyses on ``chain`` and write ``out/index.html`` plus the CSV tables behind it.

    ``command`` (the command line that asked for the report) goes into every table's provenance and the report's.
    """
    choke = chokepoints(chain).with_command(command)
    expo = exposure(chain).with_command(command)
    conc = concentration(chain).with_command(command)
    target = expo.rows[0]["target_name"] if expo.rows else "(no output)"
    out.mkdir(parents=True, exist_ok=True)
    tables = tuple(write_table(t, out / f"{t.name}.csv") for t in (choke, expo, conc))

    dependence = {r["country"]: 100.0 * r["dependence"] for r in expo.rows}
    held = Counter(r["top_provider"] for r in choke.rows)
    report = Report(
        f"{chain.title}: chokepoints and exposure",
        provenance={"dataset": chain.name, "command": command or "pinchpoint demo"},
    ).credit(dataset_credit(chain))
    report.paragraph(
        f"{len(chain.inputs):,} inputs, {len(chain.provisions):,} provider shares and {len(chain.relations):,} "
        "relations. "
        "A chokepoint is an input where one country holds at least 65% of supply (the SIA/BCG 2021 threshold). "
        f"Exposure is the share of '{target}' that could not be made if a country's supply of every input were "
        "lost, propagated through the relation graph (complements: the scarcest input binds; substitutes: capacities "
        "add). It ignores inventories, installed tools and spare capacity elsewhere: see docs/analyses.md.")
    report.heading(f"Dependence of {target} on each country")
    report.chart(choropleth(dependence, title="Dependence by country", legend="Dependence (% of output lost)",
                            names=_names(list(dependence)), vmax=100.0, unit="%"),
                 "Grey: the dataset names no supply from that country.")
    top = [r for r in expo.rows if r["dependence"] > 0][:20]
    report.chart(bar_chart([f"{country_name(r['country'])} ({r['country']})" for r in top],
                           [100.0 * r["dependence"] for r in top], title="Dependence by country", unit="%",
                           vmax=100.0))
    report.table(expo, ["country", "dependence", "n_impaired_inputs", "critical_inputs"], limit=25,
                 percent=["dependence"])  # in percent, as in the map and the bars above
    report.heading(f"Chokepoints: {len(choke)} inputs with one country at 65% or more")
    if held:
        report.chart(choropleth(dict(held), title="Chokepoints held", legend="Chokepoint inputs held",
                                names=_names(list(held))))
        ranked = held.most_common(15)
        report.chart(bar_chart([f"{country_name(c)} ({c})" for c, _ in ranked], [float(n) for _, n in ranked],
                               title="Chokepoints held by country"))
    report.table(choke, ["input_name", "kind", "top_provider", "top_share", "hhi", "feeds"], limit=40,
                 units=SHARE_UNITS)
    report.heading("Most concentrated inputs (HHI)")
    report.table(conc, ["input_name", "kind", "year", "hhi", "top_provider", "top_share", "share_us_japan",
                        "share_chip4", "share_concern"], limit=20, units=SHARE_UNITS)
    report.heading("Sources")
    cited = sorted({s for t in (choke, conc) for r in t.rows for s in r["sources"]})
    by_id = {s.id: s for s in chain.sources}
    report.bullets([f"{by_id[s].citation}" + (f" <{by_id[s].url}>" if by_id[s].url else "") if s in by_id else s
                    for s in cited] or ["(the dataset cites no sources)"])
    if chain.findings:
        report.heading("Data-quality findings")
        report.bullets([f"{f.code} ({f.count}): {f.message}" for f in chain.findings])
    report.paragraph("Every figure above is in the CSV files next to this report: "
                     + ", ".join(p.name for p in tables) + ".")
    path = report.write(out)
    return DemoResult(choke, expo, conc, target, path, tables)
