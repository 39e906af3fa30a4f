"""One version label, two contents: a reload under the same label says so loudly, and screening results cite the
content hash beside the label (trial 12, F7: a changed FollowTheMoney file "loaded (against 2026-04-29)" as
2026-04-29 again with no warning, and ``POST /screen`` meta cited only the label)."""

from __future__ import annotations

from pathlib import Path

from pinchpoint.screening.loaders import load_list
from pinchpoint.session import Session
from tests.conftest import SHARED

FTM = SHARED / "screening" / "lists" / "yente_zala_entities.ftm.json"


def test_same_label_other_content_warns_and_results_cite_the_digest(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    [first] = session.screening.load([FTM])
    assert first.change is not None and first.screening_list is not None
    label, before = first.screening_list.version, first.change.digest
    lines = FTM.read_text(encoding="utf-8").splitlines(keepends=True)
    # drop one entity whose removal keeps the file's own date (the version label)
    for k in range(len(lines) - 1, -1, -1):
        trimmed = tmp_path / f"trim{k}" / FTM.name
        trimmed.parent.mkdir()
        trimmed.write_text("".join(lines[:k] + lines[k + 1:]), encoding="utf-8")
        if load_list(trimmed).version == label:
            break
    [second] = session.screening.load([trimmed])
    assert second.change is not None and second.change.stored
    after = second.change.digest
    assert second.screening_list is not None and second.screening_list.version == label and after != before
    [warning] = second.change.warnings()
    assert repr(label) in warning and before in warning and after in warning
    changes = session.screening.changes([second])
    assert warning in changes.caveats

    name = first.screening_list.entities[0].names[0].text
    result = session.screening.screen([name])
    list_name = first.screening_list.list_name
    assert result.meta["lists"][list_name] == label
    assert result.meta["list_digests"][list_name] == after
