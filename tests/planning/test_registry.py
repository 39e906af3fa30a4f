"""The support-measures registry: every built-in figure cites a source, files round-trip through CSV/YAML/JSON,
bad files are refused whole naming file, row and field, and a partner's file is compared without overwriting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from pinchpoint.errors import DataError
from pinchpoint.planning.registry import (
    awards_table,
    changes_since,
    compare_registries,
    data_path,
    load_registry,
    merged,
    read_awards,
    write_awards,
)


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return load_registry()


def test_every_builtin_award_and_project_cites_a_source(registry) -> None:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(data_path("awards.yaml").read_text(encoding="utf-8"))["awards"]
    assert len(registry.awards) == len(raw)  # nothing dropped on the way in
    for a in registry.awards:
        assert a.sources and all(s.url.startswith("https://") and s.title for s in a.sources), a.id
        if a.currency != "USD" and a.usd_per_unit is not None:
            assert a.rate_source and a.rate_date, a.id  # conversions cite their rates
    projects = yaml.safe_load(data_path("projects.yaml").read_text(encoding="utf-8"))["projects"]
    assert all(p["sources"] for p in projects)


def test_builtin_covers_the_named_programmes(registry) -> None:  # type: ignore[no-untyped-def]
    ids = {a.id for a in registry.awards}
    for required in ("us-chips-tsmc-arizona-2024", "us-chips-intel-2024", "us-chips-micron-2024",
                     "jp-meti-jasm-kumamoto-1-2022", "jp-meti-jasm-kumamoto-2-2024", "jp-meti-rapidus-2024",
                     "jp-meti-micron-hiroshima-2023", "jp-meti-kioxia-wd-2024", "eu-sa-esmc-dresden-2024"):
        assert required in ids


def test_usd_is_amount_times_the_cited_rate(registry) -> None:  # type: ignore[no-untyped-def]
    jasm = registry.award("jp-meti-jasm-kumamoto-1-2022")
    # Nikkei Asia printed 476 billion yen as $3.5 billion on 2022-06-17: the rate reproduces the printed figure
    assert jasm.amount_usd == pytest.approx(3.5e9, rel=1e-4)
    esmc = registry.award("eu-sa-esmc-dresden-2024")
    from pinchpoint.trade.rates import ECB_ANNUAL_USD_PER_EUR

    assert esmc.usd_per_unit == ECB_ANNUAL_USD_PER_EUR["2024"]
    table = awards_table(registry, country="JPN")
    assert {r["country"] for r in table.records()} == {"JPN"}
    assert any("cited, dated rate" in c for c in table.caveats)


@pytest.mark.parametrize("fmt", ["csv", "yaml", "json"])
def test_round_trip(registry, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    path = write_awards(registry.awards, tmp_path / f"awards.{fmt}")
    back = read_awards(path, programmes=[p.id for p in registry.programmes], projects=registry.project_ids)
    assert [a.figures() for a in back] == [a.figures() for a in registry.awards]
    assert [a.usd_per_unit for a in back] == [a.usd_per_unit for a in registry.awards]
    assert [[s.url for s in a.sources] for a in back] == [[s.url for s in a.sources] for a in registry.awards]


def _one_bad(tmp_path: Path, registry, field: str, value: object) -> DataError:  # type: ignore[no-untyped-def]
    path = write_awards(registry.awards[:3], tmp_path / "awards.csv")
    text = path.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO("\n".join(text) + "\n")))
    rows[1][field] = str(value)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_awards(path, programmes=[p.id for p in registry.programmes], projects=registry.project_ids)
    assert err.value.location.file == str(path)
    assert err.value.location.row == 3  # the second record, under the header
    return err.value


@pytest.mark.parametrize(("field", "value", "words"), [
    ("country", "XXY", "unknown country"),
    ("amount", "-5", "non-negative"),
    ("id", "us-chips-polar-2024", "repeats"),
    ("projects", "no-such-fab", "project registry does not hold"),
    ("final", "2000-01-01", "before the announcement"),
    ("programme", "us_chips_incentive", "did you mean"),
    ("stage", "approved", "unknown stage"),
])
def test_bad_input_names_file_row_and_field(tmp_path: Path, registry, field: str, value: str,  # type: ignore[no-untyped-def]
                                            words: str) -> None:
    err = _one_bad(tmp_path, registry, field, value)
    assert err.location.field == field
    assert words in str(err)


def test_changes_since_and_partner_conflicts(registry) -> None:  # type: ignore[no-untyped-def]
    since = dt.date(2025, 1, 1)
    changed = changes_since(registry, since)
    # a record's change date is its `updated` date where it has one (Intel's amended 2024 award), else its latest
    expected = {a.id for a in registry.awards if (a.updated or max(d for d in (a.announced, a.final) if d)) >= since}
    assert "us-chips-intel-2024" in expected and "us-chips-intel-equity-2025" in expected
    assert {a.id for a in changed} == expected and expected  # the January 2025 CHIPS awards at least
    from dataclasses import replace

    theirs = [replace(registry.award("us-chips-intel-2024"), amount=8.5e9, stage="preliminary"),
              registry.award("us-chips-hp-2025"),
              replace(registry.award("us-chips-hp-2025"), id="partner-new-1")]
    report = compare_registries(registry, theirs, partner="METI")
    rows = report.records()
    conflicts = {(r["award_id"], r["field"]) for r in rows if r["status"] == "conflict"}
    assert conflicts == {("us-chips-intel-2024", "amount"), ("us-chips-intel-2024", "stage")}
    assert {r["award_id"] for r in rows if r["status"] == "same"} == {"us-chips-hp-2025"}
    assert {r["award_id"] for r in rows if r["status"] == "new"} == {"partner-new-1"}
    both = merged(registry, theirs)
    assert both.award("us-chips-intel-2024").amount == 7.865e9  # ours is kept
    assert len(both.awards) == len(registry.awards) + 1
    assert registry.award("us-chips-intel-2024").amount == 7.865e9  # neither side changed


def test_country_totals_leave_out_withdrawn_and_amended_awards(registry) -> None:  # type: ignore[no-untyped-def]
    """Intel's 2024 award was amended in 2025 into a disbursed grant and an equity stake: counting the 2024 record
    too would count the same money twice (USD 7,865 million more for the United States)."""
    import re

    import yaml

    from pinchpoint.planning.registry import awards_table, data_path

    raw = yaml.safe_load(data_path("awards.yaml").read_text(encoding="utf-8"))["awards"]
    expected = sum(a["amount"] * (a.get("usd_per_unit") or (1.0 if a["currency"] == "USD" else 0.0))
                   for a in raw if a["country"] == "USA" and a["stage"] not in ("withdrawn", "amended")) / 1e6
    caveat = next(c for c in awards_table(registry, country="USA").meta["caveats"] if c.startswith("Total USA"))
    shown = float(re.search(r"USA: USD ([\d,]+) m", caveat).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert shown == round(expected)
    amended = [a for a in raw if a["stage"] == "amended"]
    assert [a["id"] for a in amended] == ["us-chips-intel-2024"]
    assert shown < round(expected + amended[0]["amount"] / 1e6)
    # the Magdeburg aid that was never paid counts for nothing
    deu = next(c for c in awards_table(registry, country="DEU").meta["caveats"] if c.startswith("Total DEU"))
    kept = sum(a["amount"] * a["usd_per_unit"] for a in raw if a["country"] == "DEU" and a["stage"] != "withdrawn"
                    and a.get("usd_per_unit")) / 1e6
    assert f"DEU: USD {kept:,.0f} m" in deu


def test_country_totals_name_the_awards_they_leave_out_and_the_preliminary_part(registry) -> None:  # type: ignore[no-untyped-def]
    """JPN's total once read 18,802 with nothing said: 6 of its 9 awards; Kioxia 2022, Micron Hiroshima 2023 and
    Rapidus 2025 (JPY 92.9 + 192 + 802.5 bn) have no cited USD rate and were dropped silently, as was Infineon
    Dresden (EUR 920 m) from DEU. Each total now says how many awards it adds, which it leaves out with their sums
    in their own currency, and how much of it is preliminary. Expected figures from awards.yaml itself."""
    raw = yaml.safe_load(data_path("awards.yaml").read_text(encoding="utf-8"))["awards"]
    table = awards_table(registry)
    caveats = table.meta["caveats"]
    totals = {t["country"]: t for t in table.meta["country_totals"]}
    for country in sorted({a["country"] for a in raw}):
        counts = [a for a in raw if a["country"] == country and a["stage"] not in ("withdrawn", "amended")]
        usd = [a for a in counts if a["currency"] == "USD" or a.get("usd_per_unit")]
        missing = [a for a in counts if a not in usd]
        value = sum(a["amount"] * (a.get("usd_per_unit") or 1.0) for a in usd) / 1e6
        prelim = [a for a in usd if a["stage"] == "preliminary"]
        t = totals[country]
        assert (t["usd_m"], t["awards_counted"], t["awards"]) == (round(value, 1), len(usd), len(counts))
        assert sorted(t["not_counted"]) == sorted(a["id"] for a in missing)
        assert t["preliminary_awards"] == len(prelim)
        text = next(c for c in caveats if c.startswith(f"Total {country}: "))
        of = f"{len(usd)} of {len(counts)} awards" if missing else f"{len(counts)} award"
        assert text.startswith(f"Total {country}: USD {value:,.0f} m from {of}")
        assert ("not counted: " in text) == bool(missing) and ("preliminary" in text) == bool(prelim)
        assert all(a["id"] in text for a in missing)
        if prelim:
            assert f"{len(prelim)} preliminary award" in text
            assert f"USD {sum(a['amount'] for a in prelim) / 1e6:,.0f} m" in text
    jpn_missing = [a for a in raw if a["country"] == "JPN" and not a.get("usd_per_unit")]
    assert sorted(a["id"] for a in jpn_missing) == ["jp-meti-kioxia-wd-2022", "jp-meti-micron-hiroshima-2023",
                                                    "jp-meti-rapidus-2025"]
    yen = sum(a["amount"] for a in jpn_missing) / 1e9
    jpn = next(c for c in caveats if c.startswith("Total JPN"))
    assert f"not counted: 3 awards JPY {yen:,.1f} bn without a USD figure" in jpn
    assert totals["JPN"]["not_counted_amounts"] == {"JPY": sum(a["amount"] for a in jpn_missing)}
    deu = next(c for c in caveats if c.startswith("Total DEU"))
    infineon = next(a for a in raw if a["id"] == "eu-sa-infineon-dresden-2025")
    assert f"not counted: 1 award EUR {infineon['amount'] / 1e6:,.0f} m without a USD figure" in deu
    # a selection holding only awards without a USD figure says there is no USD total rather than none at all
    only = awards_table(registry, country="DEU", stage="final", since=dt.date(2025, 1, 1))
    assert [r["award_id"] for r in only.rows] == ["eu-sa-infineon-dresden-2025"]
    assert any(c.startswith("Total DEU: no USD total") and "EUR 920 m" in c for c in only.meta["caveats"])


def test_an_empty_awards_table_says_which_filter_emptied_it_and_what_the_awards_hold(registry) -> None:  # type: ignore[no-untyped-def]
    """A filter that leaves nothing is named, with what the awards before it hold: for --since, the dates of their
    last change (from the built-in file itself: updated, or the later of announced and final)."""
    raw = yaml.safe_load(data_path("awards.yaml").read_text(encoding="utf-8"))["awards"]

    def changed(a: dict) -> dt.date:  # type: ignore[type-arg]
        return a.get("updated") or max(d for d in (a["announced"], a.get("final")) if d)

    table = awards_table(registry, since=dt.date(2030, 1, 1))
    assert not table.rows
    first, last = min(map(changed, raw)), max(map(changed, raw))
    assert table.meta["caveats"][-1] == (
        f"No award matches: none of the {len(raw)} awards of the registry was announced, made final or edited on or "
        f"after 2030-01-01; each was last announced, made final or edited between {first} and {last}.")
    japanese = [a for a in raw if a["country"] == "JPN"]
    table = awards_table(registry, country="JPN", since=dt.date(2030, 1, 1))
    assert (f"none of the {len(japanese)} awards left by country JPN was announced, made final or edited on or after "
            f"2030-01-01; each was last announced, made final or edited between {min(map(changed, japanese))} and "
            f"{max(map(changed, japanese))}.") in table.meta["caveats"][-1]
    # a stage filter that empties the awards of a country lists the stages they do have, with counts
    country = next(c for c in sorted({a["country"] for a in raw}) if "withdrawn" not in
                   {a["stage"] for a in raw if a["country"] == c})
    stages = sorted({a["stage"] for a in raw if a["country"] == country})
    caveat = awards_table(registry, country=country, stage="withdrawn").meta["caveats"][-1]
    assert f"left by country {country} has stage withdrawn; their stages are " in caveat
    assert all(f"{s} ({sum(a['stage'] == s for a in raw if a['country'] == country)})" in caveat for s in stages)
    assert awards_table(registry, since=dt.date(2020, 1, 1)).rows  # a filter that keeps awards adds no such caveat
    assert not any(c.startswith("No award") for c in awards_table(registry, since=dt.date(2020, 1, 1)).meta["caveats"])
