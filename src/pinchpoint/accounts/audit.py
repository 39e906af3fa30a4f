"""The audit trail's records and their hash chain, independent of where they are stored.

Each record's ``hash`` is SHA-256 over its own fields and the previous record's hash (``prev_hash``; the first
record chains to 64 zeros), so changing, removing or moving any record breaks the chain at that point. A separate
head (the last sequence number and hash, written in the same transaction as each record) catches records cut off
the end. :func:`verify` reports the first problem in stored order; an inspector can run it on an export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError

GENESIS = "0" * 64

#: What the trail records (``action``); free-form details go in ``details``.
AUDITED = ("sign_in", "sign_in_failed", "sign_out", "screening", "screening_batch", "review", "upload",
           "list_update", "share", "unshare", "export", "role_change", "password_change", "user_created", "org_created",
           "api_key_created", "api_key_revoked", "stress_run", "access_denied")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str  # ISO 8601 UTC
    actor: str
    org: str
    action: str
    target: str
    details: str  # canonical JSON (sorted keys, no spaces)
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def details_dict(self) -> dict[str, Any]:
        value = json.loads(self.details)
        return value if isinstance(value, dict) else {"value": value}


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(seq: int, at: str, actor: str, org: str, action: str, target: str, details: str,
                prev_hash: str) -> str:
    body = json.dumps([seq, at, actor, org, action, target, details, prev_hash], ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def make_record(seq: int, at: str, actor: str, org: str, action: str, target: str, details: dict[str, Any],
                prev_hash: str) -> AuditRecord:
    text = canonical(details)
    return AuditRecord(seq, at, actor, org, action, target, text, prev_hash,
                       record_hash(seq, at, actor, org, action, target, text, prev_hash))


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: ``ok``, how many records it checked, and the first problem if any."""

    ok: bool
    checked: int
    problem: str = ""  # "", "altered", "missing", "reordered", "truncated"
    seq: int | None = None  # the first record concerned
    message: str = ""
    head_hash: str = ""  # the last record's hash when intact: write it down to compare with later (--against)
    against: str = ""  # what an earlier export's head was compared with, when one was

    def __str__(self) -> str:
        if self.ok:
            head = f"; head: record {self.checked}, hash {self.head_hash}" if self.head_hash else ""
            return f"audit trail intact: {self.checked:,} records, each chained to the one before{head}" + \
                (f"; {self.against}" if self.against else "")
        return f"audit trail broken at record {self.seq}: {self.message}"


def verify(records: Sequence[AuditRecord], head: tuple[int, str] | None = None) -> Verification:
    """Check records in stored order; ``head`` is (last seq, last hash) as the store's head row says."""
    present = {r.seq for r in records}
    prev_hash, expected, checked = GENESIS, 1, 0
    for record in records:
        recomputed = record_hash(record.seq, record.at, record.actor, record.org, record.action, record.target,
                                 record.details, record.prev_hash)
        if recomputed != record.hash:
            return Verification(False, checked, "altered", record.seq,
                                "its content does not match its hash (edited after it was written)")
        if record.seq != expected:
            if expected in present:
                return Verification(False, checked, "reordered", expected,
                                    f"record {expected} is stored after record {record.seq} (records moved)")
            if record.seq > expected:
                gap = str(expected) if record.seq == expected + 1 else f"{expected}-{record.seq - 1}"
                return Verification(False, checked, "missing", expected, f"record(s) {gap} missing before "
                                    f"record {record.seq}")
            return Verification(False, checked, "reordered", record.seq,
                                f"record {record.seq} appears again after record {expected - 1}")
        if record.prev_hash != prev_hash:
            return Verification(False, checked, "altered", record.seq - 1,
                                f"record {record.seq} was chained to a different record {record.seq - 1} "
                                "(replaced or edited and re-hashed)")
        prev_hash, expected, checked = record.hash, record.seq + 1, checked + 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq > expected - 1:
            gap = str(expected) if head_seq == expected else f"{expected}-{head_seq}"
            return Verification(False, checked, "truncated", expected,
                                f"record(s) {gap} missing at the end (the head says {head_seq} records)")
        if head_seq == expected - 1 and head_hash != prev_hash:
            return Verification(False, checked, "altered", head_seq,
                                "the last record does not match the head hash")
    return Verification(True, checked, head_hash=prev_hash if checked else "")


def verify_against(records: Sequence[AuditRecord], head: tuple[int, str] | None,
                   earlier: tuple[int, str]) -> Verification:
    """:func:`verify`, and the trail must still hold an earlier export's head (``earlier``: its last seq and
    hash) as it was: the chain makes every record up to it the same too. Records deleted from the end with the
    head row moved back pass :func:`verify` (nothing in the store remembers them), but not this."""
    result = verify(records, head)
    if not result.ok:
        return result
    seq, digest = earlier
    found = next((r for r in records if r.seq == seq), None)
    if found is None:
        return Verification(False, result.checked, "truncated", result.checked + 1,
                            f"the earlier export ends at record {seq}, but the trail now ends at record "
                            f"{result.checked}: record(s) {result.checked + 1}-{seq} were removed since")
    if found.hash != digest:
        return Verification(False, result.checked, "altered", seq,
                            f"it differs from the earlier export's record {seq} (the trail was rewritten since)")
    return Verification(True, result.checked, head_hash=result.head_hash,
                        against=f"holds the earlier export's last record {seq} unchanged")


def export_head(records: Sequence[AuditRecord], head: tuple[int, str] | None, source: str = "") -> tuple[int, str]:
    """An export's head: its head line, else its last record (an error naming the file if it holds neither)."""
    if head is not None:
        return head
    if not records:
        raise DataError("the export holds no records to compare with", file=source or None, field="head")
    return records[-1].seq, records[-1].hash


def write_jsonl(records: Iterable[AuditRecord], path: Path, head: tuple[int, str] | None = None) -> int:
    """Write records (and the head as a last line ``{"head": {...}}``) as JSON lines; return the count."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")
            n += 1
        if head is not None:
            out.write(json.dumps({"head": {"seq": head[0], "hash": head[1]}}) + "\n")
    return n


def read_jsonl(path: Path) -> tuple[list[AuditRecord], tuple[int, str] | None]:
    """Records and head of an export, errors naming the line and field."""
    records: list[AuditRecord] = []
    head: tuple[int, str] | None = None
    fields = list(AuditRecord.__dataclass_fields__)
    with open(path, encoding="utf-8") as source:
        for line_no, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"not JSON ({exc.msg})", file=str(path), row=line_no) from None
            if not isinstance(obj, dict):
                raise DataError("not a JSON object", file=str(path), row=line_no)
            if "head" in obj:
                h = obj["head"]
                if not isinstance(h, dict) or not isinstance(h.get("seq"), int) or not isinstance(h.get("hash"), str):
                    raise DataError("head needs an integer seq and a hash", file=str(path), row=line_no,
                                    field="head")
                head = (h["seq"], h["hash"])
                continue
            for name in fields:
                if name not in obj:
                    raise DataError("missing", file=str(path), row=line_no, field=name)
                want = int if name == "seq" else str
                if not isinstance(obj[name], want):
                    raise DataError(f"must be {want.__name__}", file=str(path), row=line_no, field=name)
            records.append(AuditRecord(**{name: obj[name] for name in fields}))
    return records, head
