"""How strong a finding is: the distinctiveness of its reading, then what corroborates it.

The noisy-channel view an officer takes: a misspelt ordinary word, a name in an
address, a dictionary word in its plain sense or a mark named only to say what an
accessory fits are far more common than a disguised mark.  Each rule here is a small
pure function of the line's text that returns a named ``Reason`` (0 points: these
decide the verdict, not the score) or None:

- *weak* readings — a dictionary-word mark (``dictionary_word``), a two-character
  alias (``short_alias``), a misspelling that reads as a name (``name``) or as an
  ordinary word (``near_word``), ordinary words that join into the mark (``ordinary_words``), the first word of a mark alone, a mark
  after compatibility wording with goods in scope (``compatibility``), a coined mark
  after ``ATTN``/``CONSIGNEE`` (``party``);
- *plain* readings, where the ordinary reading clearly wins — the dictionary word used
  in its plain sense (``plain_sense``: ``IVORY COLOURED``, ``WHITE HERON DESIGN``,
  ``SPOT THE HERON``, a list of animals), on a line that says the goods
  carry no brand (``unbranded``), a weak reading after ``ATTN``/``CONSIGNEE``/``MADE IN``
  or in a street name (``party``, ``address``), a mark of one or two letters that begins
  a model number (``model_prefix``), a mark after ``FOR``/``FITS`` when the goods
  themselves are not in scope.

``cap`` then weighs them with the line's corroboration: the brand column, a
counterfeit signal or the deny list are decisive (the line says so itself); an origin
outside the authorized ones *and* a price below the floor together lift a weak reading
to ``hit``.  A plain reading without decisive corroboration is not flagged (``DROP``);
a weak one is at most ``review`` (``REVIEW``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from ..normalize import CACHE_SIZE
from .goods import compat_before
from .lexicon import english_words, is_name, is_word
from .records import Finding
from .scorer import Reason

DROP, REVIEW = "drop", "review"

# The line itself says it: these lift any reading (and are the only corroboration of a
# reading the noisy channel weakened: a misspelt goods word sits among goods of its
# kind, and cheap goods from anywhere are most goods).
DECISIVE = frozenset({"brand", "counterfeit_signal", "deny"})
# Together they lift a weak reading to hit.
SUPPORT = frozenset({"origin", "unit_value"})
WEAK = frozenset({"dictionary_word", "short_alias", "name", "ordinary_words", "near_word", "mostly_digits",
                  "first_word"})
PLAIN = frozenset({"plain_sense", "unbranded", "address", "model_prefix"})

# Words after a dictionary word that show its plain sense: a colour or shade, a motif,
# a style of garment part, the thing itself (English, Korean, Chinese, Japanese).
DESCRIPTORS = frozenset("""
    yellow orange green red white black blue pink purple violet brown grey gray gold golden silver
    ivory cream beige tan khaki navy peach coral olive lime mint lemon cherry rose
    colour colours color colors coloured colored colourway shade shades tone tones hue
    print prints printed pattern patterns patterned design designs motif motifs graphic graphics
    picture pictures image images illustration illustrations drawing drawings shape shaped
    figure figures embroidery embroidered silhouette cartoon
    fruit fruits flavour flavor flavoured flavored scent scented wood wooden
    neck necks neckline collar collars collared
    그림 무늬 모양 프린트 색 색상 컬러 캐릭터 图案 图 色 印花 花纹 柄 模様 イラスト プリント
""".split())
# A word after the mark that makes it a verb: <WORD> WHAT, <WORD> WHO.
VERB_OBJECTS = frozenset("what who whom whose where why how which when me you it us them him her".split())
# A word before the mark that makes it a common noun: THE HERON, NO-HERON, A HERON.
DETERMINERS = frozenset("the a an no this that these those my your our his her their its every".split())
# Words near the mark that say it is used as a brand.
BRAND_WORDS = frozenset("logo logos brand branded trademark genuine original authentic official".split())
CONJUNCTIONS = frozenset("and or & with".split())
FUNCTION_WORDS = frozenset("no or of to in on at by an as is it if so up".split())
UNBRANDED = re.compile(
    r"(?<![^\W_])(?:no[\s\-]+(?:logo|brand|label)s?|unbranded|non[\s\-]?branded|without\s+(?:a\s+)?(?:logo|brand)|"
    r"generic)(?![^\W_])|无品牌|無品牌|无牌|무브랜드|노브랜드|ノーブランド", re.IGNORECASE)
PARTY = re.compile(
    r"(?<![^\W_])(attn|attention|c/o|care\s+of|consignee|consignor|shipper|exporter|"
    r"notify(?:\s+party)?|deliver(?:ed|y)?\s+to|ship(?:ped)?\s+(?:to|from)|sold\s+to|bill\s+to|contact\s+person|"
    r"made\s+in|country\s+of\s+origin|origin|address)(?![^\W_])[\s:.\-]*"
    r"((?:mr|mrs|ms|dr)\.?\s+)?((?:[^\W\d_][\w'.&\-]*\s+){0,2})$",
    re.IGNORECASE)
# A Hangul, Chinese or Japanese word glued after an alias that makes it a street or district.
ADDRESS_SUFFIX = re.compile(r"(?:대로|로|길|동|면|읍|路|街|大道|通り)(?![^\W\d_])")
_PHRASE_END = re.compile(r"[,;()\[\]]|\s[-–]\s")
_WORD = re.compile(r"[^\W\d_]+")
_VISIBLY_SPLIT = re.compile(r"[^\W\d_]+(?:[ .,\-/]+[^\W\d_]+)+")
TYPO_NAMES = ("typo", "sounds_like")


class Text(NamedTuple):
    """The text around a finding in one field value."""

    value: str
    start: int
    end: int

    def phrase_before(self) -> str:
        before = self.value[:self.start]
        cut = max((m.end() for m in _PHRASE_END.finditer(before)), default=0)
        return before[cut:]

    def phrase_after(self) -> str:
        after = self.value[self.end:]
        m = _PHRASE_END.search(after)
        return after[:m.start()] if m else after


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _typo(finding: Finding) -> bool:
    return any(r.name in TYPO_NAMES for r in finding.reasons)


# ----------------------------------------------------------------- how distinctive the reading is

def dictionary_word(finding: Finding, mark_common: bool) -> Reason | None:
    """A one-word mark that is an ordinary word (or a registered rendering of one), or a
    two-character alias: distinctive only with corroboration."""
    form = finding.form
    if form.native:
        if len(form.key) <= 2:
            return Reason("short_alias", 0.0, f"alias {form.text} has two characters: it may be an ordinary word")
        if mark_common and form.kind == "alias":
            return Reason("dictionary_word", 0.0, f"alias {form.text} renders an ordinary word")
        return None
    if form.kind in ("mark", "alias") and form.common and form.words == 1:
        return Reason("dictionary_word", 0.0, f"{form.text} is also an ordinary word")
    return None


def name_reading(finding: Finding) -> Reason | None:
    """A misspelling that is itself a first name, surname, place or country: it reads
    as that name as closely as the mark (GABRIEL for a mark GABRIELO)."""
    if not _typo(finding):
        return None
    own = set(_words(finding.form.text))
    for word in _WORD.findall(finding.matched_text):
        if len(word) >= 3 and word.lower() not in own and is_name(word):
            return Reason("name", 0.0, f'"{finding.matched_text}" is also the name {word.title()}')
    return None


def ordinary_words(finding: Finding) -> Reason | None:
    """Words split across an ordinary word that join into a one-word mark (``SUN DOCK``
    for SUNDOCK, ``NOT EB`` for a mark NOTEB): more likely words than a spaced mark."""
    if finding.form.words != 1 or finding.form.native:
        return None
    parts = _WORD.findall(finding.matched_text)
    if len(parts) < 2 or not _VISIBLY_SPLIT.fullmatch(finding.matched_text):
        return None  # (split by a symbol, an entity or an invisible character: a disguise)
    words = english_words()
    if not any(len(p) >= 3 and p.lower() in words or p.lower() in FUNCTION_WORDS for p in parts):
        return None
    return Reason("ordinary_words", 0.0, f'ordinary words "{" ".join(parts).upper()}" join into the mark')


def near_word(finding: Finding) -> Reason | None:
    """A reading spelt otherwise than the mark (misspelt, misread, glued to other letters)
    that is an ordinary word, or one typing edit from one (``SOVEN``, one letter from
    WOVEN and from a mark SOVAEN): a typing error in a common word is far more likely
    than a disguised mark."""
    form = finding.form
    if form.native or form.words != 1:
        return None
    letters = "".join(_WORD.findall(finding.matched_text)).lower()
    if len(letters) < 4 or not letters.isascii() or letters == form.fold:
        return None
    word = _word_within_one_edit(letters)
    if word is None:
        return None
    return Reason("near_word", 0.0, f'"{finding.matched_text}" reads as the word {word.upper()} as closely as the mark')


_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=CACHE_SIZE)
def _word_within_one_edit(text: str) -> str | None:
    """An English word of four or more letters that ``text`` is, or is one edit from
    (remembered: a day's batch reads the same few misspellings on line after line, and
    each costs some 200 set look-ups)."""
    words = english_words()
    if text in words:
        return text
    splits = [(text[:i], text[i:]) for i in range(len(text) + 1)]
    for a, b in splits:
        candidates = [a + b[1:]] if b else []
        if len(b) > 1:
            candidates.append(a + b[1] + b[0] + b[2:])
        candidates += [a + c + b[1:] for c in _ALPHABET if b] + [a + c + b for c in _ALPHABET]
        for c in candidates:
            if len(c) >= 4 and c in words:
                return c
    return None


def model_prefix(finding: Finding, value: str) -> Reason | None:
    """A mark of one or two letters that is the letter prefix of a model number
    (``XY-12345``): model codes begin with two letters far more often than a mark."""
    if len(finding.form.key) > 2 or finding.form.native:
        return None
    if not MODEL_NUMBER.match(value, finding.end):
        return None
    return Reason("model_prefix", 0.0,
                  f'"{value[finding.start:finding.end]}" begins a model number: as likely a model code as the mark')


MODEL_NUMBER = re.compile(r"[\-_/]?\d{3,}")


# ----------------------------------------------------------------- what the words around it say

def plain_sense(text: Text, is_mark: Callable[[str], bool]) -> Reason | None:
    """The dictionary word read in its plain sense: before a colour, motif or style word
    (``IVORY COLOURED``, ``HERON DESIGN``, a collar style), as a verb (``<WORD> WHAT``),
    after a determiner (``THE HERON``, ``NO-…``), or as one item of a list of ordinary words."""
    word = text.value[text.start:text.end]
    after = _words(text.phrase_after())[:3]
    before = _words(text.phrase_before())
    if any(w in BRAND_WORDS for w in after + before[-2:]):
        return None
    if after and after[0] in VERB_OBJECTS:
        return _plain(word, after[:1], "used as a word")
    for i, w in enumerate(after):
        if w in DESCRIPTORS:
            if all(v in CONJUNCTIONS or v in english_words() for v in after[:i]):
                return _plain(word, after[:i + 1], "describes the goods")
            break
        if not (w in CONJUNCTIONS or w in english_words()):
            break
    if before and before[-1] in DETERMINERS:
        return _plain(word, before[-1:] + [""], "used as a common noun")
    return _listed(text, word, is_mark)


def _plain(word: str, context: list[str], why: str) -> Reason:
    shown = " ".join(c.upper() for c in context if c)
    phrase = f"{word} {shown}" if context and context[-1] else f"{shown} {word}"
    return Reason("plain_sense", 0.0, f'{word.upper()} in its plain sense ("{phrase.upper().strip()}"): {why}')


def _listed(text: Text, word: str, is_mark: Callable[[str], bool]) -> Reason | None:
    """One item of a list of ordinary words after a colon (``BIRD PRINT: EAGLE, HERON, OWL``)."""
    value = text.value
    colon = value.rfind(":", 0, text.start)
    if colon < 0:
        return None
    items = [i.strip() for i in re.split(r"[,;/]|\band\b|&", value[colon + 1:], flags=re.IGNORECASE)]
    items = [i for i in items if i]
    if len(items) < 3 or word.strip().upper() not in (i.upper() for i in items):
        return None
    others = [i for i in items if i.upper() != word.strip().upper()]
    if all(len(_WORD.findall(i)) == 1 and i.isalpha() and i.lower() in english_words() and not is_mark(i)
           for i in others):
        return Reason("plain_sense", 0.0, f'{word.upper()} in a list of ordinary words ("{", ".join(items).upper()}")')
    return None


def unbranded(description: str) -> Reason | None:
    """The line says the goods carry no brand (``NO LOGO``, ``无品牌``, ``무브랜드``)."""
    m = UNBRANDED.search(description)
    if m is None:
        return None
    return Reason("unbranded", 0.0, f'the line says the goods carry no brand ("{m.group()}")')


def party(text: Text) -> Reason | None:
    """The reading stands in a name or address: after ``ATTN``, ``CONSIGNEE``,
    ``SHIPPER``, ``DELIVER TO``, ``MADE IN``."""
    m = PARTY.search(text.phrase_before())
    if m is None or _in_handle(text):
        return None
    label = " ".join(m.group(1).split()).upper()
    return Reason("party", 0.0, f'after "{label}": a name or an address')


def _in_handle(text: Text) -> bool:
    """The mark stands inside a web address, e-mail address or shop handle (a token
    with ``@ . / _``): the seller's own name for the goods, not a person's."""
    value = text.value
    left = value.rfind(" ", 0, text.start) + 1
    right = value.find(" ", text.end)
    token = value[left:right if right >= 0 else len(value)]
    return any(c in token for c in "@/_") or "." in token.strip(".")


def address(text: Text, finding: Finding) -> Reason | None:
    """A registered alias glued to a street or district ending (``…대로``, ``…路``): a place."""
    if not finding.form.native:
        return None
    m = ADDRESS_SUFFIX.match(text.value, text.end)
    if m is None:
        return None
    return Reason("address", 0.0, f'"{text.value[text.start:m.end()]}" is a street or place name')


def compatibility(text: Text) -> Reason | None:
    """The mark after ``FOR``, ``COMPATIBLE WITH``, ``FITS``, ``REPLACEMENT … FOR``: it says
    what the goods fit, not what they are."""
    compat = compat_before(text.value, text.start)
    if compat is None:
        return None
    return Reason("compatibility", 0.0, f'mark after "{compat.wording}": says what the goods fit')


# ----------------------------------------------------------------- putting it together

def reasons_of(finding: Finding, field_name: str, description: str, mark_common: bool,
               is_mark: Callable[[str], bool]) -> list[Reason]:
    """The evidence reasons of one finding (see the module's docstring), text only."""
    out = distinctiveness(finding, mark_common)
    if field_name != "description":
        return out
    text = Text(description, finding.start, finding.end)
    rules = [model_prefix(finding, description)]
    if any(r.name in ("dictionary_word", "short_alias") for r in out):
        rules.append(plain_sense(text, is_mark) or unbranded(description))
    rules += [party(text), address(text, finding), compatibility(text)]
    weak = bool(out) or finding.form.kind == "first_word" or _typo(finding)
    for r in rules:
        if r is not None:
            # A weak or misspelt reading after ATTN/CONSIGNEE: the name or address wins.
            out.append(Reason("party_plain", r.points, r.text) if weak and r.name == "party" else r)
    return out


def distinctiveness(finding: Finding, mark_common: bool) -> list[Reason]:
    """The reasons that make a reading weak, on its own text."""
    out = [r for r in (dictionary_word(finding, mark_common), name_reading(finding), ordinary_words(finding),
                       mostly_digits(finding))
           if r is not None]
    if not out:
        word = near_word(finding)
        if word is not None:
            out.append(word)
    return out


def mostly_digits(finding: Finding) -> Reason | None:
    """A reading with more digits read as letters than letters (``M 154`` for a mark
    MISA): a size or a number far more likely than a disguised mark."""
    text = finding.matched_text
    digits = sum(c.isdigit() for c in text)
    if digits <= sum(c.isalpha() for c in text):
        return None
    return Reason("mostly_digits", 0.0, f'"{text}" is mostly digits: as likely a number as the mark')


def cap(reasons, goods_in_scope: bool) -> str | None:
    """What the evidence allows: ``DROP`` (not flagged), ``REVIEW`` (at most review) or
    None (the score decides).  ``reasons``: the finding's reasons with the line's context
    reasons; ``goods_in_scope``: the line's HS code, or its description, puts the goods
    in the recordation's scope.  A reading the noisy channel weakened
    (``rules.common_word_typo``) is reviewed at most: an everyday word's only with
    ``DECISIVE`` corroboration, else not flagged."""
    names = {r.name for r in reasons}
    allowed = _distinctiveness_cap(names, goods_in_scope)
    if allowed == DROP:
        return DROP
    if "common_word" in names:
        return REVIEW if names & DECISIVE else DROP
    return REVIEW if "goods_word" in names else allowed


def _distinctiveness_cap(names: set[str], goods_in_scope: bool) -> str | None:
    if names & DECISIVE:
        return None
    if names & PLAIN or "party_plain" in names or "compatibility" in names and not goods_in_scope:
        return DROP
    if names & WEAK:
        return None if SUPPORT <= names else REVIEW
    if "party" in names or "compatibility" in names:
        return REVIEW
    return None
