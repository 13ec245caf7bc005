"""Reading noisy text (issue 13): the noisy-channel step (a misspelt common word is not a
disguised mark), vowels left out of long marks, marks glued to model codes, and the
letters of a code.  Marks are invented (see test_matching.py)."""

from __future__ import annotations

import pytest

from ipr_cli.matching import Matcher
from ipr_cli.matching.lexicon import near_words
from ipr_cli.matching.noisy import slips, vowels_dropped
from ipr_cli.models import Verdict
from test_matching import TODAY, line, rec

RECS = [
    rec("R-PARTEX", "PARTEX", hs_scope=("8479",)),                  # one letter from PARTX (PARTS mistyped)
    rec("R-LINEBA", "LINEBA", hs_scope=("6302",)),                # one letter from LINEN
    rec("R-TOLLAREX", "TOLLAREX", hs_scope=("9102",)),
    rec("R-FLOMBERI", "FLOMBERI", hs_scope=("6403",)),
    rec("R-VESTORANIKA", "VESTORANIKA", hs_scope=("9504",)),
    rec("R-BRIXO", "BRIXO", hs_scope=("9503",)),
    rec("R-QZN", "QZN", hs_scope=("8518",)),
    rec("R-KZ", "KZ", hs_scope=("8528",)),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(RECS)


def hit_of(m: Matcher, description: str, rid: str, hs: str, brand: str = ""):
    for h in m.screen(line(description, hs, brand=brand), TODAY).hits:
        if h.recordation_id == rid:
            return h
    return None


# ------------------------------------------------------------------ the noisy channel

@pytest.mark.parametrize("text, rid, hs", [
    ("MACHINES PARTX AND ACCESSORIES", "R-PARTEX", "847990"),      # PARTS mistyped
    ("TOILET AND KITCHEN LINEA OF COTTON", "R-LINEBA", "630260"),  # LINEN mistyped
])
def test_a_mistyped_common_word_is_not_read_as_a_mark(matcher, text, rid, hs):
    assert hit_of(matcher, text, rid, hs) is None


def test_the_same_word_in_the_brand_column_is_sent_to_review_with_the_word_named(matcher):
    h = hit_of(matcher, "MACHINES AND ACCESSORIES", "R-PARTEX", "847990", brand="PARTX")
    assert h is not None and h.verdict is Verdict.REVIEW
    assert any(r.startswith("reads as the common word") and r.endswith("mistyped as closely as PARTEX")
               for r in h.reasons)
    assert "common_word" in h.reason_codes


def test_a_typo_nearer_the_mark_than_any_word_is_still_a_hit(matcher):
    h = hit_of(matcher, "TOLLAERX WRIST WATCHES", "R-TOLLAREX", "910211")   # two letters swapped
    assert h is not None and h.verdict is Verdict.HIT
    assert not any("common word" in r for r in h.reasons)


def test_a_classic_slip_is_nearer_than_a_plain_edit():
    assert slips("rollex", "rolex") < slips("rollex", "roller")
    assert slips("hemres", "hermes") < slips("hemres", "heres")


def test_common_words_include_names_and_goods_words():
    assert (0, "boston") in near_words("boston", 0)
    assert (1, "parts") in near_words("partx", 1)
    assert (1, "relax") not in near_words("rolax", 1)  # a misspelt span: goods words only
    assert (1, "filament") in near_words("filamenu", 1)


def test_a_mistyped_word_glued_to_nothing_is_not_a_mark_glued_to_an_affix(matcher):
    # BRIXO + "LAYERS" would be a mark glued to a goods word; "BRIXLAYERS" is BRICKLAYERS mistyped.
    assert hit_of(matcher, "TOY BRIXOLAYERS PLASTIC", "R-BRIXO", "950300") is not None
    assert hit_of(matcher, "TOY BRIXLAYERS PLASTIC", "R-BRIXO", "950300") is None


# ------------------------------------------------------------------ vowels left out

@pytest.mark.parametrize("text, rid, hs, verdict", [
    ("FLMBRI LEATHER BOOTS", "R-FLOMBERI", "640391", Verdict.HIT),         # O, E dropped: budget + 1
    ("VSTRNK CARD GAME", "R-VESTORANIKA", "950440", None),                    # too many
    ("VSTRANKA CARD GAME", "R-VESTORANIKA", "950440", Verdict.HIT),          # E, O, I dropped: budget + 1
])
def test_vowels_left_out_of_a_long_mark(matcher, text, rid, hs, verdict):
    h = hit_of(matcher, text, rid, hs)
    if verdict is None:
        assert h is None
        return
    assert h is not None
    assert any("vowels left out" in r for r in h.reasons)


def test_vowels_dropped_counts_only_vowels():
    assert vowels_dropped("swrvski", "swarovski") == 2
    assert vowels_dropped("swrvki", "swarovski") == 0      # a consonant dropped too
    assert vowels_dropped("wrvski", "swarovski") == 0      # the first letter dropped


# ------------------------------------------------------------------ model codes

@pytest.mark.parametrize("text, rid, hs", [
    ("BRIXO42143 BUILDING SET", "R-BRIXO", "950300"),      # a model number glued
    ("BRIXOSERIESX BUILDING SET", "R-BRIXO", "950300"),    # a series word and a model letter
    ("QZNFLIP6 PORTABLE SPEAKER", "R-QZN", "851822"),       # a three-letter mark before a model name
])
def test_a_mark_glued_to_a_model_code_is_found(matcher, text, rid, hs):
    assert hit_of(matcher, text, rid, hs) is not None


@pytest.mark.parametrize("text", ["ELECTRICAL CAPACITORS KZ-10434 SIZE S", "TELEVISION SETS OF KZ-4958"])
def test_the_letters_of_a_code_are_not_a_short_mark(matcher, text):
    assert hit_of(matcher, text, "R-KZ", "852872") is None
    assert hit_of(matcher, "KZ TELEVISION 55 INCH", "R-KZ", "852872") is not None


def test_a_three_letter_mark_glued_to_a_code_is_not_read(matcher):
    assert hit_of(matcher, "DESKTOP BOARD QZNA1700", "R-QZN", "851822") is None
