"""Normalisation steps: each with cases that must match and cases that must not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipr_cli.normalize import (
    atoms,
    char_table,
    fold,
    has_cjk,
    phonetic,
    plain,
    script_name,
    skeleton,
    skeleton_variants,
    words,
)


def test_fold_handles_case_and_fullwidth():
    assert fold("Ｚｏｒｖｅｘ") == "zorvex"
    assert fold("ZORVEX") == fold("zorvex")


def test_fold_keeps_distinct_words_apart():
    assert fold("ZORVEX") != fold("ZORVEN")


def test_plain_drops_separators():
    assert plain("Z.O.R-V E_X") == "zorvex"
    assert plain("ZORVEX") != plain("ZORVEX2")


def test_skeleton_reads_digits_and_symbols_as_letters():
    assert skeleton("Z0RV3X") == skeleton("ZORVEX")
    assert skeleton("KL@V$RA") == skeleton("KLAVSRA")
    assert skeleton("N1KE") == skeleton("NIKE") == skeleton("NLKE")


def test_skeleton_reads_cyrillic_and_greek_lookalikes():
    assert skeleton("ZОRVЕX") == skeleton("ZORVEX")      # Cyrillic О and Е
    assert skeleton("ΖΟRVΕΧ") == skeleton("ZORVEX")      # Greek capitals
    assert skeleton("COΝVERЅE") == "converse"            # Greek capital Nu is N, not v


def test_skeleton_does_not_merge_different_letters():
    assert skeleton("ZORVEX") != skeleton("ZORBEX")
    assert skeleton("PUMPS") != skeleton("PUMA")


def test_skeleton_variants_read_letter_pairs_as_one():
    assert "zorvem" in skeleton_variants("zorvern")       # rn reads as m
    assert "kadrourar" in skeleton_variants("kaclrourar")  # cl reads as d
    assert skeleton_variants("ZORVEX") == (skeleton("ZORVEX"),)


def test_phonetic_agrees_on_sound_alike_spellings():
    assert phonetic("PHALKON") == phonetic("FALKON")
    assert phonetic("BECKLIS") == phonetic("BEKLIS")
    assert phonetic("GAKSVAGORRA") == phonetic("GAXVAGORA")
    assert phonetic("ZORVEXE") == phonetic("ZORVEX")
    assert phonetic("KYTTIE") == phonetic("KITTY")


def test_phonetic_keeps_different_sounds_apart():
    assert phonetic("ZORVEX") != phonetic("ZORBEX")
    assert phonetic("NICE") != phonetic("NIKE")


def test_atoms_split_words_and_scripts():
    text = "ZORVEX운동화 (Z.O.R) CONVER$E"
    words = [text[s:e] for s, e in atoms(text)]
    assert words == ["ZORVEX", "운동화", "Z", "O", "R", "CONVER$E"]


def test_atoms_ignore_punctuation_only():
    assert atoms("--- , ;") == []


def test_script_name():
    assert script_name("а") == "Cyrillic"
    assert script_name("Ｎ") == "full-width"
    assert has_cjk("나이키") and not has_cjk("NIKE")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalisers_never_raise_and_are_idempotent(text):
    once = fold(text)
    assert fold(once) == once
    key = skeleton(text)
    assert skeleton(key) == key or not key.isascii()
    plain(text)
    phonetic(text)
    for start, end in atoms(text):
        assert 0 <= start < end <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=97, max_codepoint=122), min_size=1))
def test_skeleton_of_plain_lowercase_is_itself_modulo_l(text):
    assert skeleton(text) == text.replace("l", "i")


@given(st.text())
def test_char_table_translates_as_maketrans_does(text):
    pairs = {"v": "u", "n": "m", "é": "e", "l": "i"}
    assert text.translate(char_table(pairs)) == text.translate(str.maketrans(pairs))


def test_words_keep_symbols_that_stand_for_letters():
    assert words("@PPLE ADIDA$ CONVER$E N!KE! $$5 A|B|C x_y €uro !!") == [
        "@PPLE", "ADIDA", "CONVER$E", "N!KE!", "$5", "A|B|C", "x", "y", "€uro"]
