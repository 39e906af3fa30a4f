"""Name normalisation: Unicode compatibility and width folding, case and accents, scripts, legal forms, tokens.

Chinese and Japanese names are compared in their own script (after folding traditional and old-form characters
to one form) and, where a list gives only a romanised name, through their Unicode reading (anyascii); Cyrillic,
Greek, Arabic and other scripts are transliterated to Latin. The spellings lists actually use for Japanese,
Korean, Cyrillic and Greek names, and consonant skeletons for abjads, come from :mod:`pinchpoint.screening.scripts`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from anyascii import anyascii

# Characters that draw nothing: a zero-width space, word joiner, byte-order mark or soft hyphen inside a name
# ("Ros\u200boboronexport") is no word break, so it is dropped, not read as a space.
INVISIBLE = frozenset("\u00ad\u180e\u200b\u2060\ufeff")
# Unicode's bidirectional controls (embeddings, overrides, isolates, marks): they change how a name is displayed,
# never its letters.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_OPENERS, _CLOSERS = frozenset("\u202a\u202b\u202d\u202e\u2066\u2067\u2068"), frozenset("\u202c\u2069")
RIGHT_TO_LEFT_OVERRIDE = "\u202e"


def displayed_order(text: str) -> str | None:
    """The letters of ``text`` in the order a reader sees them when it holds a right-to-left override (U+202E), or
    None when it holds none: "\u202eABUC ED LANOICAN OCNAB" is displayed, by a spreadsheet or a browser, as "BANCO
    NACIONAL DE CUBA", which a reviewer reads while the file holds the reverse. Each run under an override (to its
    pop, U+202C/U+2069, or the end) is reversed, runs nested in it reversed with it; the bidi controls are dropped.
    Only overrides reorder letters of one direction, so this is all of the Unicode bidi algorithm a name needs."""
    if RIGHT_TO_LEFT_OVERRIDE not in text:
        return None
    # a stack of open runs (iterative: hostile input may nest thousands); the outermost never reverses
    stack: list[tuple[list[str], bool]] = [([], False)]
    for ch in text:
        if ch in _OPENERS:
            stack.append(([], ch == RIGHT_TO_LEFT_OVERRIDE))
        elif ch in _CLOSERS:
            if len(stack) > 1:  # a closer with nothing open is dropped
                out, reverse = stack.pop()
                stack[-1][0].append("".join(reversed(out)) if reverse else "".join(out))
        elif ch not in BIDI_CONTROLS:
            stack[-1][0].append(ch)
    while len(stack) > 1:  # runs left open end with the text
        out, reverse = stack.pop()
        stack[-1][0].append("".join(reversed(out)) if reverse else "".join(out))
    return "".join(stack[0][0])


# Cyrillic and Greek letters drawn as Latin ones (Unicode's confusables, UTS #39 confusables.txt, the entries that
# are one Latin letter): "Ваnk Melli" with a Cyrillic В and а is "Bank Melli" to a reader.
LOOKALIKE_LATIN = str.maketrans({
    **dict(zip("АВЕЅІЈКМНОРСТХУҮԚԜ", "ABESIJKMHOPCTXYYQW", strict=True)),
    **dict(zip("аеѕіјорсухһԁԛԝӏ", "aesijopcyxhdqwl", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
    **dict(zip("ονιρακυ", "ovipaku", strict=True)),
})


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ", 1)[0] if ch.isalpha() else ""


def fold_lookalikes(text: str) -> str:
    """``text`` with Cyrillic and Greek letters read as the Latin letters they are drawn as
    (:data:`LOOKALIKE_LATIN`), in each word that mixes them with Latin letters ("Ваnk") and in each word made only
    of such letters ("ΒΑΝΚ") when the text has Latin letters too or is made only of such letters. No name mixes
    scripts inside a word; a word with letters of its own script (Путин) is a name in that script, left to be
    transliterated."""
    words = text.split(" ")
    scripts = [{_script(ch) for ch in word} - {""} for word in words]
    drawn_latin = [bool(w) and all(not ch.isalpha() or ch.translate(LOOKALIKE_LATIN) != ch or _script(ch) == "LATIN"
                                   for ch in w) for w in words]
    has_latin = any("LATIN" in found for found in scripts)
    all_drawn = all(drawn_latin[k] or not scripts[k] for k in range(len(words)))
    for k, word in enumerate(words):
        mixed = "LATIN" in scripts[k]
        if scripts[k] & {"CYRILLIC", "GREEK"} and (mixed or (drawn_latin[k] and (has_latin or all_drawn))):
            words[k] = word.translate(LOOKALIKE_LATIN)
    return " ".join(words)


# Legal forms, compared as a separate signal (never as part of the name). Lower case, after folding; each maps to
# one canonical form, so the abbreviated and the written-out spelling (AG / Aktiengesellschaft, LLC / Limited
# Liability Company, OAO / Open Joint Stock Company, SRL / Societatea cu Raspundere Limitata) are the same form.
LEGAL_FORMS = {
    "co": "company", "company": "company", "corp": "corporation", "corporation": "corporation", "inc": "incorporated",
    "incorporated": "incorporated", "ltd": "limited", "limited": "limited", "llc": "llc", "llp": "llp",
    "plc": "plc", "gmbh": "gmbh", "ag": "ag", "sa": "sa", "s a": "sa", "sarl": "sarl", "srl": "srl", "bv": "bv",
    "nv": "nv", "oy": "oy", "ab": "ab", "as": "as", "spa": "spa", "pte": "private", "pvt": "private",
    "private": "private", "pty": "proprietary", "jsc": "jsc", "ojsc": "jsc", "pjsc": "jsc", "cjsc": "jsc",
    "ooo": "llc", "oao": "jsc", "zao": "jsc", "pao": "jsc", "ao": "jsc", "fze": "fze", "fzco": "fze", "fzc": "fze",
    "kk": "kabushiki kaisha", "kabushiki kaisha": "kabushiki kaisha", "gk": "godo kaisha", "co ltd": "limited",
    "sdn bhd": "sdn bhd", "bhd": "sdn bhd", "tbk": "tbk", "llc fz": "fze", "est": "establishment", "kg": "kg",
    "kgaa": "kgaa",
    # written out, in the languages of the lists' names
    "aktiengesellschaft": "ag", "gesellschaft mit beschrankter haftung": "gmbh", "gesmbh": "gmbh",
    "kommanditgesellschaft": "kg", "kommanditgesellschaft auf aktien": "kgaa",
    "limited liability company": "llc", "limited liability co": "llc", "limited liability partnership": "llp",
    "public limited company": "plc", "public company limited": "plc", "company limited": "limited",
    "private limited": "private", "private limited company": "private", "proprietary limited": "proprietary",
    "joint stock company": "jsc", "joint stock co": "jsc", "open joint stock company": "jsc",
    "closed joint stock company": "jsc", "public joint stock company": "jsc", "joint-stock company": "jsc",
    "obshchestvo s ogranichennoi otvetstvennostiu": "llc", "obshchestvo s ogranichennoy otvetstvennostyu": "llc",
    "aktsionernoe obshchestvo": "jsc", "otkrytoe aktsionernoe obshchestvo": "jsc",
    "zakrytoe aktsionernoe obshchestvo": "jsc", "publichnoe aktsionernoe obshchestvo": "jsc",
    "societe anonyme": "sa", "sociedad anonima": "sa", "sociedade anonima": "sa", "societa per azioni": "spa",
    "societe a responsabilite limitee": "sarl", "societatea cu raspundere limitata": "srl",
    "societa a responsabilita limitata": "srl", "sociedad de responsabilidad limitada": "srl",
    "societe par actions simplifiee": "sas", "sas": "sas", "ltda": "srl", "sp z oo": "sp z oo",
    "spolka z ograniczona odpowiedzialnoscia": "sp z oo", "sp zoo": "sp z oo", "besloten vennootschap": "bv",
    "naamloze vennootschap": "nv", "aktiebolag": "ab", "aktieselskab": "as", "aksjeselskap": "as",
    "osakeyhtio": "oy", "anonim sirketi": "as", "limited sirketi": "limited", "sendirian berhad": "sdn bhd",
    "perseroan terbatas": "pt", "kabushiki gaisha": "kabushiki kaisha", "godo kaisha": "godo kaisha",
    "yugen kaisha": "limited", "limited partnership": "lp", "lp": "lp", "l p": "lp",
}
# The words of written-out forms: a run of two or more of them (in any order, one typo each) is a legal form too
# ("COMPANY LIABILITY LIMITED", "LIMITED LIABILTIY COMPANY", "OBSHCHESTVO AKTSIONERNOE").
_FORM_PHRASES = {f: frozenset(w for w in f.split() if len(w) >= 3) for f in LEGAL_FORMS if " " in f}
FORM_PHRASE_WORDS = frozenset(w for words in _FORM_PHRASES.values() for w in words)
# their short words (the s of "obshchestvo s ogranichennoi ..."), part of a run only between two of its words
_FORM_PHRASE_LINKS = frozenset(w for f in _FORM_PHRASES for w in f.split() if len(w) < 3)
LEGAL_FORMS.update({"pte ltd": "private", "pvt ltd": "private", "private ltd": "private"})


@cache
def phrase_forms(word: str) -> frozenset[str]:
    """The forms whose written-out phrase holds ``word`` (liability: llc, llp): a word a split leaves beside such a
    form is that form's, not a word of the name."""
    return frozenset(LEGAL_FORMS[f] for f, words in _FORM_PHRASES.items() if word in words)
# Forms recognised anywhere in a name; the others (co, sa, as, ab...) only first or last, where they cannot be
# a word of the name itself.
_FORMS_ANYWHERE = frozenset({"ltd", "llc", "gmbh", "inc", "co", "corp", "jsc", "ooo", "fze", "plc", "limited",
                             "ojsc", "pjsc", "cjsc", "oao", "zao", "pao", "llp", "sarl", "srl", "gesmbh", "kgaa",
                             "aktiengesellschaft", "ltda", "tbk"})
_MULTI_FORMS = sorted((f for f in LEGAL_FORMS if " " in f), key=lambda f: -len(f.split()))
_LONGEST_FORM = max(len(f.split()) for f in LEGAL_FORMS)
# Written in the script of the name (CJK, Cyrillic): matched before transliteration.
SCRIPT_LEGAL_FORMS = {
    "株式会社": "kabushiki kaisha", "有限会社": "limited", "合同会社": "godo kaisha", "有限责任公司": "llc",
    "有限責任公司": "llc", "股份有限公司": "jsc", "有限公司": "limited", "集团": "group", "集團": "group",
    "公司": "company", "ооо": "llc", "оао": "jsc", "зао": "jsc", "пао": "jsc", "ао": "jsc",
    "общество с ограниченной ответственностью": "llc", "акционерное общество": "jsc",
    "открытое акционерное общество": "jsc", "закрытое акционерное общество": "jsc",
    "публичное акционерное общество": "jsc", "товариство з обмеженою відповідальністю": "llc",
    "акціонерне товариство": "jsc", "публічне акціонерне товариство": "jsc", "тов": "llc", "ат": "jsc",
    "пат": "jsc", "ват": "jsc",
}
# Number words, so "Forty-Four" meets "44" and "Three Percenters" "3 Percenters".
_UNITS = {w: k for k, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                      "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                                      "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * k for k, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                                          "ninety"], start=2)}
_TENS["fourty"] = 40  # a common misspelling
# Number words, which a name may run together with another word (SEVENSEA for SEVEN SEA)
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS)
# Abbreviations written in names for a word other names write out.
_ABBREVIATIONS = {"intl": "international", "natl": "national", "mfg": "manufacturing", "bros": "brothers",
                  "univ": "university", "dept": "department", "assn": "association", "inst": "institute",
                  "st": "saint"}
# Titles and honorifics, left out of a name that has other words (President Erdogan, Monsieur Ilie Bolojan).
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "president",
                        "monsieur", "madame", "mme", "mlle", "herr", "frau", "sheikh", "shaikh", "sheik", "hajji",
                        "sayyid", "excellency", "hon", "honourable", "honorable", "senor", "senora", "don", "dona"})
_APOSTROPHES = re.compile(r"(?<=\w)['’ʼ`ʻ](?=\w)")
# Digits run onto the start or end of a word of two letters or more (KANG SONG 1GMBH, CETC54, NETEX24, 3LOGIC): two
# words, as lists write them apart (KANG SONG 1, CETC 54). Digits inside a word stay (Sech1n, Ig0r: letters written
# as digits), as do ordinals (1st, 22nd) and codes of one letter (3M, 5G, B2)
_GLUED_DIGITS = re.compile(r"\b(?:([a-z]{2,})(\d+)|(\d+)(?!(?:st|nd|rd|th)\b)([a-z]{2,}))\b")


def split_digits(word: str) -> list[str]:
    """``word`` as the analysis divides digits run onto letters (YV3016: yv, 3016; see ``_GLUED_DIGITS``)."""
    return _GLUED_DIGITS.sub(lambda m: " ".join(g for g in m.groups() if g), word).split()


_CAMEL_FORM = re.compile(r"(?<=[a-z])([A-Z][A-Za-z]*)")
# A dotted legal form run onto the word before it, its first letter taken for the word's last (HOLDINGS.A. for
# HOLDING S.A., COMPANYL.T.D., SMILEWALLETS.A.S.): written apart again where the letters make a legal form
_DOTTED_FORM = re.compile(r"(?<![\w.])([^\W\d_]{2,})([^\W\d_])\.((?:[^\W\d_]\.)*[^\W\d_]\.?)(?![\w])")


def _unglue_dotted_form(match: re.Match[str]) -> str:
    word, letter, rest = match.groups()
    form = (letter + rest.replace(".", "")).lower()
    return f"{word} {letter}.{rest}" if form in LEGAL_FORMS else match.group(0)


# Traditional / old-form characters that differ from their simplified / new forms in names on these lists.
_VARIANTS = str.maketrans({
    "國": "国", "學": "学", "會": "会", "機": "机", "電": "电", "東": "东", "華": "华", "業": "业", "發": "发",
    "錦": "锦", "實": "实", "貿": "贸", "術": "术", "設": "设", "備": "备", "廣": "广", "總": "总",
    "開": "开", "門": "门", "車": "车", "鐵": "铁", "團": "团", "興": "兴", "體": "体", "製": "制",
    # one canonical form (simplified Chinese) for traditional, Japanese old and Japanese new forms alike
    "圓": "圆", "円": "圆", "澤": "泽", "沢": "泽", "濱": "滨", "浜": "滨", "邊": "边", "邉": "边", "辺": "边",
    "爾": "尔", "齋": "斋", "斎": "斋", "齊": "齐", "斉": "齐", "髙": "高", "﨑": "崎", "経": "经", "經": "经",
    "済": "济", "濟": "济", "広": "广", "変": "变", "鉄": "铁", "発": "发", "売": "卖", "賣": "卖",
    "與": "与", "區": "区", "廠": "厂", "壽": "寿", "豐": "丰", "龍": "龙", "長": "长", "來": "来", "無": "无",
    "線": "线", "網": "网", "連": "连", "運": "运", "輸": "输", "進": "进", "達": "达", "測": "测", "導": "导",
    "氣": "气", "創": "创", "聯": "联", "飛": "飞", "貨": "货", "軍": "军",
})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_NON_WORD = re.compile(r"[^\w]+")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@cache
def _cjk_converter() -> Any:
    """OpenCC's Japanese shinjitai -> traditional and traditional -> simplified conversions (its data: Apache-2.0),
    or None when the package is missing (the small table below still folds the common characters)."""
    try:
        import opencc
    except ImportError:
        return None
    shinjitai, simplified = opencc.OpenCC("jp2t"), opencc.OpenCC("t2s")
    return lambda text: simplified.convert(shinjitai.convert(text))


@cache
def fold(text: str) -> str:
    """NFKC (full-width -> ASCII, compatibility forms), case-fold, strip accents, fold CJK variants:
    traditional, simplified and Japanese new forms are one (中國電子 / 中国电子 / 中国電子)."""
    t = unicodedata.normalize("NFKC", text).casefold()
    if _CJK.search(t) and (convert := _cjk_converter()) is not None:
        t = convert(t)
    t = t.translate(_VARIANTS)
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", t)


@cache
def _script_forms() -> list[tuple[str, str]]:
    """SCRIPT_LEGAL_FORMS folded as names are (й as и), longest first."""
    return sorted(((fold(k), v) for k, v in SCRIPT_LEGAL_FORMS.items()), key=lambda kv: -len(kv[0]))


def _numbers(words: list[str]) -> list[str]:
    """Number words as digits: forty four, forty 4 and forty-four as 44; three as 3."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _TENS:
            nxt = words[i + 1] if i + 1 < len(words) else ""
            unit = _UNITS.get(nxt) if nxt in _UNITS and _UNITS[nxt] < 10 else (int(nxt) if nxt.isdigit() and
                                                                              len(nxt) == 1 else None)
            out.append(str(_TENS[w] + (unit or 0)))
            i += 2 if unit else 1
            continue
        out.append(str(_UNITS[w]) if w in _UNITS and len(words) > 1 else w)
        i += 1
    return out


def _merge_letters(words: list[str]) -> list[str]:
    """Runs of single letters (G.m.b.H., L.L.C., A.B.C.) as one word, so a dotted legal form is the form and
    initials are compared in their order (A.B.C. is not C.B.A.)."""
    out: list[str] = []
    run = ""
    for w in [*words, ""]:
        if len(w) == 1 and w.isalpha():
            run += w
            continue
        if run:
            out.append(run)
            run = ""
        if w:
            out.append(w)
    return out


@cache
def _form_word(word: str) -> str | None:
    """The word of a written-out legal form ``word`` is, allowing one typo in words of four letters or more."""
    if word in FORM_PHRASE_WORDS:
        return word
    if len(word) < 4 or not word.isalpha():
        return None
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import extractOne

    found = extractOne(word, FORM_PHRASE_WORDS, scorer=OSA.normalized_similarity, score_cutoff=0.79)
    return str(found[0]) if found else None


# One-word forms long enough that a word one typo from them is that form (CORPORATOIN, LIMTIED, COMPAY), not a name
# (but PRIVAT is a word of names)
_LONG_FORMS = frozenset(f for f in LEGAL_FORMS if " " not in f and len(f) >= 7) - {"private"}  # PRIVAT BANK


@cache
def _typo_form(word: str) -> str | None:
    """The one-word legal form ``word`` is one typo from (OSA similarity 0.85 or more: one edit in seven letters or
    more), or None."""
    if len(word) < 6 or not word.isalpha():
        return None
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import extractOne

    found = extractOne(word, _LONG_FORMS, scorer=OSA.normalized_similarity, score_cutoff=0.85)
    return str(found[0]) if found else None


def _form_runs(words: list[str], forms: list[str]) -> list[str]:
    """``words`` without runs of two or more written-out legal form words, whose form (the phrase sharing most
    of their words) goes to ``forms``. A run must hold a word other than company, open, public, private and
    closed, which names use on their own."""
    out: list[str] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and (_form_word(words[j]) is not None or (
                j > i and words[j] in _FORM_PHRASE_LINKS and j + 1 < len(words) and
                _form_word(words[j + 1]) is not None)):
            j += 1
        run = {_form_word(w) for w in words[i:j]} - {None}
        if j - i >= 2 and len(words) > j - i and run - {"company", "open", "public", "private", "closed"}:
            phrase = max(_FORM_PHRASES, key=lambda f: (len(run & _FORM_PHRASES[f]) /
                                                        len(run | _FORM_PHRASES[f]), -len(f)))
            forms.append(LEGAL_FORMS[phrase])
            i = j
            continue
        out.append(words[i])
        i += 1
    return out


@cache
def analyse(text: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(name tokens, legal forms found, script) of a name. CJK names become one token per character run plus
    their romanised reading; other scripts are transliterated to Latin tokens."""
    # a legal form run onto the name in mixed case (SiemensAG, GroupCo.) is a word of its own
    text = _CAMEL_FORM.sub(lambda m: " " + m.group(1) if m.group(1).lower() in LEGAL_FORMS else m.group(1), text)
    if "." in text:
        text = _DOTTED_FORM.sub(_unglue_dotted_form, text)
    t = fold(text)
    forms: list[str] = []
    for written, form in _script_forms():
        if written in t and (_CJK.search(written) or re.search(rf"(^|[\s\"«»“”„]){written}([\s\"«»“”„]|$)", t)):
            forms.append(form)
            t = t.replace(written, " ")
    script = "cjk" if has_cjk(t) else "latin" if t.isascii() else "other"
    latin = anyascii(t).lower() if script != "latin" else t
    latin = _APOSTROPHES.sub("", latin)  # People's, Qa'ida, Int'l and the ejective marks of transliterations
    latin = _GLUED_DIGITS.sub(lambda m: " ".join(g for g in m.groups() if g), latin)
    words = [w for w in _NON_WORD.split(latin.replace("&", " and ")) if w]
    words = [_ABBREVIATIONS.get(w, w) for w in _numbers(_merge_letters(words))]
    # written-out forms (several words) anywhere, the longest first ("open joint stock company"); then runs of
    # their words in any order; then the one-word forms
    phrased: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_FORM, len(words) - i), 1, -1):
            phrase = " ".join(words[i:i + n])
            if phrase in LEGAL_FORMS and len(words) > n:
                forms.append(LEGAL_FORMS[phrase])
                i += n
                break
        else:
            phrased.append(words[i])
            i += 1
    phrased = _form_runs(phrased, forms) if len(phrased) > 2 else phrased
    kept: list[str] = []
    # a form as written, or with one typo (LIMTIED), where a form stands: first or last, an abbreviation of three
    # letters or fewer in a run of forms there too (BRACRO S.A. LTD, RADIOPRIBOR AO GMBH; not PRIVATE in WINGS
    # PRIVATE JSC, a word of the name), and anywhere the forms no name uses as a word
    as_forms = [w if w in LEGAL_FORMS else _typo_form(w) for w in phrased]
    lead = next((i for i, f in enumerate(as_forms) if f is None), len(as_forms))
    trail = len(as_forms) - next((i for i, f in enumerate(reversed(as_forms)) if f is None), len(as_forms))
    for i, (w, as_form) in enumerate(zip(phrased, as_forms, strict=True)):
        in_run = len(w) <= 3 and lead < len(phrased) and (i < lead or i >= trail)
        if as_form is not None and len(phrased) > 1 and (i == len(phrased) - 1 or i == 0 or in_run or
                                                         as_form in _FORMS_ANYWHERE):
            forms.append(LEGAL_FORMS[as_form])
        else:
            kept.append(w)
    named = [w for w in kept if w not in HONORIFICS]
    tokens = (named or kept) or words
    if script == "cjk":
        runs = [r for r in re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+", t)]
        # the original characters as overlapping pairs, so a name matches its longer or shorter written forms
        tokens = tokens + [f"#{r[k:k + 2]}" for r in runs for k in range(max(len(r) - 1, 1))]
        # and each whole run, which only an identical run matches: one different character (北京 / 南京) then
        # costs a rare, heavy token instead of one common pair
        tokens = tokens + [f"##{r}" for r in runs if len(r) > 2]
    return tuple(tokens), tuple(sorted(set(forms))), script
