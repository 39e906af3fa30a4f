"""Cross-script readings: the Latin spellings a name written in another script is likely to have on a list.

A list gives "Kim Jong Un", "Yamada Taro", "Dmitry Medvedev"; a customer file gives 김정은, 山田太郎, Дмитрий Медведев.
One fixed transliteration (anyascii's) reads 山田太郎 as Chinese ("shan tian tai lang") and 김정은 as "gimjeongeun",
so each script gets the spellings people actually use:

* Japanese (kana, or kanji with a Japanese reading): morphemes and readings from SudachiPy's dictionary
  (Apache-2.0), katakana to Hepburn romaji, long vowels written out or dropped (Tarou / Taro);
* Korean names in Han characters (hanja): each character's Korean reading from Unihan's kHangul field, then as
  Hangul;
* Korean Hangul: syllables decomposed into letters, each letter with its spellings in Revised Romanization and
  McCune-Reischauer as commonly written without diacritics (정: jeong, jong, jung, chung), and surnames with the
  spellings in common use that neither system gives (Park, Lee, Roh, Lim);
* Cyrillic and Greek: the letters whose English spellings vary (Дмитрий: Dmitry, Dmitriy; кс: ks, x; Greek
  -os endings dropped);
* Arabic, Hebrew and Thai write few or no vowels, so no spelling can be guessed reliably: they are compared by
  consonant skeleton instead (محمد and Mohamed are both m-h-m-d), see :func:`consonant_skeleton`.

Spellings are enumerated best first (each letter's options are ordered by common use) and capped, so a long name
costs a bounded number of lookups.
"""

from __future__ import annotations

import heapq
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple

from anyascii import anyascii

from pinchpoint.screening.normalize import LEGAL_FORMS, SCRIPT_LEGAL_FORMS

MAX_READINGS = 24

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
# Scripts compared by consonant skeleton: abjads (Hebrew, Arabic) and the abugidas whose vowels a transliteration
# gets wrong as often as right (Thai, Lao, Khmer, Burmese): ប៉ុល ពត is "bol pt" letter by letter, Pol Pot in use.
_ABJAD = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u0e00-\u0eff"
                    r"\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff]")
_ARMENIAN = re.compile(r"[\u0530-\u058f]")
_GEORGIAN = re.compile(r"[\u10a0-\u10ff\u1c90-\u1cbf]")
_HEBREW = re.compile(r"[\u0590-\u05ff\ufb1d-\ufb4f]")


def ranked_spellings(slots: Sequence[Sequence[str]], cap: int = MAX_READINGS) -> list[str]:
    """Strings made of one option per slot, most common first (lowest sum of option ranks), at most ``cap``."""
    if not slots:
        return []
    start = (0,) * len(slots)
    heap = [(0, start)]
    seen = {start}
    out: list[str] = []
    found: set[str] = set()
    while heap and len(out) < cap:
        rank, pick = heapq.heappop(heap)
        text = "".join(slot[k] for slot, k in zip(slots, pick, strict=True))
        if text not in found:
            found.add(text)
            out.append(text)
        for i, k in enumerate(pick):
            if k + 1 < len(slots[i]):
                nxt = (*pick[:i], k + 1, *pick[i + 1:])
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (rank + 1, nxt))
    return out


# --- Korean -----------------------------------------------------------------------------------------------------
# Initial consonants, vowels and final consonants of a Hangul syllable (Unicode order), each with its spellings:
# Revised Romanization first, then McCune-Reischauer without diacritics and the forms common in passports.
_INITIALS = (["g", "k"], ["kk", "gg"], ["n"], ["d", "t"], ["tt", "dd"], ["r", "l"], ["m"], ["b", "p"], ["pp", "bb"],
             ["s"], ["ss", "s"], [""], ["j", "ch"], ["jj", "tch"], ["ch"], ["k"], ["t"], ["p"], ["h"])
_VOWELS = (["a"], ["ae"], ["ya"], ["yae"], ["eo", "o", "u"], ["e"], ["yeo", "yo", "yu"], ["ye"], ["o"], ["wa"],
           ["wae"], ["oe", "oi"], ["yo"], ["u", "oo"], ["wo"], ["we"], ["wi"], ["yu", "yoo"], ["eu", "u"],
           ["ui", "eui"], ["i"])
_FINALS = ([""], ["k", "g"], ["k"], ["k"], ["n"], ["n"], ["n"], ["t"], ["l"], ["k"], ["m"], ["l"], ["l"], ["l"],
           ["p"], ["l"], ["m"], ["p", "b"], ["p"], ["t"], ["t"], ["ng"], ["t"], ["t"], ["k"], ["t"], ["p"], ["t"])
# Surnames whose usual spelling no system gives (Park, Lee, Roh, Lim ...), tried before the systematic ones.
_SURNAMES = {"박": ["park", "pak", "bak"], "이": ["lee", "yi", "rhee", "i"], "리": ["ri", "lee"],
             "노": ["roh", "noh", "no"], "임": ["lim", "im"], "오": ["oh", "o"], "허": ["heo", "hur", "huh"],
             "엄": ["eom", "um"], "최": ["choi", "choe"], "정": ["jung", "jeong", "chung", "jong"],
             "김": ["kim", "gim"], "강": ["kang", "gang"], "조": ["cho", "jo"], "윤": ["yoon", "yun"],
             "장": ["jang", "chang"], "신": ["shin", "sin"], "유": ["yoo", "yu"], "류": ["ryu", "yoo", "yu"],
             "문": ["moon", "mun"], "우": ["woo", "u"], "구": ["koo", "ku", "gu"], "주": ["joo", "ju"]}


def _syllable_spellings(ch: str, first_of_word: bool) -> list[str]:
    code = ord(ch) - 0xAC00
    initial, vowel, final = code // 588, (code % 588) // 28, code % 28
    starts = list(_INITIALS[initial])
    if first_of_word and initial in (0, 3, 7):  # word-initial g/d/b are usually written k/t/p in names
        starts.reverse()
    if initial == 9 and _VOWELS[vowel][0].startswith(("i", "y", "wi")):
        starts.append("sh")  # 신 Shin, 심 Shim
    return ranked_spellings([starts, _VOWELS[vowel], _FINALS[final]], cap=8)


@dataclass(frozen=True)
class Reading:
    """A name read from another script: one slot per word or syllable, each with its spellings most common first
    (any one may match a listed token), and whole-name spellings without spaces (for names listed joined)."""

    script: str
    slots: tuple[tuple[str, ...], ...]
    joined: tuple[str, ...]
    # every spelling is enumerated: match only exactly (Korean syllables are short and alike: byeong / myeong)
    exact: bool = False

    @classmethod
    def of(cls, script: str, slots: Sequence[Sequence[str]], cap: int = 12, exact: bool = False) -> Reading | None:
        kept = tuple(tuple(dict.fromkeys(o for o in options if o)) for options in slots)
        kept = tuple(k for k in kept if k)
        return cls(script, kept, tuple(ranked_spellings(kept, cap)), exact) if kept else None


def korean_reading(text: str) -> Reading | None:
    """Spellings of a Hangul name, syllable by syllable (김정은: kim|gim, jeong|jong|jung|chung, eun|un)."""
    words = [w for w in re.split(r"\s+", text.strip()) if w]
    if not words or not all(_HANGUL.fullmatch(c) for w in words for c in w):
        return None
    syllables: list[list[str]] = []
    for n, w in enumerate(words):
        for k, ch in enumerate(w):
            options = _syllable_spellings(ch, k == 0)
            # the family name: first (김정은, 김 정은) or, in Western order, a last word of one syllable (정은 김)
            family = (n == k == 0 and (len(words) > 1 or 2 <= len(w) <= 4)) or (n > 0 and n == len(words) - 1
                                                                                 and len(w) == 1)
            if family and ch in _SURNAMES:
                options = _SURNAMES[ch] + [o for o in options if o not in _SURNAMES[ch]]
            syllables.append(options)
    return Reading.of("hangul", [options[:6] for options in syllables], exact=True)


@cache
def _hangul_readings() -> dict[str, list[str]]:
    """Unihan's kHangul field: the Korean readings of Han characters (data/unihan_khangul.tsv, cited there)."""
    from importlib.resources import files

    table: dict[str, list[str]] = {}
    for line in files("pinchpoint.screening").joinpath("data/unihan_khangul.tsv").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            char, readings = line.split("\t")
            table[char] = readings.split()
    return table


def hanja_reading(text: str) -> Reading | None:
    """Spellings of a Korean name written in Han characters (金正恩: 김정은, kim jong un)."""
    chars = list(text.strip())  # a Korean name in hanja is written as one word (金正恩)
    table = _hangul_readings()
    if not 2 <= len(chars) <= 4 or not all(c in table for c in chars):
        return None
    syllables: list[list[str]] = []
    for k, c in enumerate(chars):
        hangul = sorted(table[c], key=lambda h: not (k == 0 and h in _SURNAMES))  # 金: the family name 김 first
        options: list[str] = []
        for h in hangul:
            spelled = _SURNAMES[h] if k == 0 and h in _SURNAMES else _syllable_spellings(h, k == 0)
            options += [o for o in spelled[:3] if o not in options]
        syllables.append(options)
    return Reading.of("hanja", [options[:6] for options in syllables], exact=True)


# --- Japanese ---------------------------------------------------------------------------------------------------
_KATAKANA = dict(zip(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヰヱヲン"
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ",
    ["a", "i", "u", "e", "o", "ka", "ki", "ku", "ke", "ko", "sa", "shi", "su", "se", "so", "ta", "chi", "tsu", "te",
     "to", "na", "ni", "nu", "ne", "no", "ha", "hi", "fu", "he", "ho", "ma", "mi", "mu", "me", "mo", "ya", "yu", "yo",
     "ra", "ri", "ru", "re", "ro", "wa", "i", "e", "o", "n", "ga", "gi", "gu", "ge", "go", "za", "ji", "zu", "ze",
     "zo", "da", "ji", "zu", "de", "do", "ba", "bi", "bu", "be", "bo", "pa", "pi", "pu", "pe", "po", "vu"],
    strict=True))
_SMALL_Y = {"ャ": "a", "ュ": "u", "ョ": "o"}
_SMALL_VOWEL = {"ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o"}


def katakana_to_hepburn(kana: str) -> str | None:
    """Hepburn romaji of a katakana (or hiragana) reading, long vowels as written (Tarou); None if not kana."""
    kana = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in unicodedata.normalize("NFKC", kana))
    out: list[str] = []
    double_next = False
    for c in kana:
        if c in _KATAKANA:
            syl = _KATAKANA[c]
            if double_next and syl[0] not in "aeioun":
                syl = ("t" if syl.startswith("ch") else syl[0]) + syl
            double_next = False
            out.append(syl)
        elif c in _SMALL_Y and out and out[-1].endswith("i") and len(out[-1]) > 1:
            stem = out[-1][:-1]
            out[-1] = (stem if stem.endswith(("sh", "ch", "j")) else stem + "y") + _SMALL_Y[c]
        elif c in _SMALL_VOWEL and out:
            stem = out[-1].rstrip("aeiou") or "w"
            out[-1] = (stem[:-1] if stem.endswith("ts") and _SMALL_VOWEL[c] != "u" else stem) + _SMALL_VOWEL[c]
        elif c == "ッ":
            double_next = True
        elif c == "ー":
            if out and out[-1][-1:] in "aeiou":
                out.append(out[-1][-1])
        elif c in "・･ ":
            out.append(" ")
        else:
            return None
    return "".join(out).strip()


def _long_vowel_spellings(romaji: str) -> list[str]:
    """Tarou as Taro (passport Hepburn), Tarou, Taroh; Yuuko as Yuko."""
    short = re.sub(r"ou|oo", "o", re.sub(r"uu", "u", romaji))
    return list(dict.fromkeys([short, romaji, re.sub(r"ou$", "oh", romaji)]))


#: What a result says when a name in Japanese script was screened without SudachiPy (the optional 'ja' extra).
JAPANESE_FALLBACK = ("Japanese readings are off: SudachiPy and its dictionary (the 'ja' extra: pip install "
                     "'pinchpoint[ja]') are not installed, so names in kanji or kana were matched only through "
                     "their character-by-character transliteration (and Korean readings of hanja), which misses "
                     "most Japanese names on the lists")


@cache
def _sudachi_dictionary() -> Any:
    try:
        from sudachipy import Dictionary

        return Dictionary(dict="core")
    except ImportError:  # the optional 'ja' extra is not installed: Japanese readings are off, and results say so
        return None


def japanese_readings_available() -> bool:
    """True when SudachiPy and its core dictionary (the 'ja' extra) are installed."""
    return _sudachi_dictionary() is not None


def japanese_fallback(queries: Sequence[str]) -> str | None:
    """:data:`JAPANESE_FALLBACK` when a query is written in kana or kanji and Japanese readings are off."""
    if any(_KANA.search(q) or _HAN.search(q) for q in queries) and not japanese_readings_available():
        return JAPANESE_FALLBACK
    return None


_THREAD = threading.local()


def _sudachi() -> Any:
    """This thread's tokenizer: a SudachiPy tokenizer refuses to be used by two threads at once (the API screens
    in a thread pool), while the dictionary they read is shared."""
    tokenizer = getattr(_THREAD, "sudachi", None)
    if tokenizer is None:
        dictionary = _sudachi_dictionary()
        if dictionary is None:
            return None
        from sudachipy import SplitMode

        tokenizer = _THREAD.sudachi = dictionary.tokenizer(mode=SplitMode.C)  # C: a name stays one unit (山田 / 太郎)
    return tokenizer


def japanese_reading(text: str) -> Reading | None:
    """Hepburn spellings of a Japanese name from its dictionary reading (山田太郎: yamada, taro|tarou|taroh)."""
    tok = _sudachi()
    if tok is None:
        return None
    slots: list[list[str]] = []
    foreign = False
    for m in tok.tokenize(unicodedata.normalize("NFKC", text)):
        surface = m.surface()
        if surface in SCRIPT_LEGAL_FORMS:  # 株式会社: a legal form, scored apart from the name
            continue
        if not (_KANA.search(surface) or _HAN.search(surface)):
            slots += [[w] for w in _words(anyascii(surface))]
            continue
        romaji = katakana_to_hepburn(m.reading_form())
        if romaji is None:  # a character the dictionary has no Japanese reading for (simplified Chinese)
            return None
        if _FOREIGN.fullmatch(surface):
            # a foreign name in katakana: its spelling is a guess (バラク is Barack), so it is matched like a
            # Latin word, with the vowels katakana adds after a final consonant left out (baraku: barak)
            foreign = True
            slots += [[w, *_epenthesis_dropped(w)] for w in romaji.split()]
            continue
        slots += [_long_vowel_spellings(w) for w in romaji.split()]
    return Reading.of("japanese", slots, cap=6, exact=not foreign)


_FOREIGN = re.compile(r"[\u30a0-\u30ff\uff66-\uff9f・･]+")


def _epenthesis_dropped(romaji: str) -> list[str]:
    """A katakana word's romaji without the vowel katakana writes after a final consonant (ku, to, do, su, ru,
    fu, mu, pu, bu, gu) and with r read as l where it could be (バラク baraku: barak; ドナルド donarudo: donald)."""
    short = re.sub(r"(?<=[^aeiou])(?:u|o)$", "", romaji) if len(romaji) > 3 else romaji
    short = re.sub(r"(?<=[kgsztdnhbpmr])u(?=[kgsztdbpmfr])", "", short)
    out = [short] if short != romaji else []
    if "r" in short:
        out.append(short.replace("r", "l"))
    return out


def _words(latin: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", latin.lower()) if w and w not in LEGAL_FORMS]


# --- Cyrillic and Greek -----------------------------------------------------------------------------------------
# Letters whose English spellings vary, most common first; the rest follow anyascii.
_CYRILLIC_OPTIONS = {"х": ["kh", "h"], "й": ["y", "i", "j"], "я": ["ya", "ia", "ja"], "ю": ["yu", "iu", "ju"],
                     "ё": ["e", "yo"], "ж": ["zh", "j"], "ц": ["ts", "tz"], "ы": ["y", "i"], "ь": [""], "ъ": [""],
                     "щ": ["shch", "sch"], "э": ["e"], "е": ["e"], "г": ["g"], "ч": ["ch"],
                     # Ukrainian letters
                     "і": ["i"], "ї": ["yi", "i"], "є": ["ye", "ie"], "ґ": ["g"]}
_CYRILLIC_VOWELS = set("аеёиоуыэюяьъ")
# Ukrainian's own spellings (the 2010 national system, as passports and lists write names)
_UKRAINIAN = {"г": ["h", "g"], "ґ": ["g"], "и": ["y", "i"], "і": ["i"], "ї": ["i", "yi"], "є": ["ie", "ye"],
              "й": ["i", "y"], "х": ["kh"], "ц": ["ts"], "ч": ["ch"], "ш": ["sh"], "щ": ["shch"], "ю": ["iu", "yu"],
              "я": ["ia", "ya"], "ж": ["zh"], "ь": [""], "'": [""], "’": [""], "е": ["e"]}


def _cyrillic_word(word: str) -> list[str]:
    slots: list[list[str]] = []
    i = 0
    while i < len(word):
        c, nxt = word[i], word[i + 1:i + 2]
        if c in "иы" and nxt == "й" and i + 2 == len(word):  # -ий / -ый endings
            slots.append(["y", "iy", "i", "ii"])
            i += 2
            continue
        if c == "к" and nxt == "с":
            slots.append(["ks", "x"])
            i += 2
            continue
        if c == "е" and (i == 0 or word[i - 1] in _CYRILLIC_VOWELS):
            slots.append(["e", "ye"])
        elif c in _CYRILLIC_OPTIONS:
            slots.append(_CYRILLIC_OPTIONS[c])
        else:
            slots.append([re.sub(r"[^a-z0-9]", "", anyascii(c).lower())])
        i += 1
    return ranked_spellings(slots, cap=6)


def cyrillic_reading(text: str) -> Reading | None:
    """English spellings of a Cyrillic name (Дмитрий: dmitry|dmitriy|dmitri; Александр: aleksandr|alexandr;
    Ukrainian г as h and и as y: Володимир Зеленський: volodymyr zelenskyy)."""
    words = [w for w in re.split(r"[^\w]+", unicodedata.normalize("NFC", text.casefold())) if w]
    if any(c in "іїєґ" for w in words for c in w) or "ськ" in text.casefold():
        return Reading.of("cyrillic", [ranked_spellings([_UKRAINIAN.get(c, [anyascii(c).lower()]) for c in w], cap=6)
                                       for w in words if w not in SCRIPT_LEGAL_FORMS], cap=8)
    words = [w for w in words if w not in SCRIPT_LEGAL_FORMS and anyascii(w) not in LEGAL_FORMS]
    return Reading.of("cyrillic", [_cyrillic_word(w) for w in words], cap=8)


def greek_reading(text: str) -> Reading | None:
    """Greek names as usually written in English: -os / -as / -is endings dropped too (Alexandros, Alexandr)."""
    words = _words(anyascii(text))
    if not any(re.search(r"[a-z]{3}(os|as|is|es)$", w) for w in words):
        return None
    return Reading.of("greek", [[w, re.sub(r"(?<=[a-z]{3})(os|as|is|es)$", "", w)] for w in words], cap=4)


def _variant_reading(script: str, text: str, rules: Sequence[tuple[str, str]]) -> Reading | None:
    """anyascii's reading of each word and the spellings ``rules`` (pattern, replacement) give it."""
    words = _words(re.sub(r"['`ʼ]", "", anyascii(unicodedata.normalize("NFC", text))))
    slots = []
    for w in words:
        options = [w]
        for pattern, replacement in rules:
            options += [re.sub(pattern, replacement, o) for o in options]
        slots.append(list(dict.fromkeys(options))[:4])
    return Reading.of(script, slots, cap=6)


def latin_readings(text: str) -> list[Reading]:
    """The readings worth screening for a name written in a non-Latin script, best first (may be empty)."""
    if text.isascii():
        return []
    found: list[Reading | None] = []
    if _HANGUL.search(text):
        found = [korean_reading(text)]
    elif _KANA.search(text):
        found = [japanese_reading(text)]
    elif _HAN.search(text):  # Chinese is read by anyascii already; a Japanese or Korean name needs its own reading
        found = [japanese_reading(text), hanja_reading(text)]
    elif _CYRILLIC.search(text):
        found = [cyrillic_reading(text)]
    elif _GREEK.search(text):
        found = [greek_reading(text)]
    elif _ARMENIAN.search(text):
        found = [_variant_reading("armenian", text, ((r"ow", "u"), (r"ov", "ov")))]
    elif _GEORGIAN.search(text):
        # the nominative -i of Georgian names written in Latin without it (პუტინი: Putin), and v as w
        found = [_variant_reading("georgian", text, ((r"(?<=[^aeiou])i$", ""), (r"v", "w")))]
    return [r for r in found if r is not None]


# --- consonant skeletons ----------------------------------------------------------------------------------------
_DIGRAPHS = (("sch", "S"), ("kh", "h"), ("ch", "h"), ("gh", "g"), ("sh", "S"), ("th", "t"), ("dh", "d"), ("ph", "f"),
             ("zh", "Z"), ("ck", "k"), ("q", "k"), ("c", "k"), ("x", "ks"))
_SKELETON_VOWELS = set("aeiouyw'`")
# Letters one abjad or abugida letter stands for alike (Arabic ب for b and p, ف for f and v, ج for j and g; Khmer
# ប for b and p), written as one in every skeleton, Latin or not: فرناندو بيريز meets Fernando Perez.
_SKELETON_CLASSES = str.maketrans({"p": "b", "v": "f", "g": "j"})


def is_abjad(text: str) -> bool:
    """Written in a script that leaves out most vowels (Arabic, Persian, Hebrew) or is read with implicit ones
    (Thai): compared by consonant skeleton."""
    return bool(_ABJAD.search(text))


@lru_cache(maxsize=200_000)  # list names repeat their words: each word's skeleton is worked out once
def skeleton_parts(word: str, *, abjad: bool = False) -> tuple[str, tuple[str, ...]]:
    """The consonant skeleton of a word (see :func:`consonant_skeleton`) and the vowel letters in each gap around
    its consonants (one more gap than consonants): what the vowel-letter check compares."""
    w = word.lower()
    final_vowel = ""
    if w.endswith("h") and len(w) > 2 and (abjad or w[-2] in "aeiou") and w[-2:] not in ("sh", "ch", "kh", "gh"):
        w = w[:-1]
        final_vowel = "a" if abjad else ""  # ة, ه, ה: some final vowel (Fatima, Shlomo)
    for a, b in _DIGRAPHS:
        w = w.replace(a, b)
    w = w.translate(_SKELETON_CLASSES)
    out: list[str] = []
    gaps: list[str] = [""]
    prev = ""
    for ch in w:
        if ch in _SKELETON_VOWELS or not ch.isalpha():
            gaps[-1] += ch if ch.isalpha() else ""
            prev = ""
            continue
        if ch != prev:
            out.append(ch)
            gaps.append("")
        prev = ch
    gaps[-1] += final_vowel
    return "".join(out), tuple(gaps)


def consonant_skeleton(word: str, *, abjad: bool = False) -> str:
    """The consonants of a Latin (or transliterated) word, vowels and w/y dropped, doubled letters written once:
    Muhammad, Mohamed and محمد all give "mhmd". Final h is dropped after a vowel (Abdullah / Abdulla), and always
    in abjad text, where word-final ة, ه and ה mostly mark a vowel."""
    return skeleton_parts(word, abjad=abjad)[0]


def vowel_letters_disagree(abjad_gaps: Sequence[str], latin_gaps: Sequence[str]) -> bool:
    """Whether the long-vowel letters an abjad does write contradict a Latin spelling with the same consonants:
    ي / ی / י (i, e, y) where the Latin has none of i, e, y (حسین is Hossein or Husayn, not Hassan); و / ו (o, u, w)
    where it has none of o, u, w; or a Latin final i, y, o or u the abjad does not write (محمد is not Mohammadi)."""
    if len(abjad_gaps) != len(latin_gaps):
        return False
    for a, latin in zip(abjad_gaps, latin_gaps, strict=True):
        if "y" in a and not any(c in latin for c in "iey"):
            return True
        if ("w" in a or "u" in a) and not any(c in latin for c in "ouw"):
            return True
    return not abjad_gaps[-1] and latin_gaps[-1][-1:] in ("i", "y", "u", "o")


class Skeleton(NamedTuple):
    """A name's consonant skeleton, word by word, with each word's vowel-letter gaps."""

    tokens: tuple[str, ...]
    gaps: tuple[tuple[str, ...], ...]


def abjad_skeletons(text: str) -> list[Skeleton]:
    """Consonant skeletons of a name in an abjad (or Thai): from its transliteration, with Hebrew vav read both
    as the consonant v and as the vowel o/u (David, Yosef)."""
    words = [w for w in re.split(r"[^a-z'`]+", anyascii(unicodedata.normalize("NFKC", text)).lower()) if w]
    variants = [words]
    if _HEBREW.search(text):
        # vav as a vowel: a vowel keeps the letters either side apart (d-v-d: d, d as in David)
        variants.append([w[0] + w[1:].replace("v", "u") if len(w) > 1 else w for w in words])
    out: list[Skeleton] = []
    for ws in variants:
        parts = [(skeleton_parts(w, abjad=True), w.startswith("l")) for w in ws]
        parts = [p for p in parts if p[0][0]]
        skeleton = Skeleton(tuple(p[0][0] for p in parts), tuple(p[0][1] for p in parts))
        # the article and Allah written apart (نصر الله, عبد الله) are one word in Latin (Nasrallah, Abdullah)
        for sk in (skeleton, _attach_article(skeleton, [p[1] for p in parts])):
            if sk.tokens and sk not in out:
                out.append(sk)
    return out


def _attach_article(skeleton: Skeleton, article: Sequence[bool]) -> Skeleton:
    tokens: list[str] = []
    gaps: list[tuple[str, ...]] = []
    for token, gap, attach in zip(skeleton.tokens, skeleton.gaps, article, strict=True):
        if tokens and attach:
            tokens[-1] += token
            gaps[-1] = (*gaps[-1][:-1], gaps[-1][-1] + gap[0], *gap[1:])
        else:
            tokens.append(token)
            gaps.append(gap)
    return Skeleton(tuple(tokens), tuple(gaps))


# --- foreign names written in Chinese characters ------------------------------------------------------------------
# A foreign name in Chinese is written syllable by syllable in characters chosen for their sound, its parts joined by
# a middle dot (贝拉克·奥巴马, Barack Obama; 埃马纽埃尔·马克龙, Emmanuel Macron). Its pinyin (bei la ke ao ba ma) is
# far from the Latin spelling, but its consonants are close once both are folded into broad classes: l and r as one
# (Chinese has no r before a vowel: la for ra), voiced and voiceless stops as one, sibilants and affricates as one,
# the vowels Chinese syllables add left out, and a syllable's final ng as n.
_TRANSCRIPTION_DOT = re.compile(r"[·‧・•]")
_PINYIN_INITIALS = (("zh", "j"), ("ch", "j"), ("sh", "s"), ("x", "s"), ("q", "j"), ("c", "s"), ("z", "s"))
_COARSE_DIGRAPHS = (("sch", "s"), ("tch", "j"), ("ch", "j"), ("sh", "s"), ("zh", "j"), ("ph", "f"), ("th", "t"),
                    ("kh", "k"), ("gh", "k"), ("ck", "k"), ("ng", "n"), ("qu", "k"), ("x", "ks"), ("q", "k"),
                    ("c", "k"))
# j (and ch, zh, pinyin q) with the dentals: Chinese and Japanese write di and ti with them (基 ji in Vladimir, 京 jing
# and チン chin in Putin)
_COARSE_CLASSES = str.maketrans({"p": "b", "v": "f", "w": "", "d": "t", "j": "t", "g": "k", "z": "s", "r": "l",
                                 "h": "", "y": ""})


def is_transcribed_han(text: str) -> bool:
    """A foreign name written by sound with a middle dot between its parts: in Chinese characters (贝拉克·奥巴马),
    or in katakana alone (ドナルド・トランプ)."""
    if not _TRANSCRIPTION_DOT.search(text) or _HANGUL.search(text):
        return False
    if _HAN.search(text):
        return not _KANA.search(text)
    return bool(_FOREIGN.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))))


def _coarse(letters: str) -> str:
    """The consonants of a romanised word folded into broad classes (see above), doubled ones written once."""
    w = letters.lower()
    for a, b in _COARSE_DIGRAPHS:
        w = w.replace(a, b)
    w = w.translate(_COARSE_CLASSES)
    out: list[str] = []
    for ch in w:
        if ch.isalpha() and ch not in "aeiou" and (not out or out[-1] != ch):
            out.append(ch)
    return "".join(out)


def coarse_skeleton(word: str) -> str:
    """A Latin word's consonants in the broad classes a foreign name written in Chinese is compared by."""
    return _coarse(word)


def transcribed_skeletons(text: str) -> list[Skeleton]:
    """The broad consonant skeleton of each part of a foreign name written in Chinese characters (贝拉克·奥巴马:
    blk bm, as Barack Obama), from the pinyin of each syllable: its initial in the Latin letters that pinyin letter
    renders (x s, q j, c s, zh j), er as l, a final ng as n."""
    parts = [p for p in _TRANSCRIPTION_DOT.split(unicodedata.normalize("NFKC", text)) if p.strip()]
    tokens: list[str] = []
    if not _HAN.search(text):  # katakana: Hepburn romaji, whose vowels the broad classes leave out anyway
        keys = [_coarse(romaji) for p in parts if (romaji := katakana_to_hepburn(p.strip()))]
        keys = [k for k in keys if k]
        return [Skeleton(tuple(keys), tuple(("",) * (len(k) + 1) for k in keys))] if keys else []
    for part in parts:
        syllables = re.findall(r"[A-Z][a-z]*", anyascii(part))
        spelled = ""
        for syllable in (s.lower() for s in syllables):
            if syllable == "er":  # 尔: a final r or l (Vladimir: fu la ji mi er)
                spelled += "l"
                continue
            for a, b in _PINYIN_INITIALS:
                if syllable.startswith(a):
                    syllable = b + syllable[len(a):]
                    break
            spelled += re.sub(r"ng$", "n", syllable)
        if key := _coarse(spelled):
            tokens.append(key)
    return [Skeleton(tuple(tokens), tuple(("",) * (len(t) + 1) for t in tokens))] if tokens else []
