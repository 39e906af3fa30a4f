"""Cross-script screening: readings of Japanese, Korean, Cyrillic and Greek names, consonant skeletons of Arabic,
Hebrew and Thai, on Watchman's cross-script pairs and the real lists."""

from __future__ import annotations

import pytest

from pinchpoint.screening.matcher import READING_FACTOR, Screener
from pinchpoint.screening.scripts import (
    abjad_skeletons,
    consonant_skeleton,
    cyrillic_reading,
    hanja_reading,
    japanese_reading,
    katakana_to_hepburn,
    korean_reading,
    latin_readings,
    ranked_spellings,
    skeleton_parts,
    vowel_letters_disagree,
)
from tests.screening.conftest import BENCH, LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")


def watchman_pairs() -> list[tuple[str, str, float, str]]:
    rows = []
    for line in (BENCH / "watchman_cross_script_pairs.csv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            query, expected, minimum, description = line.split(",", 3)
            rows.append((query, expected, float(minimum), description))
    return rows


def test_every_watchman_pair_reaches_its_minimum_score(screener: Screener) -> None:
    pairs = watchman_pairs()
    assert len(pairs) == 22
    low = [(q, e, round(screener.compare(q, e), 3), m) for q, e, m, _ in pairs if screener.compare(q, e) < m]
    assert low == []
    # none is certain: a reading or a skeleton is a guess, so no cross-script pair scores 1 unless the
    # transliteration is exact (Путин, Νικόλαος)
    exact = {q for q, e, _, _ in pairs if screener.compare(q, e) == 1.0}
    assert exact == {"Владимир Путин", "Иван Иванов", "Νικόλαος"}


def test_ranked_spellings_come_most_common_first_and_capped() -> None:
    slots = [["kim", "gim"], ["jeong", "jong"], ["eun", "un"]]
    spellings = ranked_spellings(slots, cap=5)
    assert spellings[0] == "kimjeongeun" and len(spellings) == 5 and len(set(spellings)) == 5
    assert set(ranked_spellings(slots, cap=100)) == {a + b + c for a in slots[0] for b in slots[1] for c in slots[2]}


def test_korean_names_in_hangul_and_hanja() -> None:
    reading = korean_reading("김정은")
    assert reading is not None and reading.script == "hangul"
    assert "kim" in reading.slots[0] and "jong" in reading.slots[1] and "un" in reading.slots[2]
    park = korean_reading("박지성")
    assert park is not None and park.slots[0][0] == "park" and "sung" in park.slots[2]
    lee = korean_reading("이민호")
    assert lee is not None and [slot[0] for slot in lee.slots] == ["lee", "min", "ho"]
    western = korean_reading("민호 이")  # given name first, family name last
    assert western is not None and western.slots[-1][0] == "lee"
    hanja = hanja_reading("金正恩")  # Unihan kHangul: 金 김/금, 正 정, 恩 은
    assert hanja is not None and hanja.slots[0][0] == "kim" and "jong" in hanja.slots[1]
    assert korean_reading("Kim") is None and hanja_reading("金") is None


def test_katakana_to_hepburn() -> None:
    assert katakana_to_hepburn("ヤマダタロウ") == "yamadatarou"
    assert katakana_to_hepburn("キョウト") == "kyouto"
    assert katakana_to_hepburn("シャチョウ") == "shachou"
    assert katakana_to_hepburn("マッチャ") == "matcha"
    assert katakana_to_hepburn("ティッシュ") == "tisshu"
    assert katakana_to_hepburn("ファイル") == "fairu"
    assert katakana_to_hepburn("コーヒー") == "koohii"
    assert katakana_to_hepburn("さとう") == "satou"  # hiragana too
    assert katakana_to_hepburn("山田") is None


def test_japanese_readings_from_the_dictionary() -> None:
    reading = japanese_reading("山田太郎")
    assert reading is not None and reading.slots == (("yamada",), ("taro", "tarou", "taroh"))
    company = japanese_reading("株式会社東芝")  # the legal form is scored apart, not read as a name
    assert company is not None and all("kabushiki" not in s for slot in company.slots for s in slot)
    assert japanese_reading("习近平") is None  # simplified Chinese: no Japanese reading, anyascii's pinyin serves
    assert [r.script for r in latin_readings("金正恩")] == ["japanese", "hanja"]
    assert latin_readings("Yamada Taro") == [] and latin_readings("Société Générale") == []


def test_cyrillic_spellings() -> None:
    reading = cyrillic_reading("Дмитрий Медведев")
    assert reading is not None and reading.slots[0][:2] == ("dmitry", "dmitriy") and reading.slots[1] == ("medvedev",)
    alexander = cyrillic_reading("Александр")
    assert alexander is not None and set(alexander.slots[0]) == {"aleksandr", "alexandr"}
    company = cyrillic_reading("ООО Ромашка")
    assert company is not None and company.slots == (("romashka",),)


def skeleton_tokens(text: str) -> list[tuple[str, ...]]:
    return [s.tokens for s in abjad_skeletons(text)]


def test_consonant_skeletons() -> None:
    assert {consonant_skeleton(w) for w in ("Muhammad", "Mohamed", "Mohammed", "Mahmoud")} == {"mhmd"}
    assert skeleton_tokens("محمد علي") == [("mhmd", "l")]  # علي is not the article: not attached
    assert consonant_skeleton("Abdullah") == "bdl" and ("bdl",) in skeleton_tokens("عبد الله")
    assert ("hsn", "nsrl") in skeleton_tokens("حسن نصر الله")  # Hassan Nasrallah
    assert skeleton_tokens("משה") == [("mS",)] and consonant_skeleton("Moshe") == "mS"
    # vav as v and as a vowel; v and f are one letter in skeletons (Arabic ف stands for both)
    assert ("dfd",) in skeleton_tokens("דוד") and ("sf",) in skeleton_tokens("יוסף")
    assert consonant_skeleton("David") == "dfd" and consonant_skeleton("Perez") == consonant_skeleton("Berez")
    assert (consonant_skeleton("Somchai"),) == skeleton_tokens("สมชาย")[0]


def test_vowel_letters_the_abjad_writes_must_agree() -> None:
    hossein, mohammadi = abjad_skeletons("حسین محمدی")[0].gaps  # h-s-y-n, m-h-m-d-y
    assert not vowel_letters_disagree(hossein, skeleton_parts("hossein")[1])
    assert not vowel_letters_disagree(hossein, skeleton_parts("husayn")[1])
    assert vowel_letters_disagree(hossein, skeleton_parts("hassan")[1])
    assert not vowel_letters_disagree(mohammadi, skeleton_parts("mohammadi")[1])
    assert vowel_letters_disagree(mohammadi, skeleton_parts("mohamed")[1])
    muhammad = abjad_skeletons("محمد")[0].gaps[0]
    assert vowel_letters_disagree(muhammad, skeleton_parts("mohammadi")[1])  # a final i محمد does not write
    assert not vowel_letters_disagree(muhammad, skeleton_parts("muhammad")[1])


@pytest.mark.parametrize(("query", "listed", "how"), [
    ("김정은", "KIM, Jong Un", "hangul"),
    ("金正恩", "KIM, Jong Un", "hanja"),
    ("최룡해", "CHOE, Ryong Hae", "hangul"),
    ("Евгений Пригожин", "PRIGOZHIN, Evgeny", "cyrillic"),
    ("أسامة بن لادن", "BIN LADIN, Usama", "skeleton"),
    ("حسن نصر الله", "NASRALLAH, Hasan", "skeleton"),
    ("محمود أحمدي نجاد", "AHMADI-NEJAD, Mahmud", "skeleton"),
    ("יחיא סינואר", "SINWAR, Yahya", "skeleton"),
])
def test_names_in_other_scripts_find_their_latin_listing(screener: Screener, query: str, listed: str,
                                                         how: str) -> None:
    matches = screener.screen(query)
    assert matches and matches[0]["matched_name"] == listed and matches[0]["list"] == "OFAC SDN"
    why = matches[0]["explanation"]
    if how == "skeleton":
        assert why["method"].startswith("consonant skeleton") and why["query_skeleton"]
        assert matches[0]["score"] < 1.0
    else:
        assert why["reading"]["script"] == how and matches[0]["score"] == pytest.approx(READING_FACTOR)
        assert any(f"read from {how}" in p for p in why["penalties"])


def test_skeletons_do_not_run_words_together(screener: Screener) -> None:
    # صدام حسين is s-d-m h-s-n; Asadi Mohsen is s-d m-h-s-n: the same consonants in other words
    found = {m["matched_name"] for m in screener.screen("صدام حسين")}
    assert "HUSAYN, Saddam" in found and "ASADI, Mohsen" not in found


def test_vowel_letters_keep_other_names_apart(screener: Screener) -> None:
    # Hossein Mohammadi has the consonants of "HASSAN, Mohamed" but writes the vowels ی of neither
    query = "حسین محمدی"
    assert screener.compare(query, "HASSAN, Mohamed") < 0.8 <= screener.compare(query, "Hossein Mohammadi")
    assert all(m["matched_name"] != "HASSAN, Mohamed" for m in screener.screen(query))


def test_cross_script_readings_do_not_alert_on_unrelated_names(screener: Screener) -> None:
    # Japanese and Korean names of people on no list, in their own scripts
    for query in ("田中花子", "佐藤健", "鈴木一郎", "박지성", "이민호", "山田太郎"):
        assert screener.screen(query) == [], query


def test_vectorised_skeleton_scores_equal_the_explained_ones(screener: Screener) -> None:
    index = screener.skeleton_index()
    for query in ("محمد علي", "حسین محمدی", "عبد الرحمن", "יחיא סינואר", "สมชาย"):
        for skeleton in abjad_skeletons(query):
            cands = index.candidates(skeleton)
            assert len(cands) > 0, query
            fast = index.fast_scores(skeleton, cands)
            for i, quick in zip(cands.tolist(), fast, strict=True):
                slow, why = index.compare(skeleton, index.skeletons[i])
                if any("vowel letters" in p for p in why["penalties"]):
                    assert slow < quick  # the check only lowers a score
                else:
                    assert quick == pytest.approx(slow, abs=1e-9), (query, index.joined[i])
