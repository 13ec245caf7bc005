"""Feed text read as a person reads it: the variants of a span that the span search reads
besides its words as written, and findings in decoded text put back where they stand.

- a symbol glued before a span or a "!" after it ("@MARK", "$MARK", "MARK!");
- a plural or possessive of its last word ("MARKS", "MARKES", "MARKIES");
- (in ``normalize.read_entities``) HTML character references, decoded before the search,
  whose findings ``as_written`` moves back to the text as written.
"""

from __future__ import annotations

import re

from ..normalize import GLUED_SYMBOLS, plain
from .lexicon import is_word
from .records import Finding, Reading
from .scorer import text_points


def without_glued_symbol(parts: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """A span without the symbol glued before its first word or the "!" after its last
    ("@MARK" → "MARK"), and the symbol(s) taken off ("" when none)."""
    first, last = parts[0], parts[-1]
    lead = first[:1] if len(first) > 2 and first[0] in GLUED_SYMBOLS else ""
    trail = "!" if len(last) > 2 and last.endswith("!") and not (len(parts) == 1 and lead == "!") else ""
    if not lead and not trail:
        return parts, ""
    out = list(parts)
    out[0] = out[0][len(lead):]
    out[-1] = out[-1][:len(out[-1]) - len(trail)]
    return tuple(out), lead or trail


def singulars(parts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The span with its last word read as a plural or possessive made singular
    (``MARKS`` → ``MARK``, ``MARKES`` → ``MARK``, ``MARKIES`` → ``MARKY``); none when that
    word is an ordinary one or ends in no S."""
    last = parts[-1]
    if len(last) < 3 or last[-1] not in "sS" or last[-2:] in ("ss", "SS") or is_word(plain(last)):
        return []
    stems = [last[:-1]]
    if len(last) > 4 and last[-2] in "eE":
        stems.append(last[:-2])
        if last[-3] in "iI":
            stems.append(last[:-3] + ("y" if last[-3] == "i" else "Y"))
    return [parts[:-1] + (stem,) for stem in stems]


# A number after a hyphen: "XX-4958" is a model or reference code.
_CODE_TAIL = re.compile(r"-\d+(?!\w)")


def code_prefix(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is the letters of a code such as ``XX-4958``: a
    hyphen and a number follow it, and no letter or digit stands before it.  A short
    mark read there would be read in every such code of a batch."""
    if start > 0 and text[start - 1].isalnum():
        return False
    return _CODE_TAIL.match(text, end) is not None


def not_code(readings, text: str, last: int, end: int, multi: bool):
    """The ``readings`` of a span ending at ``end`` (its last word begins at ``last``)
    that are not the letters of a code: a short mark read in ``XX-4958``, and any
    reading of words whose last (of three characters or fewer) is such letters
    ("NO. TA-74272" is no mark NOTA)."""
    if not code_prefix(text, last, end) or multi and end - last > 3:
        return readings
    return [r for r in readings if multi is False and not r.form.short]


def as_written(found: list[Finding], text: str, starts: tuple[int, ...], ends: tuple[int, ...]) -> list[Finding]:
    """Findings in a decoded text moved back to the text as written (``starts``/``ends``:
    where each decoded character begins and ends in ``text``)."""
    out = []
    for f in found:
        start, end = starts[f.start], ends[f.end - 1]
        out.append(f._replace(start=start, end=end, matched_text=text[start:end]))
    return out


def closest(readings) -> list[Reading]:
    """The closest reading of each form among ``readings`` (the first of equals)."""
    best: dict[int, Reading] = {}
    for reading in readings:
        prev = best.get(id(reading.form))
        if prev is None or text_points(reading.reasons) > text_points(prev.reasons):
            best[id(reading.form)] = reading
    return list(best.values())
