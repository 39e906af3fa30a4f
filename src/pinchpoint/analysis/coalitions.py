"""Named groups of countries whose combined share analyses report.

Built-ins cover the groupings Japan-U.S. working groups use; users add their own from a YAML or
CSV file (``name: [ISO3, ...]`` or rows of ``coalition,country``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pinchpoint.errors import DataError
from pinchpoint.kernel.countries import group_members, normalise_country

EU27 = group_members("EU27_2020")  # one definition: pinchpoint/kernel/data/country_groups.yaml

#: Built-in coalitions, from the named groups of the country vocabulary (members and citations in
#: ``kernel/data/country_groups.yaml``). ``EUR`` (Europe, not broken down) counts towards EU-27: an upper bound.
COALITIONS: dict[str, tuple[str, ...]] = {
    "us_japan": group_members("US+JPN"),
    "chip4": group_members("CHIP4"),
    "g7": group_members("G7"),
    "eu27": EU27 + ("EUR",),
}

#: Countries of concern: the "foreign adversaries" of 15 CFR 791.4 (U.S. Department of Commerce, ICTS
#: supply-chain rule), China including Hong Kong and Macau: the group CONCERN.
CONCERN: tuple[str, ...] = group_members("CONCERN")


def load_coalitions(path: str | Path) -> dict[str, tuple[str, ...]]:
    """Read user coalitions from YAML (``name: [codes]``) or CSV (``coalition,country`` rows)."""
    p = Path(path)
    out: dict[str, list[str]] = {}
    if p.suffix.lower() in (".yaml", ".yml"):
        from pinchpoint.yamlio import read_yaml_document

        doc = read_yaml_document(p)[0]
        if not isinstance(doc, Mapping):
            raise DataError("expected a mapping of coalition name to a list of ISO3 codes", file=str(p), row=1)
        for name, codes in doc.items():
            if not isinstance(codes, list):
                raise DataError(f"coalition {name!r} must list country codes", file=str(p), field=str(name))
            out[str(name)] = [_code(str(c), str(p), None, str(name)) for c in codes]
    else:
        from pinchpoint.supplychain.csvio import read_rows

        for line, row in read_rows(p, ["coalition", "country"], str(p)):
            out.setdefault(row["coalition"], []).append(_code(row["country"], str(p), line, "country"))
    return {k: tuple(v) for k, v in out.items()}


def _code(raw: str, file: str, row: int | None, field: str) -> str:
    code = normalise_country(raw)
    if code is None:
        from pinchpoint.kernel.countries import unknown_country_message

        raise DataError(unknown_country_message(raw), file=file, row=row, field=field)
    return code
