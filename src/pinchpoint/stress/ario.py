"""ARIO-compatible mode: the Adaptive Regional Input-Output model on a multi-regional input-output table.

The equations are those of Hallegatte (2008, Risk Analysis 28(3)) with the two refinements of Guan et al. (2020,
Nature Human Behaviour 4) that BoARIO documents as its recommended "psi" model: production is cut only when an
input stock falls below ``psi`` times its target, and stock gaps are re-ordered over ``restoration_tau`` days.
Daily steps, in this order (the order BoARIO documents, so that results are comparable):

0. over-production: ``alpha += (alpha_max - alpha) * scarcity / tau`` while demand exceeds production, else
   ``alpha += (alpha_base - alpha) / tau``; ``alpha >= 1``;
1. capacity ``x0 * (1 - delta) * alpha``; optimal production ``min(demand, capacity)``; where an input's stock is
   below ``psi * inventory_days * use``, production falls in proportion (the scarcest input binds);
2. every supplier rations its output in proportion to the orders and final demand it received (proportional
   rationing); buyers' stocks gain deliveries and lose what production used;
3. orders for tomorrow: today's use plus the stock gap over ``restoration_tau``, split among the suppliers of each
   product by their share of the buyer's initial purchases, weighted by each supplier's current capacity
   (``order_shares="capacity"``, BoARIO's default "alt" orders) or not (``"fixed"``).

Written from the published equations (BoARIO is GPL and only a comparison peer). The cost of a step is three
passes over the intermediate-use matrix and no square temporary: orders are never materialised, because an order
``O[i, j] = Z0[i, j] * c[i] * g[s(i), j]`` factors into the table, a supplier weight and a product-by-buyer gap.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pinchpoint.errors import DataError, PinchpointError
from pinchpoint.results import ResultTable
from pinchpoint.stress.engines import SimulationError
from pinchpoint.stress.scenario import ArioParameters, CapacityLoss, DemandSurge, ExportBan, Scenario

FloatArray = NDArray[np.float64]
Progress = Callable[[int, int], None]

#: pymrio is GPL-licensed, so no pinchpoint extra installs it: the user does, knowingly.
PYMRIO_MISSING = ("the table 'pymrio:test' is the test table bundled with pymrio, which is not installed. pymrio is "
                  "GPL-licensed, so pinchpoint does not depend on it and no pinchpoint extra installs it: install it "
                  "yourself (pip install pymrio), or give a folder holding Z.txt and Y.txt in pymrio's text layout "
                  "(read without pymrio)")


@dataclass(frozen=True)
class IOTable:
    """A multi-regional input-output table: intermediate use ``Z`` (industries x industries) and final demand ``Y``
    (industries x final-demand columns), yearly, in the table's unit. Industries are (region, sector) pairs."""

    Z: FloatArray
    Y: FloatArray
    regions: tuple[str, ...]  # region of each industry
    sectors: tuple[str, ...]  # sector of each industry
    unit: str = ""
    source: str = ""
    fd_regions: tuple[str, ...] = ()  # region of each final-demand column (needed for export bans and embargoes)

    def __post_init__(self) -> None:
        n = len(self.regions)
        if self.Z.shape != (n, n) or self.Y.shape[0] != n or len(self.sectors) != n:
            raise DataError(f"{self.source or 'IO table'}: Z is {self.Z.shape}, Y is {self.Y.shape}, "
                            f"with {n} industries labelled")
        for name, arr in (("Z", self.Z), ("Y", self.Y)):
            if not np.isfinite(arr).all():
                raise DataError(f"{self.source or 'IO table'}: {name} has non-finite values")
        if (self.Z < 0).any():
            i, j = np.argwhere(self.Z < 0)[0]
            raise DataError(f"{self.source or 'IO table'}: negative intermediate use "
                            f"Z[{self.regions[i]}/{self.sectors[i]}, {self.regions[j]}/{self.sectors[j]}]")

    @property
    def x(self) -> FloatArray:
        """Gross output: intermediate plus final use of each industry's product (as pymrio's ``calc_x``)."""
        return np.asarray(self.Z.sum(axis=1) + self.Y.sum(axis=1), dtype=np.float64)

    @property
    def industries(self) -> list[tuple[str, str]]:
        return list(zip(self.regions, self.sectors, strict=True))

    @classmethod
    def from_pymrio(cls, mrio: Any) -> IOTable:
        """From a ``pymrio.IOSystem`` (or anything with ``Z`` and ``Y`` DataFrames indexed by (region, sector))."""
        Z, Y = getattr(mrio, "Z", None), getattr(mrio, "Y", None)
        if Z is None or Y is None:
            raise DataError("the IO system has no Z or Y table (pymrio: call calc_all() or load Z and Y)")
        labels = [tuple(str(v) for v in key) for key in Z.index]
        if any(len(key) < 2 for key in labels):
            raise DataError("the IO system's index must be (region, sector)")
        meta = getattr(mrio, "meta", None)
        return cls(Z=np.asarray(Z.to_numpy(), dtype=np.float64), Y=np.asarray(Y.to_numpy(), dtype=np.float64),
                   regions=tuple(k[0] for k in labels), sectors=tuple(k[1] for k in labels),
                   unit=str(getattr(mrio, "unit", "") if not hasattr(getattr(mrio, "unit", None), "iloc")
                            else mrio.unit.iloc[0, 0]),
                   source=str(getattr(meta, "name", "") or "pymrio IOSystem"),
                   fd_regions=tuple(str(c[0]) if isinstance(c, tuple) else str(c) for c in Y.columns))

    @classmethod
    def read(cls, folder: str | Path) -> IOTable:
        """A table saved by pymrio's ``save_all``/``save`` as text (``Z.txt``, ``Y.txt``, tab-separated, two index
        columns and two header rows), or pymrio's bundled test table layout (``trade_flows_Z.txt``,
        ``finald_demand_Y.txt``). Read without pymrio or pandas."""
        folder = Path(folder)
        if not folder.is_dir():
            raise DataError("not a folder holding an IO table (Z.txt and Y.txt in pymrio's text layout)",
                            file=str(folder))
        z_file, y_file = _find(folder, ("Z.txt", "trade_flows_Z.txt")), _find(folder, ("Y.txt", "finald_demand_Y.txt"))
        z_rows, z_cols, Z = _read_matrix(z_file)
        y_rows, y_cols, Y = _read_matrix(y_file)
        if [r[:2] for r in y_rows] != [r[:2] for r in z_rows]:
            raise DataError(f"rows are not the industries of {z_file.name}", file=str(y_file))
        if [c[:2] for c in z_cols] != [r[:2] for r in z_rows]:
            raise DataError("columns are not the same industries as the rows", file=str(z_file))
        unit = z_rows[0][2] if len(z_rows[0]) > 2 else ""
        return cls(Z=Z, Y=Y, regions=tuple(r[0] for r in z_rows), sectors=tuple(r[1] for r in z_rows), unit=unit,
                   source=str(folder), fd_regions=tuple(c[0] for c in y_cols))


def _find(folder: Path, names: Sequence[str]) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"none of {', '.join(names)} found", file=str(folder))


def _read_matrix(path: Path) -> tuple[list[list[str]], list[list[str]], FloatArray]:
    """Row labels, column labels and values of a pymrio text table. Data rows are those ending in a number; their
    leading text cells are the index columns; the rows above are column headers (a pandas index-name row, with no
    labels over the data columns, is skipped)."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in csv.reader(fh, delimiter="\t") if any(cell.strip() for cell in line)]
    first = next((k for k, line in enumerate(lines) if _is_number(line[-1]) and line[-1].strip()), None)
    if first is None or first == 0:
        raise DataError("expected pymrio's text layout (header rows, then rows of labels and numbers)",
                        file=str(path))
    n_index = next(k for k, cell in enumerate(lines[first]) if _is_number(cell) and cell.strip())
    header = [line for line in lines[:first] if any(cell.strip() for cell in line[n_index:])]
    cols = [[h[k] if k < len(h) else "" for h in header] for k in range(n_index, len(lines[first]))]
    rows, values = [], []
    for number, line in enumerate(lines[first:], start=first + 1):
        if len(line) != n_index + len(cols):
            raise DataError(f"{len(line)} cells, expected {n_index + len(cols)}",
                            file=str(path), row=number)
        rows.append(line[:n_index])
        try:
            values.append([float(cell) if cell.strip() else 0.0 for cell in line[n_index:]])
        except ValueError as err:
            bad = next(k for k, cell in enumerate(line[n_index:]) if not _is_number(cell))
            label = "/".join(cols[bad])
            raise DataError(f"not a number: {line[n_index + bad]!r}",
                            file=str(path), row=number, field=label) from err
    return rows, cols, np.asarray(values, dtype=np.float64)


def _is_number(cell: str) -> bool:
    try:
        float(cell.strip() or 0)
    except ValueError:
        return False
    return True


@dataclass
class ArioResult:
    """Daily production, capacity, unmet final demand and limiting inputs per industry, with a run summary."""

    table: IOTable
    production: FloatArray  # (days, industries), in table unit per day
    capacity: FloatArray
    final_demand_unmet: FloatArray
    baseline: FloatArray  # daily baseline production per industry
    stock_limited: NDArray[np.bool_]  # (days, industries): an input stock limited production

    @property
    def production_loss(self) -> float:
        """Total production lost over the horizon, in the table's unit."""
        return float((self.baseline[None, :] - self.production).sum())

    def summary(self) -> ResultTable:
        """Per industry: production lost, worst day (fraction of baseline), days below 99.9%, unmet final demand."""
        rows: list[dict[str, Any]] = []
        ratio = np.divide(self.production, self.baseline[None, :], out=np.ones_like(self.production),
                          where=self.baseline[None, :] > 0)
        for k, (region, sector) in enumerate(self.table.industries):
            lost = float((self.baseline[k] - self.production[:, k]).sum())
            worst = int(ratio[:, k].argmin())
            rows.append({"region": region, "sector": sector, "production_lost": lost,
                         "lost_days_of_output": lost / self.baseline[k] if self.baseline[k] > 0 else 0.0,
                         "lowest_output": float(ratio[worst, k]), "lowest_day": worst,
                         "days_below_baseline": int((ratio[:, k] < 0.999).sum()),
                         "final_demand_unmet": float(self.final_demand_unmet[:, k].sum()),
                         "stock_limited_days": int(self.stock_limited[:, k].sum())})
        rows.sort(key=lambda r: -float(r["production_lost"]))
        return ResultTable.from_records("ario_summary", rows, meta={"unit": self.table.unit,
                                                                     "source": self.table.source,
                                                                     "production_loss": self.production_loss})

    def series(self) -> ResultTable:
        """Total production, capacity and unmet final demand per region and day."""
        regions = sorted(set(self.table.regions))
        idx = np.array([regions.index(r) for r in self.table.regions])
        rows: list[dict[str, Any]] = []
        for r, region in enumerate(regions):
            cols = idx == r
            base = float(self.baseline[cols].sum())
            prod = self.production[:, cols].sum(axis=1)
            unmet = self.final_demand_unmet[:, cols].sum(axis=1)
            rows.extend({"region": region, "day": day, "production": float(prod[day]),
                         "production_ratio": float(prod[day] / base) if base else 1.0,
                         "final_demand_unmet": float(unmet[day])} for day in range(len(prod)))
        return ResultTable.from_records("ario_series", rows, meta={"unit": self.table.unit})


@dataclass
class Schedule:
    """What a scenario does to a table, day by day: capacity lost (days x industries), final-demand multipliers,
    and trade restrictions: export bans (a supplier mask over (industry, buyer region) and a daily size) and
    embargoed buyer regions (served nothing by suppliers elsewhere)."""

    loss: FloatArray
    demand: FloatArray | None = None
    bans: tuple[tuple[NDArray[np.bool_], FloatArray], ...] = ()
    embargo: NDArray[np.bool_] | None = None  # (industries x regions): supplier may not serve that region

    def flows(self, day: int) -> FloatArray | None:
        """Share of each supplier's normal flow to each buyer region that may pass on ``day`` (None: all)."""
        if not self.bans and self.embargo is None:
            return None
        allowed = np.ones(self.loss.shape[1:] + (self._regions(),))
        for mask, size in self.bans:
            allowed[mask] *= 1.0 - size[day]
        if self.embargo is not None:
            allowed[self.embargo] = 0.0
        return allowed

    def _regions(self) -> int:
        if self.embargo is not None:
            return int(self.embargo.shape[1])
        return int(self.bans[0][0].shape[1])


def schedule(table: IOTable, scenario: Scenario, days: int) -> Schedule:
    """The daily effect of a scenario's shocks on an IO table.

    ``capacity_loss``: ``country`` names a region of the table and ``input`` a sector (omitted: all its sectors);
    its ``fraction`` of capacity is lost on the shock's time profile. ``demand_surge``: final demand for its
    ``outputs`` sectors (default all) rises by ``increase``. ``export_ban``: ``country``'s industries in the
    ``inputs`` sectors (default all) deliver ``fraction x (1 - leakage)`` less to buyers in other regions; buyers
    re-order from the suppliers still open to them. ``ario.embargoed`` regions are served nothing by suppliers in
    other regions (zero-to-embargoed rationing): their orders go unserved and other buyers share the output."""
    t = np.arange(days, dtype=np.float64)
    n = len(table.regions)
    delta = np.zeros((days, n))
    demand = np.ones((days, n))
    regions, sectors = np.asarray(table.regions), np.asarray(table.sectors)
    names = list(dict.fromkeys(table.regions))
    bans: list[tuple[NDArray[np.bool_], FloatArray]] = []

    check_ario(table, scenario)
    for shock in scenario.shocks:
        if isinstance(shock, CapacityLoss):
            hit = regions == shock.country
            if shock.input:
                hit &= sectors == shock.input
            delta[:, hit] += (shock.fraction * shock.severity(t))[:, None]
        elif isinstance(shock, DemandSurge):
            hit = np.isin(sectors, list(shock.outputs)) if shock.outputs else np.ones(n, dtype=bool)
            demand[:, hit] *= (1.0 + shock.increase * shock.severity(t))[:, None]
        elif isinstance(shock, ExportBan):
            supplier = (regions == shock.country) & (np.isin(sectors, list(shock.inputs)) if shock.inputs else True)
            mask = supplier[:, None] & (np.asarray(names) != shock.country)[None, :]
            bans.append((mask, shock.fraction * (1.0 - shock.leakage) * shock.severity(t)))
    embargo = None
    if scenario.ario.embargoed:
        target = np.isin(names, list(scenario.ario.embargoed))
        embargo = ~np.isin(regions, list(scenario.ario.embargoed))[:, None] & target[None, :]
    if (bans or embargo is not None) and len(table.fd_regions) != table.Y.shape[1]:
        raise DataError(f"{table.source}: final-demand columns carry no regions, so trade restrictions cannot apply")
    return Schedule(loss=np.clip(delta, 0.0, 1.0), demand=demand, bans=tuple(bans), embargo=embargo)


def check_ario(table: IOTable, scenario: Scenario) -> None:
    """Every region and sector the scenario names must be the table's: an error names the file, line and field
    and the closest valid ids (an unknown sector in ``outputs`` or ``inputs`` used to be skipped silently)."""
    from pinchpoint.stress.checks import Problems, raise_problems
    from pinchpoint.supplychain.suggest import did_you_mean

    regions = {r: "" for r in dict.fromkeys(table.regions)}
    sectors = {s: "" for s in dict.fromkeys(table.sectors)}
    problems: Problems = list(scenario.uncertainty_problems())
    source = table.source or "the IO table"

    def check(value: str, among: dict[str, str], what: str, *path: str | int) -> None:
        if value not in among:
            problems.append((scenario.where(*path), f"{value!r} is not a {what} of {source}: "
                             + did_you_mean(value, among, f"{what}s")))

    for k, shock in enumerate(scenario.shocks):
        if isinstance(shock, CapacityLoss):
            if shock.organisation is not None:
                problems.append((scenario.where("shocks", k, "organisation"),
                                 "an IO table has regions and sectors, not organisations: name a 'country' (region)"))
            else:
                check(shock.country or "", regions, "region", "shocks", k, "country")
            if shock.input is not None:
                check(shock.input, sectors, "sector", "shocks", k, "input")
        elif isinstance(shock, ExportBan):
            check(shock.country, regions, "region", "shocks", k, "country")
            for n, sector in enumerate(shock.inputs):
                check(sector, sectors, "sector", "shocks", k, "inputs", n)
        else:
            for n, sector in enumerate(shock.outputs):
                check(sector, sectors, "sector", "shocks", k, "outputs", n)
    for n, region in enumerate(scenario.ario.embargoed):
        check(region, regions, "region", "ario", "embargoed", n)
    for sector in scenario.ario.inventory_days_by_sector:
        check(sector, sectors, "sector", "ario", "inventory_days_by_sector", sector)
    raise_problems(problems)


def run_ario(table: IOTable, shocks: Schedule | FloatArray, params: ArioParameters | None = None,
             progress: Progress | None = None) -> ArioResult:
    """Simulate ARIO dynamics for as many days as the schedule has.

    ``shocks`` is a :class:`Schedule` (see :func:`schedule`) or just the capacity loss: ``loss[t, k]`` is the
    fraction of industry ``k``'s capacity lost on day ``t`` (0-1). Raises :class:`SimulationError` on negative
    stocks, non-finite values or a collapse (total production below ``collapse_fraction`` of baseline)."""
    p = params or ArioParameters()
    plan = shocks if isinstance(shocks, Schedule) else Schedule(loss=np.asarray(shocks, dtype=np.float64))
    days, n = plan.loss.shape
    if n != len(table.regions):
        raise ValueError(f"the schedule has {n} industries, the table {len(table.regions)}")
    model = _Model(table, p)
    production = np.empty((days, n))
    capacity = np.empty((days, n))
    unmet = np.empty((days, n))
    limited = np.zeros((days, n), dtype=bool)
    for day in range(days):
        mult = None if plan.demand is None else plan.demand[day]
        production[day], capacity[day], unmet[day], limited[day] = model.step(day, plan.loss[day], mult,
                                                                              plan.flows(day))
        total = production[day].sum()
        if not np.isfinite(total) or total < p.collapse_fraction * model.x0.sum():
            raise SimulationError(f"day {day}: total production is {total / model.x0.sum():.1%} of baseline "
                                  f"(below collapse_fraction {p.collapse_fraction:.0%}): the economy collapses "
                                  "under this shock; results past this day would be meaningless")
        if progress is not None:
            progress(day + 1, days)
    return ArioResult(table=table, production=production[:, model.inverse], capacity=capacity[:, model.inverse],
                      final_demand_unmet=unmet[:, model.inverse], baseline=model.x0[model.inverse],
                      stock_limited=limited[:, model.inverse])


class _Model:
    """State of one ARIO run. Industries are held region-major (R regions x S sectors) so that the intermediate-use
    matrix reshapes to (R, S, n) and the sums over the suppliers of one product are batched matrix products."""

    def __init__(self, table: IOTable, p: ArioParameters) -> None:
        region_names = list(dict.fromkeys(table.regions))
        sector_names = list(dict.fromkeys(table.sectors))
        R, S = len(region_names), len(sector_names)
        if len(table.regions) != R * S or len(set(table.industries)) != len(table.regions):
            raise DataError(f"{table.source or 'IO table'}: every region must have the same {S} sectors once "
                            f"({len(table.regions)} industries for {R} regions)")
        r_idx = np.array([region_names.index(r) for r in table.regions])
        s_idx = np.array([sector_names.index(s) for s in table.sectors])
        self.order = np.lexsort((s_idx, r_idx))  # internal position -> table position
        self.inverse = np.argsort(self.order)  # table position -> internal position
        self.R, self.S, self.n = R, S, len(self.order)
        self.p = p
        # Z stays in yearly units and, when the table is already region-major, is not copied: the factor 1/365
        # is applied to the (sectors x industries) results of each pass instead
        self.day = 1.0 / 365.0
        identity = bool((self.order == np.arange(self.n)).all())
        Z = table.Z if identity else table.Z[np.ix_(self.order, self.order)]
        self.Z3 = np.ascontiguousarray(Z).reshape(R, S, self.n)
        self.Zs = self.Z3.transpose(1, 0, 2)  # (sectors, regions, buyers): one matrix per product, for matmul
        self.y0 = table.Y[self.order].sum(axis=1) * self.day
        self.y_by_region: FloatArray | None = None  # final demand by buyer region, when the table says it
        if len(table.fd_regions) == table.Y.shape[1]:
            member = np.array([[r == name for name in region_names] for r in table.fd_regions], dtype=np.float64)
            self.y_by_region = table.Y[self.order] @ member * self.day
        z_c = self._by_product(np.ones(self.n))
        self.x0 = self.Z3.sum(axis=2).reshape(self.n) * self.day + self.y0
        # technical coefficients by product (summed over supplier regions): use of product s per unit of j's output
        self.tech = np.divide(z_c, self.x0[None, :], out=np.zeros_like(z_c), where=self.x0[None, :] > 0)
        inv = np.array([p.inventory_days_by_sector.get(s, p.inventory_days) for s in sector_names], dtype=np.float64)
        self.inv_days = inv[:, None]
        self.finite_inv = np.isfinite(inv)[:, None] & (self.tech > 0)
        self.target_days = np.where(np.isfinite(self.inv_days), self.inv_days, 0.0)
        self.stock = np.where(self.finite_inv, self.x0[None, :] * self.tech * self.target_days, np.inf)
        self.alpha = np.full(self.n, p.alpha_base)
        self.c_orders: FloatArray = np.ones(self.n)  # supplier weights of the orders: (n,) or (n, buyer regions)
        self.g = np.divide(self.x0[None, :] * self.tech, z_c, out=np.zeros_like(z_c), where=z_c > 0)
        self.received = self._received_orders()
        self.production = self.x0.copy()

    def _by_product(self, weights: FloatArray) -> FloatArray:
        """sum over suppliers i of product s of w[i] * Z0[i, j], daily: (sectors x buyers), one BLAS pass. ``w`` is
        one weight per supplier, or one per supplier and buyer region (trade restrictions)."""
        if weights.ndim == 1:
            w = weights.reshape(self.R, self.S).T[:, None, :]  # (sectors, 1, regions)
            out: FloatArray = np.matmul(w, self.Zs)[:, 0, :] * self.day
            return out
        out = np.empty((self.S, self.n))
        for rb in range(self.R):
            block = slice(rb * self.S, (rb + 1) * self.S)
            w = weights[:, rb].reshape(self.R, self.S).T[:, None, :]
            out[:, block] = np.matmul(w, self.Zs[:, :, block])[:, 0, :] * self.day
        return out

    def _received_orders(self) -> FloatArray:
        """Orders to supplier i = sum_j c[i, r(j)] * Z0[i, j] * g[s(i), j], daily."""
        if self.c_orders.ndim == 1:
            per = np.matmul(self.Zs, self.g[:, :, None])[:, :, 0]  # (sectors, regions)
            out: FloatArray = per.T.reshape(self.n) * self.c_orders * self.day
            return out
        out = np.zeros(self.n)
        for rb in range(self.R):
            block = slice(rb * self.S, (rb + 1) * self.S)
            per = np.matmul(self.Zs[:, :, block], self.g[:, block, None])[:, :, 0]
            out += per.T.reshape(self.n) * self.c_orders[:, rb]
        return out * self.day

    def step(self, day: int, loss: FloatArray, demand_mult: FloatArray | None, flows: FloatArray | None
             ) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
        p = self.p
        loss = loss[self.order]
        mult = np.ones(self.n) if demand_mult is None else demand_mult[self.order]
        blocked = np.zeros(self.n)  # final demand that restrictions keep from its supplier
        if flows is None:
            y = self.y0 * mult
        else:
            flows = flows[self.order]
            assert self.y_by_region is not None  # checked by schedule()
            by_region = self.y_by_region * mult[:, None]
            y = (by_region * flows).sum(axis=1)
            blocked = (by_region * (1.0 - flows)).sum(axis=1)
        demand = self.received + y
        if day > 1:  # over-production responds to yesterday's scarcity (BoARIO starts at step 2)
            scarcity = np.divide(demand - self.production, demand, out=np.zeros(self.n), where=demand > 0)
            scarce = scarcity > 0
            rate = 1.0 / p.alpha_tau
            self.alpha = np.maximum(1.0, self.alpha + np.where(
                scarce, (p.alpha_max - self.alpha) * scarcity * rate, (p.alpha_base - self.alpha) * rate))
        cap = self.x0 * (1.0 - loss) * self.alpha
        optimal = np.minimum(demand, cap)
        required = optimal[None, :] * self.tech * self.target_days * p.psi
        short = self.finite_inv & (self.stock < required)
        limited = np.zeros(self.n, dtype=bool)
        production = optimal
        if short.any():
            ratio = np.ones_like(required)
            np.divide(self.stock, required, out=ratio, where=short & (required > 0))
            production = optimal * np.minimum(ratio.min(axis=0), 1.0)
            limited = short.any(axis=0)
        # proportional rationing: each supplier serves the same fraction of every order and of final demand
        served = np.divide(production, demand, out=np.zeros(self.n), where=demand > 0)
        weights = self.c_orders * (served if self.c_orders.ndim == 1 else served[:, None])
        delivered = self.g * self._by_product(weights)
        used = production[None, :] * self.tech
        self.stock = np.where(self.finite_inv, self.stock + delivered - used, np.inf)
        if (self.stock < -1e-9 * np.maximum(1.0, self.x0[None, :])).any() or not np.isfinite(production).all():
            raise SimulationError(f"day {day}: negative input stock or non-finite production; check the table "
                                  "and parameters")
        # orders for tomorrow: today's use plus the stock gap spread over restoration_tau
        goal = optimal[None, :] * self.tech * self.target_days
        gap = np.where(self.finite_inv, np.maximum(goal - self.stock, 0.0), 0.0) / p.restoration_tau + used
        c = np.divide(cap, self.x0, out=np.ones(self.n), where=self.x0 > 0) if p.order_shares == "capacity" \
            else np.ones(self.n)
        if flows is not None:  # buyers order only what may reach them, re-weighting the open suppliers
            c = c[:, None] * flows
        den = self._by_product(c)
        self.g = np.divide(gap, den, out=np.zeros_like(gap), where=den > 0)
        self.c_orders = c
        self.received = self._received_orders()
        self.production = production
        unmet = y * (1.0 - served) + blocked
        return production, cap, unmet, limited


def load_table(ref: str | Path) -> IOTable:
    """An IO table from a folder (see :meth:`IOTable.read`), or ``pymrio:test`` for pymrio's test table when pymrio
    is installed (read from its package folder, so pymrio itself is not imported)."""
    if str(ref) == "pymrio:test":
        import importlib.util

        spec = importlib.util.find_spec("pymrio")
        if spec is None or not spec.submodule_search_locations:
            raise PinchpointError(PYMRIO_MISSING)
        folder = Path(next(iter(spec.submodule_search_locations))) / "mrio_models" / "test_mrio" / "mrio_data"
        table = IOTable.read(folder)
        meta = folder / "metadata.json"
        source = json.loads(meta.read_text(encoding="utf-8")).get("name", "") if meta.is_file() else ""
        return replace(table, source=f"pymrio test table {source}".strip())
    return IOTable.read(ref)
