"""The built-in data keeps its own rule (file header, docs/builtin-data.md): where a publisher says "nearly" or
"almost" 100%, the share recorded is the conservative end, so 100 always means a sole supplier (trial 12, F8: TEL's
"nearly 100%" was recorded as 100 and printed as a sole-supplier chokepoint, HHI 10,000)."""

from __future__ import annotations

import re

from pinchpoint.supplychain.load import builtin_path
from pinchpoint.yamlio import load_yaml

HEDGED = re.compile(r"\b(nearly|almost|virtually|about|around)\b[^;]*?(\b100 ?%|\ball\b)", re.IGNORECASE)
SOLE = re.compile(r"\b(sole|only)\b", re.IGNORECASE)


def test_hedged_figures_are_recorded_below_100_and_100_means_sole_supplier() -> None:
    provisions = load_yaml(builtin_path())[0]["provisions"]
    hedged = [p for p in provisions if HEDGED.search(str(p.get("note", "")))]
    assert hedged, "the built-in data quotes hedged figures"
    assert [p for p in hedged if p["share"] >= 100] == []
    assert [p for p in provisions if p["share"] == 100 and not SOLE.search(str(p.get("note", "")))] == []
