"""Delta re-screening (issue #16 item 4) on the real UN list: an update built from the file itself (an entity the
previous version lacked, one it held that the update removes, one whose names changed), stored names taken from
the same file, and the delta's alerts checked against a full re-screen of the same names."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pinchpoint.errors import BadArgumentError, NotFoundError
from pinchpoint.screening.delta import (
    StoredRow,
    entity_delta,
    make_stored,
    rescreen_since_last,
    screen_file_stored,
    snapshot,
    store_screening,
    stored_screening,
    stored_table,
)
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import EntityType, ListedEntity, Name, ScreeningList
from pinchpoint.workspace import Workspace
from tests.screening.conftest import BENCH

UN = "un_sc_consolidated_20260227.xml"


def _organisations(un: ScreeningList) -> list[ListedEntity]:
    """UN entities with a distinctive name of two or more words whose words no other UN entity uses, so each
    stored name can only find its own entity."""
    words: dict[str, int] = {}
    for e in un.entities:
        for w in {w for n in e.names for w in n.text.upper().split()}:
            words[w] = words.get(w, 0) + 1
    return [e for e in un.entities if e.type is EntityType.ORGANISATION and len(e.primary_name.split()) >= 2
            and all(words[w] == 1 for w in e.primary_name.upper().split())]


@pytest.fixture(scope="module")
def update(lists: dict[str, ScreeningList]) -> dict[str, object]:
    """Previous and current UN versions: ``added`` is absent before, ``removed`` absent now, ``changed`` had another
    (made-up) name before; ``carried`` is the same in both."""
    un = lists[UN]
    added, removed, changed, carried = _organisations(un)[:4]
    before_entities = [e for e in un.entities if e.entity_id != added.entity_id]
    before_entities = [e.model_copy(update={"names": (Name(text="QWXZ PLOVDRANKA HOLDINGS"),)})
                       if e.entity_id == changed.entity_id else e for e in before_entities]
    after_entities = [e for e in un.entities if e.entity_id != removed.entity_id]
    before = un.model_copy(update={"entities": tuple(before_entities), "version": "before"})
    after = un.model_copy(update={"entities": tuple(after_entities)})
    return {"before": before, "after": after, "added": added, "removed": removed, "changed": changed,
            "carried": carried}


def _stored(update: dict[str, object], names: list[str]) -> tuple[Screener, object]:
    old = Screener([update["before"]])  # type: ignore[list-item]
    rows = [StoredRow(k + 2, q) for k, q in enumerate(names)]
    found = {k + 2: m for k, q in enumerate(names) if (m := old.screen(q, limit=1000))}
    return old, make_stored("customers", "customers.csv", ["name"], "name", {"threshold": 0.8}, rows, found, old)


def test_new_resolved_and_carried_alerts(update: dict[str, object]) -> None:
    added, removed, changed, carried = (update[k] for k in ("added", "removed", "changed", "carried"))
    names = [added.primary_name, removed.primary_name, changed.primary_name, carried.primary_name,  # type: ignore[attr-defined]
             "Patricia Lucas Wheeler"]
    _, stored = _stored(update, names)
    before_alerts = {(a.line, a.entity_id) for a in stored.alerts}  # type: ignore[attr-defined]
    # before the update: the removed and carried entities alert; the added one is not listed, the changed one
    # had another name
    assert (3, removed.entity_id) in before_alerts and (5, carried.entity_id) in before_alerts  # type: ignore[attr-defined]
    assert not any(line in (2, 4) for line, _ in before_alerts)

    new = Screener([update["after"]])  # type: ignore[list-item]
    delta = rescreen_since_last(stored, new)  # type: ignore[arg-type]
    got = {(r["row"], r["entity_id"]): (r["change"], r["entity_change"]) for r in delta.alerts.rows}
    assert got[(2, added.entity_id)] == ("new alert", "added")  # type: ignore[attr-defined]
    assert got[(4, changed.entity_id)] == ("new alert", "changed")  # type: ignore[attr-defined]
    assert got[(3, removed.entity_id)] == ("resolved", "removed")  # type: ignore[attr-defined]
    assert (5, carried.entity_id) not in got  # an unchanged entity: carried, not reported  # type: ignore[attr-defined]
    assert delta.alerts.meta["added"] == 1 and delta.alerts.meta["removed"] == 1 and delta.alerts.meta["changed"] == 1
    kinds = {(r["entity_id"], r["change"]) for r in delta.changes.rows}
    assert kinds == {(added.entity_id, "added"), (removed.entity_id, "removed"),  # type: ignore[attr-defined]
                     (changed.entity_id, "changed")}  # type: ignore[attr-defined]
    assert delta.alerts.caveats

    # the delta's alerts afterwards are exactly those of a full re-screen of the same names
    full = {(k + 2, m["entity_id"]) for k, q in enumerate(names) for m in new.screen(q, limit=1000)}
    assert {(a.line, a.entity_id) for a in delta.stored.alerts} == full

    # and a second delta with nothing changed finds nothing
    again = rescreen_since_last(delta.stored, new)
    assert not again.alerts.rows and not again.changes.rows
    assert any("nothing changed" in c for c in again.alerts.caveats)


def test_changed_record_that_stops_matching_is_resolved(update: dict[str, object]) -> None:
    """Stored the other way round: screened against the current version, re-screened against the previous one,
    the changed entity's alert (its real name) is resolved because the record no longer carries that name."""
    changed = update["changed"]
    old = Screener([update["after"]])  # type: ignore[list-item]
    rows = [StoredRow(2, changed.primary_name)]  # type: ignore[attr-defined]
    stored = make_stored("c", "c.csv", ["name"], "name", {}, rows, {2: old.screen(changed.primary_name)}, old)  # type: ignore[attr-defined]
    assert [a.entity_id for a in stored.alerts] == [changed.entity_id]  # type: ignore[attr-defined]
    delta = rescreen_since_last(stored, Screener([update["before"]]))  # type: ignore[list-item]
    assert [(r["entity_id"], r["change"], r["entity_change"]) for r in delta.alerts.rows] == \
        [(changed.entity_id, "resolved", "changed")]  # type: ignore[attr-defined]
    assert delta.alerts.rows[0]["previous_score"] == stored.alerts[0].score


def test_restricted_screener_scores_as_the_whole_lists(screener: Screener, lists: dict[str, ScreeningList]) -> None:
    """A restricted screener weighs words over all the lists: its scores equal the full screener's."""
    un = lists[UN]
    keep = {(e.list_name, e.entity_id) for e in un.entities[:300]}
    restricted = screener.restricted(keep)
    assert len(restricted.entities) == 300
    queries = [n.text for e in un.entities[:300:15] for n in e.names[:2]] + ["Mohammad Hassan", "ALI BABA TRADING"]
    compared = 0
    for q in queries:
        full = {(m["list"], m["entity_id"]): m["score"] for m in screener.screen(q, threshold=0.7, limit=5000)
                if (m["list"], m["entity_id"]) in keep}
        sub = {(m["list"], m["entity_id"]): m["score"] for m in restricted.screen(q, threshold=0.7, limit=5000)}
        assert set(full) <= set(sub)
        for key, score in full.items():
            assert sub[key] == score, (q, key)
            compared += 1
    assert compared > 25


def test_unloaded_list_is_an_error_not_a_delisting(update: dict[str, object], lists: dict[str, ScreeningList]
                                                    ) -> None:
    _, stored = _stored(update, ["Patricia Lucas Wheeler"])
    other = Screener([lists["us_bis_dpl_2022.txt"]])
    with pytest.raises(NotFoundError, match="no longer loaded"):
        rescreen_since_last(stored, other)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        entity_delta(snapshot([update["before"]]), [lists["us_bis_dpl_2022.txt"]])  # type: ignore[list-item]


def test_stored_in_the_workspace_and_from_a_file(update: dict[str, object], tmp_path: Path) -> None:
    """A customer file screened and stored: every row kept (unscreenable ones marked), versions accumulate, an
    unknown name is an error naming the stored ones."""
    un: ScreeningList = update["after"]  # type: ignore[assignment]
    source = tmp_path / "customers.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["customer_id", "name", "country"])
        for k, e in enumerate([*un.entities[:20], update["changed"]]):
            writer.writerow([f"C{k}", e.primary_name, ""])  # type: ignore[attr-defined]
        writer.writerow(["C98", "Co., Ltd.", ""])  # nothing distinctive
        writer.writerow(["C99", "", ""])  # empty name
    screener = Screener([un])
    with pytest.raises(BadArgumentError, match="top"):
        screen_file_stored(screener, source, tmp_path / "out.csv", "customers", top=1)
    summary, stored = screen_file_stored(screener, source, tmp_path / "out.csv", "customers",
                                         country_column="country")
    assert "23 rows" in summary
    assert [r.line for r in stored.rows] == list(range(2, 25))
    assert [r.screened for r in stored.rows[-2:]] == [False, False]
    assert stored.rows[0].fields[0] == "C0"
    # every one of the 20 listed names alerts on its own entity
    assert {e.entity_id for e in un.entities[:20]} <= {a.entity_id for a in stored.alerts}
    with Workspace(tmp_path / "ws") as ws:
        first = store_screening(ws, stored)
        assert not rescreen_since_last(stored_screening(ws, "customers"), screener).alerts.rows
        delta = rescreen_since_last(stored_screening(ws, "customers"), Screener([update["before"]]))  # type: ignore[list-item]
        assert [(r["row"], r["change"]) for r in delta.alerts.rows] == [(22, "resolved")]
        second = store_screening(ws, delta.stored)
        assert first != second and stored_screening(ws, "customers").alerts == delta.stored.alerts
        table = stored_table(ws)
        assert [r["version"] for r in table.rows] == [second, first]
        assert table.rows[0]["n_rows"] == 23 and table.rows[0]["n_screened"] == 21
        with pytest.raises(NotFoundError, match="did you mean 'customers'"):
            stored_screening(ws, "customer")


def test_words_run_together_are_split_against_the_new_vocabulary(lists: dict[str, ScreeningList]) -> None:
    """A stored name that runs two words together (ACMEWIDGETS) splits only once the lists hold both words: the
    delta works the split out again for rows holding a word the vocabulary gained, and alerts as a full
    re-screen does."""
    un = lists[UN]
    entity = next(e for e in _organisations(un) if len(e.primary_name.split()) == 2
                  and all(len(w) >= 4 and w.isalpha() for w in e.primary_name.split()))
    glued = "".join(entity.primary_name.split())
    before = un.model_copy(update={"entities": tuple(e for e in un.entities if e.entity_id != entity.entity_id),
                                   "version": "before"})
    old = Screener([before])
    assert not old.screen(glued)
    stored = make_stored("c", "c.csv", ["name"], "name", {}, [StoredRow(2, glued), StoredRow(3, "Kathryn Barr")],
                         {}, old)
    assert stored.rows[0].analysis is not None and stored.rows[0].analysis["g"] is None  # no split then
    new = Screener([un])
    full = {m["entity_id"] for m in new.screen(glued, limit=1000)}
    assert entity.entity_id in full
    delta = rescreen_since_last(stored, new)
    assert {r["entity_id"] for r in delta.alerts.rows if r["row"] == 2 and r["change"] == "new alert"} == full


def test_prefilter_passes_every_name_the_restricted_screener_matches(screener: Screener,
                                                                     lists: dict[str, ScreeningList]) -> None:
    """The prefilter is sound: every query the restricted screener matches at the threshold passes it (listed
    names, their aliases in other scripts, typos, words run together, initials, names in Arabic script), and it
    leaves out most names that match nothing; split across worker processes it answers the same."""
    import random

    import numpy as np

    from pinchpoint.screening.matcher import _similarity_matrix, _Tokens
    from pinchpoint.screening.prefilter import Prefilter, analyse_row, rows_may_match

    rng = random.Random(5)
    un, ofac = lists[UN], lists["ofac_sdn_20240503.csv"]
    from pinchpoint.screening.scripts import is_abjad

    arabic = [e for e in un.entities if any(is_abjad(n.text) for n in e.names)]
    picked = rng.sample(arabic, 15) + rng.sample(list(un.entities), 10) + rng.sample(list(ofac.entities), 55)
    restricted = screener.restricted({(e.list_name, e.entity_id) for e in picked})
    queries: list[str] = [n.text for e in picked for n in e.names if is_abjad(n.text)]
    assert len(queries) >= 15
    for e in picked:
        for n in e.names[:2]:
            text = n.text
            queries.append(text)
            words = text.split()
            if len(words) >= 2:
                queries.append(" ".join(reversed(words)))
                queries.append("".join(words[:2]) + " " + " ".join(words[2:]))
                queries.append(" ".join(w[0] if k == 0 else w for k, w in enumerate(words)))
            if len(text) > 6:
                k = rng.randrange(1, len(text) - 2)
                queries.append(text[:k] + text[k + 1] + text[k] + text[k + 2:])
            if len(text) > 10:  # two typos: a letter dropped and one doubled
                k, j = sorted(rng.sample(range(1, len(text) - 1), 2))
                queries.append(text[:k] + text[k + 1:j] + text[j] + text[j:])
    with (BENCH / "yente_negatives_global.csv").open(encoding="utf-8") as fh:
        negatives = [r["full_name"] for r, _ in zip(csv.DictReader(fh), range(600), strict=False)]
    queries += negatives
    analyses = [analyse_row(screener, q) for q in queries]
    glued = [(tuple(a["g"][0]), tuple(a["g"][1])) if a["g"] else None for a in analyses]
    # each spelling is compared only with the listed tokens of lengths a similarity is possible with: the same
    # pairs as the matcher's similarity against every listed token
    prefilter = Prefilter(restricted)
    spellings = sorted({s for a in analyses for s in a["t"]} | {s for a in analyses for r in a["r"] for slot in r[0]
                                                                 for s in slot})
    rows, cols, values = prefilter.similarities(spellings)
    whole = _similarity_matrix(_Tokens.of(spellings), restricted.vocab_tokens)
    assert sorted(zip(rows.tolist(), cols.tolist(), values.tolist(), strict=True)) == \
        sorted(zip(*np.nonzero(whole), whole[np.nonzero(whole)].tolist(), strict=True))
    for threshold in (0.75, 0.6):  # 0.6: the floor a delta at the default threshold screens down to
        may = prefilter.rows(analyses, glued, threshold)
        # split across worker processes (as a delta does), the same answer row by row
        assert rows_may_match(Prefilter(restricted), analyses, glued, threshold, workers=2, chunk=64).tolist() == \
            may.tolist()
        matched = [k for k, q in enumerate(queries) if restricted.screen(q, threshold=threshold)]
        assert len(matched) > 150
        missed = [queries[k] for k in matched if not may[k]]
        assert not missed, missed[:10]
    passed_negatives = sum(bool(may[k]) for k in range(len(queries) - len(negatives), len(queries)))
    assert passed_negatives < 0.1 * len(negatives)


def test_cli_store_then_since_last(update: dict[str, object], tmp_path: Path) -> None:
    """pinchpoint screen --file ... --store NAME keeps the file; after a list update, screen --since-last reports
    the new alert (an added entity) and the resolved one (a removed entity), and a second run finds nothing."""
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app
    from pinchpoint.screening.store import store_list

    added, removed = update["added"], update["removed"]
    ws = tmp_path / "ws"
    with Workspace(ws) as opened:
        store_list(opened, update["before"])  # type: ignore[arg-type]
    source = tmp_path / "customers.csv"
    source.write_text("id,name\nC1,Patricia Lucas Wheeler\n"
                      f"C2,\"{added.primary_name}\"\nC3,\"{removed.primary_name}\"\n", encoding="utf-8")  # type: ignore[attr-defined]
    runner = CliRunner()
    result = runner.invoke(app, ["screen", "--file", str(source), "--output", str(tmp_path / "out.csv"), "--store",
                                 "customers", "--workers", "1", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    assert "stored as 'customers'" in result.stderr
    with Workspace(ws) as opened:
        store_list(opened, update["after"].model_copy(update={"version": "after"}))  # type: ignore[attr-defined]
    result = runner.invoke(app, ["screen", "--since-last", "-f", "json", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert {(r["row"], r["entity_id"], r["change"]) for r in rows} == {
        (3, added.entity_id, "new alert"), (4, removed.entity_id, "resolved")}  # type: ignore[attr-defined]
    assert "1 entities added" in result.stderr
    result = runner.invoke(app, ["screen", "--since-last", "--store", "customers", "-f", "json", "--workspace",
                                 str(ws)])
    assert result.exit_code == 0 and json.loads(result.stdout)["rows"] == []
    result = runner.invoke(app, ["screen", "--since-last", "--store", "customer", "--workspace", str(ws)])
    assert result.exit_code == 2 and "did you mean 'customers'" in result.stderr


def test_api_since_last_and_screenings(small_ws: Path, tmp_path: Path, lists: dict[str, ScreeningList]) -> None:
    """POST /screen/since-last answers as the CLI does: 404 with nothing stored; after a stored screening of UN
    names, nothing changed, so no alert rows and a caveat saying so; GET /screenings lists the stored versions."""
    import shutil

    from fastapi.testclient import TestClient

    from pinchpoint.api.app import create_app
    from pinchpoint.screening.store import read_lists

    ws = tmp_path / "ws"
    shutil.copytree(small_ws, ws)
    client = TestClient(create_app(workspace=ws), raise_server_exceptions=False)
    answer = client.post("/screen/since-last", json={})
    assert answer.status_code == 404 and "no screened file is stored" in answer.json()["message"]
    screener = Screener(read_lists(ws))
    names = [e.primary_name for e in lists[UN].entities[:5]]
    found = {k + 2: m for k, q in enumerate(names) if (m := screener.screen(q, limit=1000))}
    with Workspace(ws) as opened:
        store_screening(opened, make_stored("un-five", "un.csv", ["name"], "name", {}, [
            StoredRow(k + 2, q) for k, q in enumerate(names)], found, screener))
    answer = client.post("/screen/since-last", json={"store": "un-five"})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["rows"] == [] and any("nothing changed" in c for c in doc["meta"]["caveats"])
    assert client.post("/screen/since-last", json={"store": "un-fiv"}).status_code == 404
    listed = client.get("/screenings").json()["rows"]
    assert {r["key"] for r in listed} == {"un-five"} and listed[0]["n_rows"] == 5


def test_rows_analysed_in_worker_processes_as_in_one(lists: dict[str, ScreeningList]) -> None:
    from pinchpoint.screening.prefilter import analyse_row, analyse_rows

    un = lists[UN]
    screener = Screener([un])
    names = [n.text for e in un.entities[:20] for n in e.names[:2]] + ["ITQANCOMPANY", "محمد علي", "김정은"]
    assert analyse_rows(screener, names, workers=2, chunk=8) == [analyse_row(screener, t) for t in names]


def test_delta_equals_a_full_rescreen_when_word_weights_move(lists: dict[str, ScreeningList]) -> None:
    """An update that delists every eighth UN entity moves every word's weight (IDF), so a stored name's score
    against an entity the update left alone moves too: carried as stored, alerts a full re-screen drops stayed and
    alerts it adds were missed. The delta's alerts and scores are now those of a full re-screen."""
    un = lists[UN]
    removed = {e.entity_id for e in un.entities[::8]}
    before = un.model_copy(update={"version": "before"})
    after = un.model_copy(update={"entities": tuple(e for e in un.entities if e.entity_id not in removed)})
    # names near the threshold: listed names with a letter dropped from their longest word
    names = []
    for e in un.entities:
        for n in e.names[:3]:
            words = n.text.split()
            k = max(range(len(words)), key=lambda i: len(words[i]))
            if len(words) >= 2 and len(words[k]) >= 5:
                names += [" ".join([*words[:k], words[k][:cut] + words[k][cut + 1:], *words[k + 1:]])
                          for cut in (1, len(words[k]) // 2)]
    old = Screener([before])
    rows = [StoredRow(k + 2, q) for k, q in enumerate(names)]
    found = {k + 2: m for k, q in enumerate(names) if (m := old.screen(q, limit=1000))}
    stored = make_stored("customers", "customers.csv", ["name"], "name", {"threshold": 0.8}, rows, found, old)
    new = Screener([after])
    full = {(k + 2, m["entity_id"]): m["score"] for k, q in enumerate(names) for m in new.screen(q, limit=1000)}
    # the stored scores of alerts on entities the update kept are not all a full re-screen's
    carried = {(a.line, a.entity_id): a.score for a in stored.alerts if a.entity_id not in removed}
    assert set(carried) != set(full)
    delta = rescreen_since_last(stored, new)
    assert {(a.line, a.entity_id): a.score for a in delta.stored.alerts} == full
    assert delta.alerts.meta["rows_screened_in_full"] > 0
    # an alert on an unchanged entity the new weights resolve or raise says so
    kinds = {(r["row"], r["entity_id"]): (r["change"], r["entity_change"]) for r in delta.alerts.rows}
    for key in set(carried) ^ set(full):
        assert kinds[key] == ("resolved" if key in carried else "new alert", "unchanged")
