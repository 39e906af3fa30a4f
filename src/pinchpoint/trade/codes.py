"""Code lists as data: the Common High Priority List (CHPL) by version, its HS2017 equivalents, CN8 -> HS6 by prefix,
and user lists of codes from a file. CN8 codes match their HS6 code by prefix (CodeList.matches)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pinchpoint.errors import DataError


@dataclass(frozen=True)
class CodeList:
    name: str
    version: str
    codes: tuple[str, ...]  # HS6 (or any level) as zero-padded text
    tiers: dict[str, str]
    hs2017: dict[str, str]  # code -> its HS2017 equivalent where the list gives one

    def in_revision(self, revision: str) -> CodeList:
        """The list in another HS revision, for data classified in it (BACI HS17, Comtrade H5): each code is
        replaced by its equivalent where the list gives one. HS2022 codes that split an HS2017 code map to the
        whole HS2017 parent, which over-counts (the parent also holds goods not listed)."""
        if revision.upper().replace(" ", "") in ("HS2022", "HS6", self.version.upper()):
            return self
        if revision.upper().replace(" ", "") != "HS2017":
            raise DataError(f"no concordance to {revision!r} in {self.name} (available: HS2017)")
        mapped = tuple(dict.fromkeys(self.hs2017.get(c, c) for c in self.codes))
        return CodeList(self.name, f"{self.version} in HS2017", mapped,
                        {self.hs2017.get(c, c): t for c, t in self.tiers.items()}, {})

    def sql_filter(self, column: str = "product") -> str:
        """:meth:`matches` as SQL. Each code is a range (``'854231' <= product < '854232'``) rather than a LIKE, so
        that DuckDB can skip the row groups of a table sorted by product."""
        parts = [f"({column} >= '{c}' AND {column} < '{c[:-1]}{chr(ord(c[-1]) + 1)}')" for c in self.codes if c]
        heads = sorted(self._headings())
        if heads:
            parts.append(f"{column} IN ({', '.join(repr(h) for h in heads)})")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    def chapters(self) -> CodeList:
        """The HS chapters (2 digits) that hold the listed codes."""
        return CodeList(f"{self.name} chapters", self.version, tuple(sorted({c[:2] for c in self.codes})), {}, {})

    def _headings(self) -> set[str]:
        """Chapters and headings (every even-length prefix) that contain listed codes."""
        return {c[:n] for c in self.codes for n in range(2, len(c), 2)}

    def matches(self, product: str) -> bool:
        """A product code is covered when it starts with a listed code (CN8 under HS6), or is an HS4 heading
        that contains listed codes (reported data at a coarser level)."""
        return any(product.startswith(c) for c in self.codes) or product in self._headings()


def load_chpl(path: Path, version: str = "2024-02") -> CodeList:
    """The CHPL table: ``hs6, tier, tier_label, description_short, hs2017_equivalent, hs_mapping_note``."""
    codes: list[str] = []
    tiers: dict[str, str] = {}
    hs2017: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for column in ("hs6", "tier"):
            if column not in (reader.fieldnames or []):
                raise DataError(f"missing column {column!r}", file=str(path), row=1, field=column)
        for n, row in enumerate(reader, start=2):
            code = (row.get("hs6") or "").strip()
            if not re.fullmatch(r"\d{6}", code):
                raise DataError(f"not an HS6 code: {code!r}", file=str(path), row=n, field="hs6")
            codes.append(code)
            tiers[code] = (row.get("tier") or "").strip()
            if row.get("hs2017_equivalent"):
                hs2017[code] = row["hs2017_equivalent"].strip()
    return CodeList("CHPL", version, tuple(codes), tiers, hs2017)


def load_code_list(path: Path) -> CodeList:
    """A user list: one code per line (or the first column of a CSV); '#' starts a comment."""
    codes = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].split(",")[0].strip()
        if not text or text.lower() in ("code", "hs6", "cn8"):
            continue
        if not re.fullmatch(r"\d{2,10}", text):
            raise DataError(f"not a product code: {text!r}", file=str(path), row=n, field="code")
        codes.append(text)
    return CodeList(path.stem, "user", tuple(codes), {}, {})
