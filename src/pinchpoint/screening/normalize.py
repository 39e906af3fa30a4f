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

from anyascii import anyascii

# Legal forms, compared as a separate signal (never as part of the name). Lower case, after folding.
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
}
# Written in the script of the name (CJK, Cyrillic): matched before transliteration.
SCRIPT_LEGAL_FORMS = {
    "株式会社": "kabushiki kaisha", "有限会社": "limited", "合同会社": "godo kaisha", "有限责任公司": "llc",
    "有限責任公司": "llc", "股份有限公司": "jsc", "有限公司": "limited", "集团": "group", "集團": "group",
    "公司": "company", "ооо": "llc", "оао": "jsc", "зао": "jsc", "пао": "jsc", "ао": "jsc",
}
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
def fold(text: str) -> str:
    """NFKC (full-width -> ASCII, compatibility forms), case-fold, strip accents, fold CJK variants."""
    t = unicodedata.normalize("NFKC", text).casefold().translate(_VARIANTS)
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", t)


@cache
def analyse(text: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(name tokens, legal forms found, script) of a name. CJK names become one token per character run plus
    their romanised reading; other scripts are transliterated to Latin tokens."""
    t = fold(text)
    forms: list[str] = []
    for written, form in sorted(SCRIPT_LEGAL_FORMS.items(), key=lambda kv: -len(kv[0])):
        if written in t and (_CJK.search(written) or re.search(rf"(^|\s){written}(\s|$)", t)):
            forms.append(form)
            t = t.replace(written, " ")
    script = "cjk" if has_cjk(t) else "latin" if t.isascii() else "other"
    latin = anyascii(t).lower() if script != "latin" else t
    words = [w for w in _NON_WORD.split(latin.replace("&", " and ")) if w]
    # joined legal forms like "co., ltd." come out as "co", "ltd": collect forms from the end and the start
    kept: list[str] = []
    i = 0
    while i < len(words):
        pair = f"{words[i]} {words[i + 1]}" if i + 1 < len(words) else ""
        if pair in LEGAL_FORMS and len(words) > 2:
            forms.append(LEGAL_FORMS[pair])
            i += 2
            continue
        if words[i] in LEGAL_FORMS and len(words) > 1 and (i == len(words) - 1 or i == 0 or
                                                           words[i] in ("ltd", "llc", "gmbh", "inc", "co", "corp",
                                                                        "jsc", "ooo", "fze", "plc", "limited")):
            forms.append(LEGAL_FORMS[words[i]])
            i += 1
            continue
        kept.append(words[i])
        i += 1
    tokens = kept or words
    if script == "cjk":
        runs = [r for r in re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+", t)]
        # the original characters as overlapping pairs, so a name matches its longer or shorter written forms
        tokens = tokens + [f"#{r[k:k + 2]}" for r in runs for k in range(max(len(r) - 1, 1))]
        # and each whole run, which only an identical run matches: one different character (北京 / 南京) then
        # costs a rare, heavy token instead of one common pair
        tokens = tokens + [f"##{r}" for r in runs if len(r) > 2]
    return tuple(tokens), tuple(sorted(set(forms))), script
