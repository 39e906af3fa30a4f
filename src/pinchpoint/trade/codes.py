"""Code lists as data: the Common High Priority List (CHPL) by version, HS revision concordances (HS2022 <-> HS2017
from the CHPL's own equivalents, or a correlation table from a file), CN8 -> HS6 by prefix, and user lists of
codes from a file. CN8 codes match their HS6 code by prefix (CodeList.matches)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
    descriptions: dict[str, str] = field(default_factory=dict)  # code -> the list's own description

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
        described = {o: self.descriptions[c] for c in self.codes if c in self.descriptions for o in table.map(c)}
        return CodeList(self.name, f"{self.version} in {wanted}", tuple(mapped), mapped, {}, wanted, described)

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
    descriptions: dict[str, str] = {}
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
            if (row.get("description_short") or "").strip():
                descriptions[code] = row["description_short"].strip()
    return CodeList("CHPL", version, tuple(codes), tiers, hs2017, descriptions=descriptions)


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


_LEVEL_NAMES = {2: "HS2 chapter", 4: "HS4 heading", 6: "HS6 subheading", 8: "CN8"}


def level_name(digits: int) -> str:
    return _LEVEL_NAMES.get(digits, f"{digits}-digit")


@dataclass(frozen=True)
class CodeLevels:
    """Which of a source's product codes a total over some requested codes adds up, one level per branch.

    Sources such as the Comext spreadsheets hold a heading (HS4) beside the CN8 lines under it; adding both would
    count the heading's trade twice. Under each requested code the total takes the coarsest codes the source holds
    (a held code under another held code is never added: it is part of it), so every flow counts once.
    """

    requested: tuple[str, ...]
    products: tuple[str, ...]  # the held codes a total adds up
    levels: dict[str, dict[int, int]]  # requested code -> {digits: how many held codes of that length are added}
    left_out: dict[str, int]  # requested code -> held codes under it not added (inside a coarser held code)
    coarser_only: dict[str, str]  # requested code -> the coarser held code holding it (not added: it holds more)
    missing: tuple[str, ...]  # requested codes with no held code at or under them
    nested: dict[str, str]  # requested code -> the requested code it lies under (counted once, with that one)

    def summary(self) -> str:
        """One sentence on the levels used, for long lists of codes."""
        counts: dict[int, int] = {}
        for per_code in self.levels.values():
            for digits, n in per_code.items():
                counts[digits] = counts.get(digits, 0) + n
        used = " and ".join(f"{n} {level_name(d)} code(s)" for d, n in sorted(counts.items())) or "no code"
        parts = [f"{len(self.levels)} of {len(self.requested)} listed codes are summed from {used} (coarsest held "
                 f"level per branch; finer codes inside them not added again)"]
        if self.coarser_only:
            parts.append(f"{len(self.coarser_only)} are held only inside coarser headings that also hold other goods, "
                         f"not counted: {', '.join(sorted(self.coarser_only))}")
        partial = [c for c in self.levels if c not in self.products]
        if partial:
            parts.append(f"{len(partial)} are summed from the finer codes held under them, which may not be all of "
                         "them")
        if self.missing:
            parts.append(f"{len(self.missing)} have no rows: {', '.join(self.missing)}")
        return "; ".join(parts)

    def describe(self) -> list[str]:
        """Plain sentences on the levels used, for a result's caveats."""
        if len(self.requested) > 5:
            return [self.summary()]
        out = []
        for code, counts in self.levels.items():
            used = " and ".join(f"{n} {level_name(d)} code{'s' if n > 1 else ''}" for d, n in sorted(counts.items()))
            note = (f"; {self.left_out[code]} finer code(s) under them are not added again (already inside)"
                    if self.left_out.get(code) else "")
            partial = ("" if code in self.products or code == "TOTAL" else
                       f" (the source holds no {code} row itself: the total is of the codes it holds under it, "
                       "which may not be all of it)")
            out.append(f"code {code}: the total adds {used}{note}{partial}")
        for code, head in self.coarser_only.items():
            out.append(f"code {code}: the source holds it only inside {head} ({level_name(len(head))}, which also "
                       "holds other goods): not counted")
        for code, outer in self.nested.items():
            out.append(f"code {code} lies under {outer}: counted once, with {outer}")
        return out


def resolve_levels(requested: Sequence[str], held: Iterable[str]) -> CodeLevels:
    """The held product codes a total over ``requested`` adds up: under each requested code, the held codes that
    no other held code under it contains (see :class:`CodeLevels`). ``TOTAL`` is the whole of trade."""
    held_set = set(held)
    by_length = sorted(held_set - {"TOTAL"}, key=len)
    products: list[str] = []
    levels: dict[str, dict[int, int]] = {}
    left_out: dict[str, int] = {}
    coarser_only: dict[str, str] = {}
    missing: list[str] = []
    nested: dict[str, str] = {}
    kept: list[str] = []
    for code in sorted(dict.fromkeys(requested), key=lambda c: (len(c), c)):
        outer = next((k for k in kept if code.startswith(k) and code != k), None)
        if outer is not None:
            nested[code] = outer
            continue
        kept.append(code)
        if code == "TOTAL":
            if "TOTAL" in held_set:
                products.append("TOTAL")
                levels[code] = {0: 1}
            else:
                missing.append(code)
            continue
        under = [p for p in by_length if p.startswith(code)]
        if not under:
            heads = [p for p in by_length if code.startswith(p)]
            if heads:
                coarser_only[code] = heads[-1]
            else:
                missing.append(code)
            continue
        top: list[str] = []
        for p in under:  # shortest first: a code is added unless a shorter held code contains it
            if not any(p.startswith(t) for t in top):
                top.append(p)
        products.extend(top)
        counts: dict[int, int] = {}
        for p in top:
            counts[len(p)] = counts.get(len(p), 0) + 1
        levels[code] = counts
        if len(under) > len(top):
            left_out[code] = len(under) - len(top)
    return CodeLevels(tuple(requested), tuple(products), levels, left_out, coarser_only, tuple(missing), nested)


def cover(held: Iterable[str]) -> tuple[str, ...]:
    """The held codes a total over everything adds up: ``TOTAL`` where the source holds it, else every code that no
    other held code contains (a heading, not also the CN8 lines under it)."""
    held_set = set(held)
    if "TOTAL" in held_set:
        return ("TOTAL",)
    top: list[str] = []
    for p in sorted(held_set, key=len):
        if not any(p.startswith(t) for t in top):
            top.append(p)
    return tuple(sorted(top))
