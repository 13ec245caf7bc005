"""Candidate retrieval: an index over the comparison keys of every recorded form.

Every mark and alias gives one or more *forms* (the mark itself, its registered
aliases, the mark cut short). Forms are found by exact look-alike key, by a
deletion neighbourhood within the mark's edit budget (SymSpell-style, so no
first-letter blocking), by sound-alike key, and — for aliases in Hangul, Chinese or
Japanese — by substring inside unspaced text. Retrieval only proposes; the scorer
decides.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import hmac
import marshal
import os
import re
import stat
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..gctuning import cycle_collector_paused
from ..models import MARK_MAX_CHARS, Recordation
from ..normalize import CACHE_SIZE, has_cjk, phonetic, plain, skeleton
from .features import MISREAD  # letters easily misread: one table, in features
from .lexicon import is_word

# Shortest last-word stub kept when a multi-word mark is cut short ("KLAVORA BENT").
TRUNCATE_MIN = 4
# A first word standing for the whole mark must be at least this long and not a word.
FIRST_WORD_MIN = 6


def edit_budget(length: int) -> int:
    """How many typing edits a mark of ``length`` look-alike letters may carry."""
    if length <= 3:
        return 0
    if length <= 8:
        return 1
    return 2


# A form whose look-alike key has this many characters or fewer is *short*: it matches
# its exact key only, and a flag of it needs corroboration.
SHORT_KEY = 3


def is_short(key: str) -> bool:
    """A short form (see ``SHORT_KEY``); ``recordation lint`` warns of such marks."""
    return len(key) <= SHORT_KEY


def is_common(text: str) -> bool:
    """Made only of dictionary words (GOLDEN PEAR, BLUE OCEAN): a flag of such a (Latin)
    form needs corroboration, and ``recordation lint`` warns of such marks."""
    return all(is_word(plain(w)) for w in text.replace("-", " ").split() if plain(w))


@dataclass(frozen=True)
class Form:
    """One searchable form of a recordation's mark."""

    rec: int            # position of the recordation in the matcher's list
    text: str           # as registered, e.g. "KLAVORA BENTI", "卓维"
    kind: str           # "mark", "alias", "truncated", "first_word"
    key: str            # look-alike skeleton, separators removed
    fold: str           # folded letters and digits, separators removed
    phon: str           # sound-alike key
    words: int          # number of words in the form
    common: bool        # made only of dictionary words (GOLDEN PEAR, BLUE OCEAN)
    native: bool        # written in Hangul / CJK / kana

    @property
    def short(self) -> bool:
        """Very short forms match exact keys only (``is_short``)."""
        return is_short(self.key)


def deletions(key: str, depth: int) -> set[str]:
    """Every string obtained by deleting up to ``depth`` characters from ``key`` (and
    at least one left)."""
    out = {key}
    n = len(key)
    depth = min(depth, n - 1)
    if depth >= 1:
        ones = [key[:i] + key[i + 1:] for i in range(n)]
        out.update(ones)
        if depth >= 2:  # each pair of places once: place i < j deleted from the key without j
            out.update([v[:i] + v[i + 1:] for j, v in enumerate(ones) for i in range(j)])
    if depth >= 3:
        frontier = {v for v in out if len(v) == n - 2}
        for _ in range(depth - 2):
            frontier = {v[:i] + v[i + 1:] for v in frontier for i in range(len(v))}
            out |= frontier
    return out




_DOUBLED = re.compile(r"(.)\1")  # a key with a letter doubled


def undouble(key: str) -> str:
    """The key with doubled letters written once: ``zorrvvex`` → ``zorvex``."""
    out = []
    for ch in key:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def forms_of(rec_index: int, rec: Recordation) -> list[Form]:
    """The searchable forms of one recordation: mark, aliases, and the mark cut short."""
    out: list[Form] = []
    seen: set[tuple[str, str]] = set()

    def add(text: str, kind: str) -> None:
        text = text.strip()
        if not text or len(text) > MARK_MAX_CHARS:  # (stored before the limit: see models)
            return
        native = has_cjk(text)
        key = plain(text) if native else skeleton(text)
        if not key or (key, kind) in seen:
            return
        seen.add((key, kind))
        words = text.replace("-", " ").split()
        out.append(Form(rec_index, text, kind, key, plain(text), phonetic(text),
                        len(words), not native and is_common(text), native))

    add(rec.mark, "mark")
    for alias in rec.aliases:
        add(alias, "alias")
    for text in (rec.mark, *[a for a in rec.aliases if not has_cjk(a)]):
        words = text.replace("-", " ").split()
        if len(words) < 2:
            continue
        head = " ".join(words[:-1])
        last = plain(words[-1])
        for cut in range(TRUNCATE_MIN, len(last)):
            add(f"{head} {last[:cut].upper()}", "truncated")
        first = plain(words[0])
        if len(first) >= FIRST_WORD_MIN and not is_word(first):
            add(words[0], "first_word")
    return out


def _deletion_index(forms: list[Form]) -> dict[str, str | tuple[str, ...]]:
    """Every deletion variant of every (Latin) mark key, to the key it comes from, or
    the keys (sorted) when several do."""
    by_delete: dict[str, str | set[str]] = {}
    setdefault = by_delete.setdefault
    done: set[str] = set()
    for form in forms:
        key = form.key
        if form.native or key in done:
            continue
        done.add(key)
        variants = deletions(key, edit_budget(len(key)))
        single = undouble(key)
        if single != key:
            variants |= deletions(single, 1)
        misread = key.translate(MISREAD)
        if misread != key:
            variants |= deletions(misread, 1)
        for d in variants:
            prev = setdefault(d, key)
            if prev is not key and prev != key:
                if prev.__class__ is str:
                    by_delete[d] = {prev, key}
                else:
                    prev.add(key)
    shared = [(d, tuple(sorted(keys))) for d, keys in by_delete.items() if keys.__class__ is set]
    by_delete.update(shared)  # a tuple of two costs a quarter of a set's memory
    return by_delete  # type: ignore[return-value]


# ----------------------------------------------------------------------------- cache
#
# Building the index of 100,000 recordations takes longer than screening a large file
# against it, and that of 10,000 takes 0.4 s where loading it takes 0.15 s (before any
# worker can start), so a large index is kept in the per-user cache directory, named by a
# digest of everything it is built from: the marks and aliases in store order and the
# source of the code (and word list) that derives forms and keys.  A changed
# recordation, a new version or a corrupt file simply means building again.  Small
# stores (every test) never touch the cache.
#
# The cache is not trusted as found (issue 19: a forged file silently removed a mark's
# forms).  Each file is sealed with a keyed BLAKE2b digest whose secret is kept in the
# store (``IndexCache.key``); a file that is not sealed with it, or whose content is not
# of the expected shape, is built again.  The directory must be the user's own, not a
# link and not writable by group or others; else the cache is not used at all.

CACHE_MIN_RECORDATIONS = 5_000
# Indexes kept (the most recently used): a nightly job may screen against more than one store.
CACHE_KEEP = 3
_CACHE_FORMAT = 3
_MAGIC = b"ipr-index-3\n"
_SEAL_BYTES = 32


@dataclass(frozen=True)
class IndexCache:
    """Where a large index may be kept between runs, and the secret (kept in the store)
    its files are sealed with.  ``MarkIndex`` uses no cache without one."""

    path: Path
    key: bytes


def cache_dir_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` must not hold the index cache (None when it may, or does not exist yet)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be examined ({exc.strerror or exc})"
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a directory"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return f"{path} belongs to another user"
    if st.st_mode & 0o022:
        return f"{path} is writable by group or others (chmod go-w {path})"
    return None


def _seal(key: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(payload, key=key[:64], digest_size=_SEAL_BYTES, person=b"ipr-index").digest()


def _cache_path(cache_dir: Path, recordations: list[Recordation]) -> Path:
    digest = hashlib.sha256(f"ipr-index-{_CACHE_FORMAT}\n".encode())
    here = Path(__file__).resolve().parent
    for source in (here / "index.py", here / "features.py", here / "lexicon.py", here.parent / "normalize.py"):
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(source.name.encode())
    # Text, not marshal: marshal's bytes depend on how objects happen to be shared.
    for r in recordations:
        digest.update("\x1f".join((r.mark, *r.aliases)).encode("utf-8", "surrogatepass") + b"\x1e")
    return cache_dir / f"index-{digest.hexdigest()[:32]}.marshal"


def _load_cache(path: Path, key: bytes):
    """The cached ``(forms, by_delete)``, or None when the file is missing, not sealed
    with ``key`` or not of the expected shape."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as f:
            data = f.read()  # one read: marshal.load(f) is slower
    except OSError:
        return None
    head = len(_MAGIC) + _SEAL_BYTES
    if not data.startswith(_MAGIC) or len(data) < head:
        return None
    payload = memoryview(data)[head:]
    if not hmac.compare_digest(data[len(_MAGIC):head], _seal(key, payload)):
        return None
    try:
        with cycle_collector_paused():
            forms, by_delete = marshal.loads(payload)
            forms = [Form(*t) for t in forms]
        if by_delete.__class__ is not dict or not all(
                f.rec.__class__ is int and f.words.__class__ is int and f.text.__class__ is f.key.__class__ is f.fold.__class__
                is f.phon.__class__ is f.kind.__class__ is str for f in forms):
            return None
        for value in by_delete.values():  # (the shape, cheaply: a key, or a tuple of keys)
            if value.__class__ is not str and value.__class__ is not tuple:
                return None
    except (EOFError, ValueError, TypeError, AttributeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used now: kept before indexes used longer ago
    from ..tempfiles import sweep

    sweep(str(path.parent), "index")  # what a killed save left behind
    return forms, by_delete


def _save_cache(path: Path, key: bytes, forms: list[Form], by_delete: dict) -> None:
    """Write atomically, sealed, readable by the owner only; keep only the ``CACHE_KEEP``
    indexes used last (disk is bounded)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if cache_dir_problem(path.parent):
            return
        rows = [(f.rec, f.text, f.kind, f.key, f.fold, f.phon, f.words, f.common, f.native) for f in forms]
        payload = marshal.dumps((rows, by_delete))
        from ..tempfiles import create, sweep

        sweep(str(path.parent), "index")  # what a killed save left behind
        fd, tmp = create(str(path.parent), "index")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + _seal(key, payload))
                f.write(payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        others = []
        for old in path.parent.glob("index-*.marshal"):
            if old != path:
                with contextlib.suppress(OSError):
                    others.append((old.stat().st_mtime, old))
        for _, old in sorted(others, reverse=True)[CACHE_KEEP - 1:]:
            with contextlib.suppress(OSError):
                old.unlink()
    except OSError:
        pass  # a cache that cannot be written is only a slower next run


class MarkIndex:
    """Look-up structures over all forms: exact key, deletions, sound-alike, native text."""

    def __init__(self, recordations: Iterable[Recordation], cache_dir: IndexCache | None = None) -> None:
        recordations = list(recordations)
        cached = None
        path = None
        if (isinstance(cache_dir, IndexCache) and cache_dir.key and len(recordations) >= CACHE_MIN_RECORDATIONS
                and cache_dir_problem(cache_dir.path) is None):
            path = _cache_path(Path(cache_dir.path), recordations)
            cached = _load_cache(path, cache_dir.key)
        if cached is None:
            self.forms: list[Form] = [f for i, rec in enumerate(recordations) for f in forms_of(i, rec)]
            # Deletion variant -> the mark key it comes from (the key's own string), or a
            # sorted tuple of the keys when several do, a quarter of a set's memory:
            # memory decides whether 100,000 recordations fit in a small machine.
            self.by_delete: dict[str, str | tuple[str, ...]] = _deletion_index(self.forms)
            if path is not None:
                _save_cache(path, cache_dir.key, self.forms, self.by_delete)
        else:
            self.forms, self.by_delete = cached
        self.by_key: dict[str, list[Form]] = defaultdict(list)
        self.by_phon: dict[str, set[str]] = defaultdict(set)
        self.native: dict[str, list[Form]] = defaultdict(list)
        for form in self.forms:
            if form.native:
                self.native[form.key].append(form)
                continue
            self.by_key[form.key].append(form)
            if len(form.key) >= 4:
                self.by_phon[form.phon].add(form.key)
        self.alphabet = frozenset("".join(self.by_key))  # (and ``strange``: see below)
        self._sorted_keys = sorted(self.by_key)
        self.max_len = max((len(k) for k in self.by_key), default=0)
        self.native_lengths = sorted({len(k) for k in self.native}, reverse=True)
        self.max_words = max((f.words for f in self.forms), default=1)
        self._cand_cache: dict[tuple[str, str], frozenset[str]] = {}
        # Words of multi-word marks ("balance", "north"): a joined span may contain them.
        self.mark_words = frozenset(
            plain(w) for f in self.forms if f.words > 1 for w in f.text.replace("-", " ").split()
        )

    @property
    def alphabet(self) -> frozenset[str]:
        """The characters some mark key has (a rescreen's matcher is given the whole
        register's: see rescreen.RegisterLimits)."""
        return self._alphabet

    @alphabet.setter
    def alphabet(self, chars: frozenset[str]) -> None:
        self._alphabet = frozenset(chars)
        # Deletes the alphabet's characters: what is left of a key are those no mark
        # key has (counted in C, for every new word: see ``_candidates``).
        self.strange = str.maketrans(dict.fromkeys(self._alphabet))

    def candidates(self, key: str, phon: str) -> set[str]:
        """Mark keys that may lie within their edit budget of ``key`` (or sound like it)."""
        cached = self._cand_cache.get((key, phon))
        if cached is None:
            if len(self._cand_cache) > CACHE_SIZE:
                self._cand_cache.clear()
            cached = self._candidates(key, phon)
            self._cand_cache[(key, phon)] = cached
        return set(cached)

    def _candidates(self, key: str, phon: str) -> frozenset[str]:
        out: set[str] = set()
        if not key:
            return frozenset()
        depth = 2 if len(key) >= 8 else 1
        by_delete = self.by_delete
        # A variant keeping a character that no mark key has cannot be a deletion of a
        # mark key: a key with more such characters (model numbers, sizes) than it may
        # delete needs no variants at all.  Same result, less work.
        # (Counted in C: ``_strange`` deletes the alphabet's characters.)
        strange_of = self.strange
        strange = len(key.translate(strange_of))
        variants = deletions(key, depth) if strange <= depth else set()
        single = undouble(key) if _DOUBLED.search(key) is not None else key
        if single != key and (strange <= 1 or len(single.translate(strange_of)) <= 1):
            variants |= deletions(single, 1)  # a doubled letter on top of another slip
        misread = key.translate(MISREAD)
        if misread != key and len(misread.translate(strange_of)) <= 1:
            variants |= deletions(misread, 1)  # look-alike letters (c for e) on top of another slip
        for d in by_delete.keys() & variants:  # (the variants looked up in C)
            hit = by_delete[d]
            if hit.__class__ is str:
                out.add(hit)
            else:
                out.update(hit)
        hit = self.by_phon.get(phon)
        if hit:
            out |= hit
        return frozenset(out)

    def begins_key(self, text: str) -> bool:
        """True when some (Latin) mark key begins with ``text``."""
        keys = self._sorted_keys
        at = bisect.bisect_left(keys, text)
        return at < len(keys) and keys[at].startswith(text)

    def native_in(self, text: str) -> list[tuple[int, int, Form]]:
        """Native-script aliases inside ``text`` (folded, unspaced): (start, end, form)."""
        found: list[tuple[int, int, Form]] = []
        n = len(text)
        for length in self.native_lengths:
            for i in range(0, n - length + 1):
                forms = self.native.get(text[i:i + length])
                if forms:
                    found.extend((i, i + length, f) for f in forms)
        return found
