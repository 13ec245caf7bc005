"""Counterfeit signals: the words sellers of counterfeit goods use to say so.

``signals_in(text)`` names the signals of ``data/counterfeit-signals.csv`` that a field
value carries (``REPLICA``, ``1:1``, ``MIRROR GRADE``, ``짝퉁``, ``高仿``, ``スーパーコピー``),
as the table spells them, in table order.  The matcher reads them only on a line that
carries a mark (a context rule, ``rules.counterfeit_signal``): a signal alone flags
nothing.  Latin signals match whole words, case-insensitively, a space and a hyphen
alike; Hangul, Chinese and kana ones match anywhere.  A signal inside one of its
``unless`` phrases (``AAA BATTERIES``, ``FAKE FUR``, ``仿真``) is an ordinary trade word.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from ..normalize import CACHE_SIZE, fold, has_cjk, read_entities


class SignalTable(NamedTuple):
    pattern: re.Pattern[str]        # any signal, longest first
    unless: re.Pattern[str] | None  # any phrase in which a signal is an ordinary word
    names: dict[str, str]           # folded signal (separators as one space) -> as the table spells it


def _phrase(text: str) -> str:
    """A regular expression for one folded phrase: whole words for Latin text, a space
    or hyphen matching any run of spaces and hyphens."""
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", text.strip()) if p]
    body = r"[\s\-]+".join(parts)
    if has_cjk(text):
        return body
    return r"(?<![^\W_])" + body + r"(?![^\W_])"


def _key(text: str) -> str:
    return " ".join(re.split(r"[\s\-]+", fold(text).strip()))


@lru_cache(maxsize=1)
def table() -> SignalTable:
    """The signal table, compiled (read once)."""
    text = (resources.files("ipr_cli") / "data" / "counterfeit-signals.csv").read_text(encoding="utf-8-sig")
    names: dict[str, str] = {}
    unless: list[str] = []
    for row in csv.DictReader(text.splitlines()):
        signal = (row.get("signal") or "").strip()
        if not signal:
            continue
        names.setdefault(_key(signal), signal)
        unless.extend(p for p in (row.get("unless") or "").split("|") if p.strip())
    by_length = sorted(names, key=lambda k: (-len(k), k))
    pattern = re.compile("|".join(_phrase(k) for k in by_length))
    quiet = sorted({_key(p) for p in unless}, key=lambda k: (-len(k), k))
    return SignalTable(pattern, re.compile("|".join(_phrase(p) for p in quiet)) if quiet else None, names)


@lru_cache(maxsize=CACHE_SIZE)
def signals_in(text: str) -> tuple[str, ...]:
    """The counterfeit signals ``text`` carries, as the table spells them, each once."""
    if not text:
        return ()
    signals = table()
    decoded = read_entities(text)  # as a browser shows it: "&#82;EPLICA"
    folded = fold(decoded[0] if decoded else text)
    if _first_words().search(folded) is None:
        return ()  # (the table's expression is slow: a text without a signal's first word is done)
    if signals.unless is not None:
        folded = signals.unless.sub(lambda m: " " * len(m.group()), folded)
    found = [signals.names.get(_key(m.group()), m.group().upper()) for m in signals.pattern.finditer(folded)]
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1)
def _first_words() -> re.Pattern[str]:
    """Any first word of a signal, folded, anywhere in a text (one search for all of
    them): a text in which none stands carries no signal (blanking ``unless`` phrases
    only takes words away)."""
    return re.compile("|".join(re.escape(w) for w in sorted({key.split(" ")[0] for key in table().names})))
