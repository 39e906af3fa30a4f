"""Code lists as data: the Common High Priority List (CHPL) by version, HS revision concordances (HS2022 <-> HS2017
from the CHPL's own equivalents, or a correlation table from a file), CN8 -> HS6 by prefix, and user lists of
codes from a file. CN8 codes match their HS6 code by prefix (CodeList.matches)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pinchpoint.errors import DataError


def _revision(name: str) -> str:
    return name.upper().replace(" ", "").replace("_", "")


@dataclass(frozen=True)
class Concordance:
    """Code pairs between two HS revisions (many-to-many: a split maps one code to several)."""

    source: str  # e.g. HS2022
    target: str  # e.g. HS2017
    pairs: tuple[tuple[str, str], ...]

    def map(self, code: str) -> list[str]:
        """The target codes of a source code; a code with no pair is unchanged (same code in both revisions)."""
        found = [t for s, t in self.pairs if s == code]
        return found or [code]

    def reverse(self) -> Concordance:
        return Concordance(self.target, self.source, tuple((t, s) for s, t in self.pairs))


def load_concordance(path: Path) -> Concordance:
    """A correlation table as CSV: two columns named after their revisions (``HS2022,HS2017``; UNSD's tables
    exported to CSV have this shape), one pair per row."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header or len(header) < 2 or not all(re.fullmatch(r"HS\d{4}", _revision(h)) for h in header[:2]):
            raise DataError("the first two columns must be named after HS revisions (e.g. HS2022,HS2017)",
                            file=str(path), row=1, field=header[0] if header else "")
        pairs = []
        for n, row in enumerate(reader, start=2):
            for k in (0, 1):
                if k >= len(row) or not re.fullmatch(r"\d{4,6}", row[k].strip()):
                    raise DataError(f"not an HS code: {row[k] if k < len(row) else ''!r}", file=str(path), row=n,
                                    field=header[k])
            pairs.append((row[0].strip(), row[1].strip()))
    return Concordance(_revision(header[0]), _revision(header[1]), tuple(pairs))


@dataclass(frozen=True)
class CodeList:
    name: str
    version: str
    codes: tuple[str, ...]  # HS6 (or any level) as zero-padded text
    tiers: dict[str, str]
    hs2017: dict[str, str]  # code -> its HS2017 equivalent where the list gives one

    revision: str = "HS2022"

    def concordance(self) -> Concordance:
        """HS2022 -> HS2017 for this list's codes, from the list's own equivalents."""
        return Concordance("HS2022", "HS2017", tuple(sorted(self.hs2017.items())))

    def in_revision(self, revision: str, concordance: Concordance | None = None) -> CodeList:
        """The list in another HS revision, for data classified in it (BACI HS17, Comtrade H5). Without a
        concordance, the list's own HS2017 equivalents are used (HS2022 <-> HS2017). HS2022 codes that split an
        HS2017 code map to the whole HS2017 parent, which over-counts (the parent also holds goods not listed)."""
        wanted = _revision(revision)
        if wanted in ("HS6", _revision(self.revision)):
            return self
        table = concordance or self.concordance()
        if (table.source, table.target) == (wanted, _revision(self.revision)):
            table = table.reverse()
        if (table.source, table.target) != (_revision(self.revision), wanted):
            raise DataError(f"no concordance from {self.revision} to {revision!r} for {self.name} (have "
                            f"{table.source} -> {table.target}; give a correlation table)")
        mapped: dict[str, str] = {}
        for code in self.codes:
            for other in table.map(code):
                mapped.setdefault(other, self.tiers.get(code, ""))
        return CodeList(self.name, f"{self.version} in {wanted}", tuple(mapped), mapped, {}, wanted)

    def sql_filter(self, column: str = "product") -> str:
        """:meth:`matches` as SQL: each code a range (``'854231' <= product < '854232'``), plus the chapters and
        headings that hold listed codes. An OR of ranges is not pushed into a Parquet scan: for big tables, select
        the codes the data holds with it and filter with an IN list (as the circumvention scan does)."""
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


def load_code_list(path: Path, revision: str = "HS2022") -> CodeList:
    """A user list: one code per line (or the first column of a CSV); '#' starts a comment. ``revision`` is the
    HS revision its codes are in (see :meth:`CodeList.in_revision`)."""
    codes = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].split(",")[0].strip()
        if not text or text.lower() in ("code", "hs6", "cn8"):
            continue
        if not re.fullmatch(r"\d{2,10}", text):
            raise DataError(f"not a product code: {text!r}", file=str(path), row=n, field="code")
        codes.append(text)
    return CodeList(path.stem, "user", tuple(codes), {}, {}, _revision(revision))
