"""EUR -> USD for sources that report in euro (Eurostat Comext), so that values compare across sources.

Built in: the ECB's annual average euro reference rates (US dollars per euro), series EXR.A.USD.EUR.SP00.A of the
ECB Data Portal (https://data.ecb.europa.eu/data/datasets/EXR/EXR.A.USD.EUR.SP00.A), each figure as published
there. Monthly data are converted at the year's average unless a monthly table is given: ``load_rates`` reads
the ECB portal's CSV export (``TIME_PERIOD``/``OBS_VALUE`` columns, series EXR.M.USD.EUR.SP00.A) or a plain
``period,usd_per_eur`` file. The basis of each conversion is written into the row's ``flags`` (``usd:A`` for an
annual average, ``usd:M`` for a monthly one), and rows with no rate keep an empty ``value_usd``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from pinchpoint.errors import DataError
from pinchpoint.trade.table import TradeFrame

# ECB annual averages, USD per EUR (EXR.A.USD.EUR.SP00.A), as published on the ECB Data Portal.
ECB_ANNUAL_USD_PER_EUR = {
    "2016": 1.1069, "2017": 1.1297, "2018": 1.1810, "2019": 1.1195, "2020": 1.1422, "2021": 1.1827,
    "2022": 1.0530, "2023": 1.0813, "2024": 1.0824,
}
ECB_SOURCE = "ECB euro reference rates, annual averages (EXR.A.USD.EUR.SP00.A)"


@dataclass(frozen=True)
class Rates:
    """USD per EUR by period (``YYYY`` annual averages, ``YYYY-MM`` monthly averages)."""

    usd_per_eur: dict[str, float] = field(default_factory=lambda: dict(ECB_ANNUAL_USD_PER_EUR))
    source: str = ECB_SOURCE

    def rate(self, period: str) -> tuple[float, str] | None:
        """The rate for a period and its basis (``M`` or ``A``): a month's own rate, else its year's average."""
        if period in self.usd_per_eur and len(period) == 7:
            return self.usd_per_eur[period], "M"
        year = period[:4]
        if year in self.usd_per_eur:
            return self.usd_per_eur[year], "A"
        return None


def load_rates(path: Path) -> Rates:
    """A rate table: the ECB portal's CSV export or ``period,usd_per_eur`` (periods ``2022`` or ``2022-03``).
    Annual averages from the built-in table fill the years the file does not cover."""
    found: dict[str, float] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        names = reader.fieldnames or []
        period_col = next((c for c in ("TIME_PERIOD", "period", "DATE") if c in names), None)
        value_col = next((c for c in ("OBS_VALUE", "usd_per_eur") if c in names), None)
        if period_col is None or value_col is None:
            raise DataError("expected columns TIME_PERIOD and OBS_VALUE (ECB export) or period and usd_per_eur",
                            file=str(path), row=1, field=period_col or "period")
        for n, row in enumerate(reader, start=2):
            period = (row.get(period_col) or "").strip()
            if not re.fullmatch(r"\d{4}(-\d{2})?", period):
                raise DataError(f"not a year or month: {period!r}", file=str(path), row=n, field=period_col)
            try:
                value = float((row.get(value_col) or "").strip())
            except ValueError:
                raise DataError(f"not a number: {row.get(value_col)!r}", file=str(path), row=n,
                                field=value_col) from None
            if not 0.2 < value < 5:
                raise DataError(f"{value} USD per EUR is not a plausible rate", file=str(path), row=n,
                                field=value_col)
            found[period] = value
    return Rates({**ECB_ANNUAL_USD_PER_EUR, **found}, f"{path.name} (with {ECB_SOURCE} for other years)")


def fill_usd(frame: TradeFrame, rates: Rates | None = None) -> int:
    """Fill ``value_usd`` of the frame's EUR rows in place; returns how many rows had no rate."""
    rates = rates or Rates()
    cols = frame.columns
    missing = 0
    for k, currency in enumerate(cols["currency"]):
        if currency != "EUR" or cols["value"][k] is None:
            continue
        found = rates.rate(cols["period"][k])
        if found is None:
            missing += 1
            continue
        rate, basis = found
        cols["value_usd"][k] = cols["value"][k] * rate
        cols["flags"][k] = f"{cols['flags'][k]};usd:{basis}" if cols["flags"][k] else f"usd:{basis}"
    return missing
