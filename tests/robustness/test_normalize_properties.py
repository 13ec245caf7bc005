"""Properties of the normalisation steps (ipr_cli.normalize) over any text at all:
they never raise, applying one twice changes nothing, and output length stays bounded."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipr_cli import normalize as N

FUZZ = int(os.environ.get("IPR_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=FUZZ or 400, deadline=None, derandomize=not FUZZ)

# Any code point (lone surrogates included), with extra weight on what disguises marks:
# look-alikes, full-width and compatibility forms, combining marks, CJK, ligatures.
TRICKY = "N1KE0O|l!$@€ﬁﬀŉǄǅǆßẞİıΣςσНІКЕΝΙΚΕＮｉｋｅ耐克나이키ナイキ\u0301\u0345\u0307\u200b\u202e\ufdfa\u3300㍿ﷺ𝐍𝐈𝐊𝐄\u16809"
TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=30),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=30),
    st.lists(st.sampled_from(["rn", "vv", "cl", "ph", "ck", "x", "ee", "ie ", "zz", "NIKE", " ", "-", "."]),
             max_size=12).map("".join),
)

KEYS = {
    "fold": N.fold,
    "plain": N.plain,
    "letters_of": N.letters_of,
    "skeleton": N.skeleton,
    "phonetic": N.phonetic,
}
# The most one character can become: NFKC expands U+FDFA to 18 characters, and a letter
# spelled out by anyascii takes up to 17; phonetic turns each x into ks.
GROWTH = {"fold": 18, "plain": 18, "letters_of": 18 * 17, "skeleton": 18 * 17, "phonetic": 2 * 18 * 17}


@SETTINGS
@given(text=TEXT)
def test_normalisation_never_raises_and_returns_text(text):
    for name, key in KEYS.items():
        assert isinstance(key(text), str), name
    variants = N.skeleton_variants(text)
    assert variants and variants[0] == N.skeleton(text)
    assert N.has_cjk(text) == any(N.is_cjk(ch) for ch in text)  # the fast search agrees with the rule
    for ch in text[:5]:
        assert isinstance(N.script_name(ch), str) and isinstance(N.char_letter(ch), str)


@pytest.mark.parametrize("name", list(KEYS))
@SETTINGS
@given(text=TEXT)
def test_normalisation_is_idempotent(name, text):
    key = KEYS[name]
    once = key(text)
    assert key(once) == once


@SETTINGS
@given(text=TEXT)
def test_normalised_length_stays_within_bounds(text):
    n = len(text)
    for name, key in KEYS.items():
        assert len(key(text)) <= GROWTH[name] * n, name
    assert len(N.plain(text)) <= len(N.fold(text))
    assert len(N.skeleton(text)) == len(N.letters_of(text))  # a per-letter class merge
    for variant in N.skeleton_variants(text):
        assert len(variant) <= len(N.letters_of(text))
    if not text:
        assert all(key("") == "" for key in KEYS.values())


@SETTINGS
@given(text=TEXT)
def test_atoms_are_ordered_disjoint_non_empty_spans_of_the_text(text):
    spans = N.atoms(text)
    end = 0
    for start, stop in spans:
        assert end <= start < stop <= len(text)
        end = stop


@pytest.mark.parametrize("text", ["ß\u0301", "ẞ\u0301"])
def test_fold_is_idempotent_after_casefold_expansion(text):
    """Found by the idempotence property: casefold can undo NFKC."""
    assert N.fold(N.fold(text)) == N.fold(text)
