"""The evaluation set of issue #4, generated from the real lists (deterministic for a seed).

Positive categories take a listed name and perturb it: ``typo`` (one edit in a long token), ``double_typo`` (edits
in two tokens), ``reorder`` (tokens reversed), ``legal_form`` (the legal form swapped for another or added),
``dropped_token`` (a middle token left out), ``abbreviation`` (a person's first given name as an initial),
``joined`` (two adjacent tokens written as one), ``original_script`` (a name the METI or UN list gives in its own
script, queried in that script). The expected answer is the entity the name came from.

``hard_negative`` queries are made of two real list tokens from different entities plus generic business words
and a legal form (the Watchman "... CORP" failure): none may alert unless some listed name holds both tokens.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

GENERIC = ["GLOBAL", "TRADING", "INDUSTRIES", "HOLDINGS", "INTERNATIONAL", "TECHNOLOGY", "GROUP", "SERVICES",
           "LOGISTICS", "ENGINEERING", "SUPPLY", "SOLUTIONS"]
FORMS = [("LIMITED", "LLC"), ("LTD", "LLC"), ("LLC", "LTD"), ("CO., LTD.", "CORPORATION"), ("CORPORATION", "INC"),
         ("INC", "CORP"), ("GMBH", "AG"), ("JSC", "LLC"), ("OOO", "LLC"), ("COMPANY", "CO LTD")]


@dataclass(frozen=True)
class Case:
    category: str
    query: str
    expected: str | None  # entity id, or None for a negative


def _edit(token: str, rng: random.Random) -> str:
    k = rng.randrange(1, len(token) - 1)
    op = rng.choice(("swap", "drop", "replace"))
    if op == "swap":
        return token[:k - 1] + token[k] + token[k - 1] + token[k + 1:]
    if op == "drop":
        return token[:k] + token[k + 1:]
    return token[:k] + rng.choice("AEIOURSTNL".replace(token[k], "")) + token[k + 1:]


def generate(lists: list, per_category: int = 300, seed: int = 7) -> list[Case]:  # type: ignore[type-arg]
    """The perturbation set and hard negatives from loaded ``ScreeningList``s."""
    from pinchpoint.screening.model import EntityType, NameKind

    rng = random.Random(seed)
    latin: list[tuple[str, str, EntityType]] = []
    original: list[tuple[str, str]] = []
    token_owner: dict[str, set[str]] = {}
    for lst in lists:
        for e in lst.entities:
            for n in e.names:
                if n.kind is NameKind.ORIGINAL:
                    original.append((n.text, e.entity_id))
                elif re.fullmatch(r"[A-Za-z0-9 .,&'()-]+", n.text) and len(n.text.split()) >= 2:
                    latin.append((n.text, e.entity_id, e.type))
                for tok in re.findall(r"[A-Z]{4,}", n.text.upper()):
                    token_owner.setdefault(tok, set()).add(e.entity_id)
    rng.shuffle(latin)
    cases: list[Case] = []

    def take(category: str, make, pool) -> None:  # type: ignore[no-untyped-def]
        made = 0
        for item in pool:
            query = make(*item)
            if query and query.upper() != item[0].upper():
                cases.append(Case(category, query, item[1]))
                made += 1
                if made == per_category:
                    return

    def typo(text: str, *_: object) -> str | None:
        toks = text.split()
        k = max(range(len(toks)), key=lambda i: len(toks[i]))
        if len(toks[k]) < 6:
            return None
        toks[k] = _edit(toks[k], rng)
        return " ".join(toks)

    def double_typo(text: str, *_: object) -> str | None:
        toks = text.split()
        long = [i for i, t in enumerate(toks) if len(t) >= 6]
        if len(long) < 2:
            return None
        for i in rng.sample(long, 2):
            toks[i] = _edit(toks[i], rng)
        return " ".join(toks)

    def reorder(text: str, *_: object) -> str:
        return " ".join(reversed(text.replace(",", " ").split()))

    def legal_form(text: str, _id: str, kind: EntityType) -> str | None:
        if kind is not EntityType.ORGANISATION:
            return None
        up = text.upper()
        for old, new in FORMS:
            if up.endswith(" " + old):
                return text[: len(text) - len(old)] + new
        return text + " " + rng.choice(["LLC", "LTD", "CO., LTD.", "GMBH"])

    def dropped(text: str, *_: object) -> str | None:
        toks = text.split()
        if len(toks) < 4:
            return None
        del toks[rng.randrange(1, len(toks) - 1)]
        return " ".join(toks)

    def abbreviation(text: str, _id: str, kind: EntityType) -> str | None:
        toks = text.replace(",", " ").split()
        if kind is not EntityType.PERSON or len(toks) < 3 or len(toks[1]) < 3:
            return None
        return " ".join([toks[0], toks[1][0], *toks[2:]])

    def joined(text: str, *_: object) -> str | None:
        toks = text.split()
        if len(toks) < 3:
            return None
        k = rng.randrange(len(toks) - 1)
        return " ".join([*toks[:k], toks[k] + toks[k + 1], *toks[k + 2:]])

    for category, fn in (("typo", typo), ("double_typo", double_typo), ("reorder", reorder),
                         ("legal_form", legal_form), ("dropped_token", dropped), ("abbreviation", abbreviation),
                         ("joined", joined)):
        take(category, fn, latin)
    rng.shuffle(original)
    cases += [Case("original_script", text, eid) for text, eid in original[:per_category]]
    shared = [t for t, owners in token_owner.items() if len(owners) >= 2 and t not in GENERIC]
    made = 0
    while made < per_category:
        a, b = rng.sample(shared, 2)
        if token_owner[a] & token_owner[b]:
            continue  # some listed entity holds both: not a negative
        parts = [a, b, *rng.sample(GENERIC, 2)]
        rng.shuffle(parts)
        cases.append(Case("hard_negative", " ".join(parts) + " " + rng.choice(["LLC", "LTD", "CORP", "GMBH"]), None))
        made += 1
    return cases


def cross_script_pairs(path) -> list[tuple[str, str, float, str]]:  # type: ignore[no-untyped-def]
    """(query, expected name, minimum score, description) of Watchman's cross-script pairs file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(",")
        rows.append((parts[0], parts[1], float(parts[2]), parts[3] if len(parts) > 3 else ""))
    return rows
