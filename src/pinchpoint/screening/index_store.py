"""The screening index kept in the workspace (collection ``screening.index``), so a run loads it instead of
building it.

Building a :class:`~pinchpoint.screening.matcher.Screener` over the real lists (about 40,000 names) takes seconds:
every name is analysed (folded, transliterated, split from its legal forms) and indexed, and the consonant
skeleton index is built beside it. ``lists load`` and ``lists update`` build it once, when the lists change, and
store it (:func:`index_stored_lists`); every later run (``screen``, a delta re-screen, the API) reads the lists and
the stored index (:func:`read_screener`), which costs a fraction of a build.

The stored index is NumPy arrays in one ``.npz`` payload (read with ``allow_pickle=False``: nothing in a workspace
is ever run as code): strings as one UTF-8 text with their lengths, groups (the inverted index, the deletion
index) as keys, lengths and one flat array. It is keyed by :func:`index_key`: the content digests of the stored
lists it was built from and :func:`build_stamp`, a digest of the code and data that make an index (the screening
package's files, anyascii's version, the Unicode database's version, this format's version). It is used only when
the key matches the lists read now, the payload's SHA-256 is the one stored with it, the digests recorded inside it
are the lists', and its arrays are consistent with the lists (counts, bounds); anything else is rebuilt from the
lists, and the screener says why (:attr:`Screener.origin`).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pinchpoint.screening.matcher import BUILT, LOADED, Screener, SkeletonIndex, _Name, _Tokens
from pinchpoint.screening.model import ScreeningList
from pinchpoint.screening.scripts import Skeleton
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.collections import Collection, register, sha256_16

INDEX = register(Collection("screening.index", version=1))
#: The one key the index is stored under (its version label is :func:`index_key`; one version is kept)
KEY = "screener"
#: The layout of the arrays; a change makes every stored index unusable (:func:`build_stamp` holds it)
FORMAT = 2



class IndexUnusable(ValueError):
    """A stored index that does not belong to the lists read, or whose arrays do not hold together."""


@cache
def build_stamp() -> str:
    """A digest of what makes an index from the lists: the screening package's code and data, anyascii (names in
    other scripts are transliterated with it), the Unicode database (names are folded with it) and :data:`FORMAT`.
    Any change to them makes a stored index stale."""
    from importlib import metadata

    h = hashlib.sha256(f"format {FORMAT}; unicode {unicodedata.unidata_version}; python "
                       f"{sys.version_info[:2]}".encode())
    try:
        h.update(f"; anyascii {metadata.version('anyascii')}".encode())
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        h.update(b"; anyascii ?")
    folder = Path(__file__).resolve().parent
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    if not any(p.suffix == ".py" for p in files):  # run from compiled files only: the package version stands in
        import pinchpoint

        h.update(f"; pinchpoint {pinchpoint.__version__}".encode())
    for path in files:
        h.update(b"\x00" + path.relative_to(folder).as_posix().encode() + b"\x00" + path.read_bytes())
    return h.hexdigest()[:16]


def index_key(digests: Iterable[tuple[str, str]]) -> str:
    """The version label of the index of the lists whose (name, content digest) are ``digests``."""
    text = json.dumps(sorted(digests), ensure_ascii=True) + build_stamp()
    return sha256_16(text.encode())


def _list_digests(lists: Sequence[ScreeningList]) -> list[tuple[str, str]]:
    return [(lst.list_name, lst.digest) for lst in lists]


# Packing -----------------------------------------------------------------------------------------------------------
#: Separators of the strings of one array, the first that none of them holds (names may hold any character)
_SEPARATORS = "\x1e\x1f\x1d\x1c\x00\ufdd0\ufdd1\ufdd2\ufdd3\ufdd4\ufdd5\ufdd6\ufdd7"


def _separator(text: str, avoid: str = "") -> str:
    for sep in _SEPARATORS:
        if sep not in text and sep != avoid:
            return sep
    raise ValueError("no separator is free")  # pragma: no cover - names holding every one of them


def _text_array(text: str, sep: str, count: int) -> np.ndarray:
    head = f"{ord(sep)} {count} ".encode()
    return np.frombuffer(head + text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _put_strs(out: dict[str, np.ndarray], name: str, values: Sequence[str]) -> None:
    """Strings as one text, joined by a separator none of them holds (split in one C call when read)."""
    sep = _separator("".join(values))
    out[name] = _text_array(sep.join(values), sep, len(values))


def _read_text(array: np.ndarray, name: str) -> tuple[str, str, int]:
    raw = array.tobytes()
    code, count, text = raw.split(b" ", 2)
    return text.decode("utf-8", "surrogatepass"), chr(int(code)), int(count)


def _get_strs(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    text, sep, count = _read_text(arrays[name], name)
    values = text.split(sep) if count else []
    if len(values) != count or (not count and text):
        raise IndexUnusable(f"{name}: {len(values)} strings where {count} were stored")
    return values


def _put_groups(out: dict[str, np.ndarray], name: str, groups: dict[str, np.ndarray]) -> None:
    _put_strs(out, f"{name}.keys", list(groups))
    out[f"{name}.size"] = np.fromiter((len(v) for v in groups.values()), dtype=np.int32, count=len(groups))
    out[f"{name}.flat"] = (np.concatenate(list(groups.values())).astype(np.int64) if groups
                           else np.zeros(0, dtype=np.int64))


def _bounds(sizes: np.ndarray, total: int, name: str) -> tuple[list[int], list[int]]:
    if len(sizes) and int(sizes.min()) < 0:
        raise IndexUnusable(f"{name}: negative sizes")
    ends = np.cumsum(sizes, dtype=np.int64)
    if (int(ends[-1]) if len(ends) else 0) != total:
        raise IndexUnusable(f"{name}: sizes do not add up")
    return (ends - sizes).tolist(), ends.tolist()


def _get_groups(arrays: dict[str, np.ndarray], name: str, bound: int) -> dict[str, np.ndarray]:
    keys = _get_strs(arrays, f"{name}.keys")
    sizes, flat = arrays[f"{name}.size"], arrays[f"{name}.flat"]
    if len(sizes) != len(keys) or (len(flat) and (int(flat.min()) < 0 or int(flat.max()) >= bound)):
        raise IndexUnusable(f"{name}: groups do not hold together")
    starts, ends = _bounds(sizes, len(flat), name)
    return {k: flat[a:b] for k, a, b in zip(keys, starts, ends, strict=True)}


def _put_string_groups(out: dict[str, np.ndarray], name: str, groups: dict[str, list[str]]) -> None:
    _put_strs(out, f"{name}.keys", list(groups))
    out[f"{name}.size"] = np.fromiter(map(len, groups.values()), dtype=np.int32, count=len(groups))
    _put_strs(out, f"{name}.flat", [s for v in groups.values() for s in v])


def _get_string_groups(arrays: dict[str, np.ndarray], name: str) -> dict[str, list[str]]:
    keys, flat = _get_strs(arrays, f"{name}.keys"), _get_strs(arrays, f"{name}.flat")
    sizes = arrays[f"{name}.size"]
    if len(sizes) != len(keys):
        raise IndexUnusable(f"{name}: groups do not hold together")
    starts, ends = _bounds(sizes, len(flat), name)
    return {k: flat[a:b] for k, a, b in zip(keys, starts, ends, strict=True)}


def _nested(out: dict[str, np.ndarray], name: str, items: Sequence[Sequence[str]]) -> None:
    """Sequences of strings: each joined by one separator, the items by another, with how many each holds."""
    everything = "".join(s for item in items for s in item)
    inner = _separator(everything)
    outer = _separator(everything, avoid=inner)
    out[f"{name}.inner"] = np.array([ord(inner)], dtype=np.int64)
    _put_strs_with(out, name, [inner.join(item) for item in items], outer)
    out[f"{name}.count"] = np.fromiter(map(len, items), dtype=np.int32, count=len(items))


def _put_strs_with(out: dict[str, np.ndarray], name: str, values: Sequence[str], sep: str) -> None:
    out[name] = _text_array(sep.join(values), sep, len(values))


def _get_nested(arrays: dict[str, np.ndarray], name: str) -> list[tuple[str, ...]]:
    joined = _get_strs(arrays, name)
    inner = chr(int(arrays[f"{name}.inner"][0]))
    counts = arrays[f"{name}.count"]
    if len(counts) != len(joined):
        raise IndexUnusable(f"{name}: counts do not match the items")
    items = [tuple(j.split(inner)) if c else () for j, c in zip(joined, counts.tolist(), strict=True)]
    if not np.array_equal(np.fromiter(map(len, items), dtype=np.int64, count=len(items)), counts):
        raise IndexUnusable(f"{name}: an item does not hold what was stored")
    return items


def _put_rows(out: dict[str, np.ndarray], name: str, rows: np.ndarray) -> None:
    """A padded array of ids (-1 after each row's ids) as its ids and each row's length."""
    length = (rows >= 0).sum(axis=1)
    if not np.array_equal(np.arange(rows.shape[1]) < length[:, None], rows >= 0):
        raise ValueError(f"{name}: padding inside a row")
    out[f"{name}.width"] = np.array([rows.shape[1]], dtype=np.int64)
    out[f"{name}.length"] = length.astype(np.int32)
    out[f"{name}.ids"] = rows[rows >= 0].astype(np.int32)


def _get_rows(arrays: dict[str, np.ndarray], name: str, n_rows: int, bound: int) -> np.ndarray:
    width, length, ids = int(arrays[f"{name}.width"][0]), arrays[f"{name}.length"], arrays[f"{name}.ids"]
    if len(length) != n_rows or width < 1 or (n_rows and (int(length.max()) > width or int(length.min()) < 0)) or \
            int(length.sum()) != len(ids) or (len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= bound)):
        raise IndexUnusable(f"{name}: rows do not hold together")
    rows = np.full((n_rows, width), -1, dtype=np.int64)
    rows[np.arange(width) < length[:, None]] = ids
    return rows


def _pack_skeletons(out: dict[str, np.ndarray], name: str, index: SkeletonIndex) -> None:
    _nested(out, f"{name}.tokens", [sk.tokens for sk in index.skeletons])
    _nested(out, f"{name}.gaps", [gap for sk in index.skeletons for gap in sk.gaps])
    _put_groups(out, f"{name}.index", index.index)
    _put_strs(out, f"{name}.vocab", index.vocab)
    out[f"{name}.idf"] = np.array([index.idf[t] for t in index.vocab], dtype=np.float64)
    out[f"{name}.default_idf"] = np.array([index.default_idf])
    _put_rows(out, f"{name}.rows", index.rows)
    _put_strs(out, f"{name}.joined", index.joined)
    out[f"{name}.coarse"] = np.array([index.coarse])


def _unpack_skeletons(arrays: dict[str, np.ndarray], name: str, n_names: int) -> SkeletonIndex:
    tokens = _get_nested(arrays, f"{name}.tokens")
    gaps = _get_nested(arrays, f"{name}.gaps")
    if len(tokens) != n_names or len(gaps) != sum(map(len, tokens)):
        raise IndexUnusable(f"{name}: skeletons do not match the names")
    skeletons = []
    at = 0
    for t in tokens:
        skeletons.append(Skeleton(t, tuple(gaps[at:at + len(t)])))
        at += len(t)
    vocab = _get_strs(arrays, f"{name}.vocab")
    idf = arrays[f"{name}.idf"]
    rows = _get_rows(arrays, f"{name}.rows", n_names, len(vocab))
    if len(idf) != len(vocab):
        raise IndexUnusable(f"{name}: weights do not match the vocabulary")
    return SkeletonIndex(skeletons, _get_groups(arrays, f"{name}.index", n_names),
                         dict(zip(vocab, idf.tolist(), strict=True)), float(arrays[f"{name}.default_idf"][0]),
                         vocab, rows, _get_strs(arrays, f"{name}.joined"), bool(arrays[f"{name}.coarse"][0]))


#: Arrays of a screener stored as they are (every one derived from the names, but stored: deriving costs time)
_ARRAYS = ("vocab_weight", "token_count", "token_start", "token_flat", "name_weight", "name_cjk", "name_joined_len",
           "name_person", "vocab_common", "name_unit", "name_required", "vocab_link")


def pack(screener: Screener) -> bytes:
    """The index of ``screener`` (built over whole lists, with its skeleton indexes) as one ``.npz`` payload."""
    if screener._weights_from is not None:
        raise ValueError("a restricted screener is not stored")
    if any(not lst.digest for lst in screener.lists):
        raise ValueError("only lists read from the workspace (with their content digests) are stored with an index")
    out: dict[str, np.ndarray] = {}
    meta = {"format": FORMAT, "stamp": build_stamp(), "lists": _list_digests(screener.lists),
            "n_entities": len(screener.entities), "n_names": len(screener.names)}
    out["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    names = screener.names
    out["names.entity"] = np.fromiter((n.entity for n in names), dtype=np.int64, count=len(names))
    _put_strs(out, "names.text", [n.text for n in names])
    _put_strs(out, "names.kind", [n.kind for n in names])
    _nested(out, "names.forms", [n.forms for n in names])
    _put_strs(out, "names.tokens", [t for n in names for t in n.tokens])
    _put_strs(out, "vocab", screener.vocab)
    out["idf"] = np.array([screener.idf[t] for t in screener.vocab], dtype=np.float64)
    out["default_idf"] = np.array([screener.default_idf])
    _put_groups(out, "index", screener.index)
    _put_string_groups(out, "deletions", screener._deletion_index)
    for attr in _ARRAYS:
        out[attr] = getattr(screener, attr)
    tokens = screener.vocab_tokens
    out["vocab_tokens.length"], out["vocab_tokens.first"] = tokens.length, tokens.first
    out["vocab_tokens.cjk"], out["vocab_tokens.digits"] = tokens.cjk, tokens.digits
    _put_strs(out, "name_joined", screener.name_joined)
    _put_strs(out, "name_initials", list(screener.name_initials))
    _put_strs(out, "common_words", sorted(screener.common_words))
    _put_strs(out, "unit_key_words", sorted(screener.unit_key_words))
    _nested(out, "generic.keys", list(screener.generic_names))
    _nested(out, "generic.names", [[str(i) for i in v] for v in screener.generic_names.values()])
    for name, index in (("skeleton", screener.skeleton_index()), ("coarse", screener.coarse_index())):
        _pack_skeletons(out, name, index)
    _put_groups(out, "initials", screener.initials_index())
    from pinchpoint.screening.delta import snapshot  # each record's fingerprint, compared by a delta re-screen

    prints = snapshot(screener.lists)
    _put_strs(out, "fingerprints", [prints[e.list_name][e.entity_id] for e in screener.entities])
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **out)
    return buffer.getvalue()


def _objects(values: Sequence[str]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def unpack(lists: Sequence[ScreeningList], payload: bytes) -> Screener:
    """The screener of ``lists`` from a :func:`pack` payload; :class:`IndexUnusable` when it is not theirs or does
    not hold together."""
    import gc

    # hundreds of thousands of small objects that form no cycles: collecting the heap again and again while they
    # are made would cost more than making them
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _unpack(list(lists), payload)
    except IndexUnusable:
        raise
    except Exception as exc:  # a damaged payload fails in many ways (zip, lengths, UTF-8, keys): none is used
        raise IndexUnusable(f"unreadable ({type(exc).__name__}: {exc})") from exc
    finally:
        if enabled:
            gc.enable()


def _unpack(lists: list[ScreeningList], payload: bytes) -> Screener:
    with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["meta"].tobytes())
    digests = [list(d) for d in _list_digests(lists)]
    if meta.get("format") != FORMAT or meta.get("stamp") != build_stamp():
        raise IndexUnusable("built by other code")
    if meta.get("lists") != digests:
        raise IndexUnusable("built from other list versions")
    entities = [e for lst in lists for e in lst.entities]
    n_entities = len(entities)
    entity = arrays["names.entity"]
    n_names = len(entity)
    if meta.get("n_entities") != n_entities or meta.get("n_names") != n_names or (
            n_names and (int(entity.min()) < 0 or int(entity.max()) >= n_entities)):
        raise IndexUnusable("its names do not match the lists' entities")
    vocab = _get_strs(arrays, "vocab")
    n_vocab = len(vocab)
    flat_tokens = _get_strs(arrays, "names.tokens")
    token_count, token_flat = arrays["token_count"], arrays["token_flat"]
    if len(token_count) != n_names or int(token_count.sum()) != len(flat_tokens) or \
            len(token_flat) != len(flat_tokens) or (len(token_flat) and int(token_flat.max()) >= n_vocab):
        raise IndexUnusable("its name tokens do not add up")
    texts, kinds = _get_strs(arrays, "names.text"), _get_strs(arrays, "names.kind")
    forms = _get_nested(arrays, "names.forms")
    if not len(texts) == len(kinds) == len(forms) == n_names:
        raise IndexUnusable("its names do not add up")
    names = []
    at = 0
    for e, text, kind, count, form in zip(entity.tolist(), texts, kinds, token_count.tolist(), forms, strict=True):
        names.append(_Name(e, text, kind, tuple(flat_tokens[at:at + count]), form))
        at += count
    s = Screener.__new__(Screener)
    s.lists = lists
    s.entities = entities
    s._weights_from = None
    s.names = names
    idf = arrays["idf"]
    if len(idf) != n_vocab:
        raise IndexUnusable("its weights do not match its vocabulary")
    s.idf = dict(zip(vocab, idf.tolist(), strict=True))
    s.default_idf = float(arrays["default_idf"][0])
    s.index = _get_groups(arrays, "index", n_names)
    s._deletion_index = _get_string_groups(arrays, "deletions")
    s._neighbours = {}
    s.vocab = vocab
    for attr in _ARRAYS:
        setattr(s, attr, arrays[attr])
    if any(len(getattr(s, a)) != n_vocab + 1 for a in ("vocab_weight", "vocab_common", "vocab_link")) or any(
            len(getattr(s, a)) != n_names for a in _ARRAYS if a.startswith(("token_c", "token_s", "name_"))):
        raise IndexUnusable("its arrays do not match its names")
    s.vocab_tokens = _Tokens(_objects(vocab), arrays["vocab_tokens.length"], arrays["vocab_tokens.first"],
                             arrays["vocab_tokens.cjk"], arrays["vocab_tokens.digits"])
    s.name_joined = _get_strs(arrays, "name_joined")
    s._joined_array = _objects(s.name_joined)
    s._skeleton_index = s._coarse_index = None
    s._entity_index = None
    s._splits = {}
    s._initials_index = None
    s._stored = _LazyParts(arrays, n_names, n_entities)
    s.name_initials = _objects(_get_strs(arrays, "name_initials"))
    s.common_words = frozenset(_get_strs(arrays, "common_words"))
    s.unit_key_words = frozenset(_get_strs(arrays, "unit_key_words"))
    s._anchors = {}
    keys = _get_nested(arrays, "generic.keys")
    members = _get_nested(arrays, "generic.names")
    if len(keys) != len(members):
        raise IndexUnusable("its generic names do not add up")
    s.generic_names = {k: [int(i) for i in v] for k, v in zip(keys, members, strict=True)}
    s.generic_keys = frozenset(s.generic_names)
    if len(s.name_joined) != n_names or len(s.name_initials) != n_names:
        raise IndexUnusable("its arrays do not match its names")
    s.origin = LOADED
    return s


class _LazyParts:
    """The parts of a stored index a screener builds only on first use (the skeleton indexes, the initials index)
    and the records' fingerprints a delta compares, read from the stored arrays on first use too: most runs need
    none of them."""

    def __init__(self, arrays: dict[str, np.ndarray], n_names: int, n_entities: int) -> None:
        self.arrays = arrays
        self.n_names = n_names
        self.n_entities = n_entities

    def __call__(self, part: str) -> Any:
        import gc

        enabled = gc.isenabled()
        gc.disable()
        try:
            if part == "initials":
                return _get_groups(self.arrays, "initials", self.n_names)
            if part == "fingerprints":
                prints = _get_strs(self.arrays, "fingerprints")
                return prints if len(prints) == self.n_entities else None
            return _unpack_skeletons(self.arrays, part, self.n_names)
        except Exception:  # the payload's digest was checked when loaded; should this fail, the screener builds it
            return None
        finally:
            if enabled:
                gc.enable()


# The workspace -----------------------------------------------------------------------------------------------------
def _usable(ws: Workspace) -> bool:
    """Whether this pinchpoint can read and write the workspace's stored indexes (not when a newer one stored them
    at another schema version: screening then builds its index, and leaves theirs alone)."""
    from pinchpoint.errors import WorkspaceError

    try:
        ws.collection_ready(INDEX)
    except WorkspaceError:
        return False
    return True


def save_index(ws: Workspace, screener: Screener, payload: bytes | None = None) -> str:
    """Store the index of ``screener`` (over the lists as stored in ``ws``; ``payload`` its :func:`pack`, if made
    already) as the one index of the workspace; returns its key ("" when the workspace's indexes are another
    pinchpoint's schema, left alone)."""
    key = index_key(_list_digests(screener.lists))
    if not _usable(ws):
        return ""
    payload = payload if payload is not None else pack(screener)
    items = ws.collection(INDEX)
    with ws.transaction():
        for version in items.list(KEY):
            if version.version != key:
                items.delete(KEY, version.version)
        items.put(KEY, payload, version=key, source="screening lists", replace=True,
                  meta={"lists": dict(_list_digests(screener.lists)), "stamp": build_stamp(),
                        "n_names": len(screener.names)})
    return key


def stored_index(ws: Workspace, digests: Iterable[tuple[str, str]]) -> tuple[bytes | None, str]:
    """The stored index payload for the lists of ``digests`` ((name, content digest)) and what was found: the
    payload (None when there is none for these lists, or its bytes are not those stored) and why not."""
    if not _usable(ws):
        return None, "the stored index was written by another version of pinchpoint"
    items = ws.collection(INDEX)
    found = items.find(KEY, index_key(digests))
    if found is None:
        return None, ("no stored index of these list versions" if not items.list(KEY) else
                      "the stored index is of other list versions or other code")
    payload = items.payload(found)
    if sha256_16(payload) != found.content_hash:
        return None, "the stored index is damaged (its content differs from the digest stored with it)"
    return payload, ""


def screener_of(lists: Sequence[ScreeningList], payload: bytes | None, why: str) -> Screener:
    """The screener of ``lists``: from the stored index ``payload`` when it is theirs and whole, else built (its
    :attr:`Screener.origin` says which, and why)."""
    if payload is not None:
        try:
            return unpack(lists, payload)
        except IndexUnusable as exc:
            why = f"the stored index is unusable: {exc}"
    screener = Screener(lists)
    screener.origin = f"{BUILT} ({why})" if why else BUILT
    return screener


def read_screener(workspace: Path | None = None, on_wait: Callable[[str], None] | None = None) -> Screener:
    """The screener over every list stored in the workspace (its folder or database file; the default one when
    None), with the stored index when it is that of these lists (:func:`screener_of`). The workspace is open only
    while the lists and the index are fetched."""
    from pinchpoint.screening.store import _db_path, parse_payloads, stored_payloads

    db = _db_path(workspace)
    if not db.exists():
        from pinchpoint.errors import WorkspaceError

        raise WorkspaceError(f"no restricted-party lists in {db}: no workspace there yet",
                             what="restricted-party lists")
    with Workspace.open_reader(db, on_wait=on_wait) as ws:
        rows = stored_payloads(ws)
        payload, why = stored_index(ws, [(name, sha256_16(data)) for name, data in rows])
    return screener_of(parse_payloads(db, rows, None), payload, why)


def index_stored_lists(workspace: Path | None = None, on_wait: Callable[[str], None] | None = None) -> Screener:
    """Make sure the workspace holds the index of its stored lists (``lists load`` / ``lists update`` call this
    after storing): read as :func:`read_screener` does, and when that had to build, store what it built (unless
    the lists changed meanwhile: the next store indexes them). Returns the screener."""
    from pinchpoint.screening.store import _db_path, stored_payloads

    screener = read_screener(workspace, on_wait)
    if screener.origin == LOADED:
        return screener
    payload = pack(screener)  # before the workspace is opened for writing: readers wait only while it is stored
    with Workspace(_db_path(workspace), on_wait=on_wait) as ws:
        now = [(name, sha256_16(data)) for name, data in stored_payloads(ws)]
        if sorted(now) == sorted(_list_digests(screener.lists)):
            save_index(ws, screener, payload)
    return screener


__all__ = ["BUILT", "INDEX", "LOADED", "IndexUnusable", "build_stamp", "index_key", "index_stored_lists", "pack",
           "read_screener", "save_index", "screener_of", "stored_index", "unpack"]
