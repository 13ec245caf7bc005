"""The matcher's parts: comparators, retrieval index, dictionary and goods inference."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from ipr_cli.matching.features import _CHEAP_CLASS, describe_lookalikes, describe_ops, has_misread, typo_distance, typo_estimate
from ipr_cli.matching.goods import chapter_name, description_words, goods_verdict, scope_chapters
from ipr_cli.matching.index import MarkIndex, deletions, edit_budget, forms_of, undouble
from ipr_cli.matching.lexicon import is_affix_word, is_compound_word, is_word, stem
from ipr_cli.matching.memo import FieldCache
from ipr_cli.matching.scorer import HIT_THRESHOLD, REVIEW_THRESHOLD, Tally, edit_penalty
from ipr_cli.models import Recordation


def rec(mark: str, **kw) -> Recordation:
    return Recordation(recordation_id="R-" + mark, mark=mark, holder="h", valid_until=dt.date(2030, 1, 1), **kw)


# ------------------------------------------------------------------ features

def test_typo_distance_names_each_edit():
    assert typo_distance("zorex", "zorvex") == (1.0, ("omit",))
    assert typo_distance("zorvvex", "zorvex") == (1.0, ("double",))
    assert typo_distance("zorvqex", "zorvex") == (1.0, ("extra",))
    assert typo_distance("zrovex", "zorvex") == (1.0, ("swap",))
    assert typo_distance("zorbex", "zorvex") == (1.0, ("replace",))


def test_typo_distance_look_alike_letters_cost_half():
    dist, ops = typo_distance("zoruex", "zorvex")
    assert dist == 0.5 and has_misread(ops)
    assert not has_misread(typo_distance("zorbex", "zorvex")[1])


def test_typo_distance_far_strings():
    assert typo_distance("shoes", "zorvex")[0] >= 4
    assert typo_distance("", "zorvex")[0] == 6


_KEYS = st.text(alphabet="uvmnrcebdgqiljaox", max_size=9)


@settings(max_examples=400, deadline=None)
@given(_KEYS, _KEYS, st.sampled_from([0.5, 1.5, 2.5, float("inf")]))
def test_typo_estimate_agrees_with_the_full_distance(a, b, limit):
    # The quick estimate decides every match: within the limit it is the distance, and
    # when it leaves the edits out there is no look-alike letter among them.
    dist, ops = typo_distance(a, b)
    estimate, estimated_ops = typo_estimate(a, b, limit)
    if dist <= limit:
        assert estimate == dist
        assert estimated_ops == ops or (estimated_ops is None and not has_misread(ops))
    else:
        assert estimate > limit


@settings(max_examples=400, deadline=None)
@given(_KEYS, _KEYS)
def test_typo_distance_is_the_cost_of_its_edits(a, b):
    # The edits named in an explanation add up to the distance, which lies between the
    # distance with look-alike letters free and the distance with every edit whole.
    dist, ops = typo_distance(a, b)
    assert dist == sum(0.5 if op.startswith("misread:") else 1.0 for op in ops)
    assert abs(len(a) - len(b)) <= dist <= OSA.distance(a, b)
    assert dist >= OSA.distance(a.translate(_CHEAP_CLASS), b.translate(_CHEAP_CLASS))  # look-alikes free


def test_describe_ops_in_plain_words():
    assert describe_ops(("omit",)) == ["one letter left out"]
    assert describe_ops(("swap",)) == ["two letters swapped"]
    assert describe_ops(("omit", "omit")) == ["2 letters left out"]
    assert describe_ops(("misread:u:v",)) == ['look-alike "u" for "v"']
    assert describe_ops(()) == []


def test_describe_lookalikes():
    assert describe_lookalikes("z0rv3x", "zorvex") == ["digit 0 for O", "digit 3 for E"]
    assert describe_lookalikes("zоrvex", "zorvex") == ['Cyrillic "о" for "o"']
    assert describe_lookalikes("zorvex", "zorvex") == []


# ------------------------------------------------------------------ index

def test_edit_budget_grows_with_length():
    assert edit_budget(3) == 0 and edit_budget(5) == 1 and edit_budget(10) == 2


def test_deletions_and_undouble():
    assert deletions("abc", 1) == {"abc", "bc", "ac", "ab"}
    assert "a" in deletions("abc", 2)
    assert undouble("zorrvvex") == "zorvex" and undouble("zorvex") == "zorvex"


def test_forms_include_aliases_and_cut_short_marks():
    forms = forms_of(0, rec("KLAVORA BENTIMAX", aliases=("卓维", "KBX")))
    kinds = {(f.kind, f.text) for f in forms}
    assert ("alias", "卓维") in kinds and ("alias", "KBX") in kinds
    assert ("truncated", "KLAVORA BENT") in kinds
    assert ("first_word", "KLAVORA") in kinds
    assert ("truncated", "KLAVORA BEN") not in kinds        # cut to fewer than 4 letters


def test_common_word_marks_are_marked_common():
    forms = {f.text: f for f in forms_of(0, rec("GOLDEN APPLE"))}
    assert forms["GOLDEN APPLE"].common
    assert not {f.text: f for f in forms_of(0, rec("ZORVEX"))}["ZORVEX"].common


def test_index_candidates_without_first_letter_blocking():
    index = MarkIndex([rec("ZORVEX"), rec("TRAVELINOX")])
    assert "zorvex" in index.candidates("korvex", "")        # first letter changed
    assert "zorvex" in index.candidates("zorvvex", "")
    assert "traveiinox" in index.candidates("travlinoxx", "")  # keys are look-alike skeletons
    assert index.candidates("shoes", "") == set()


def test_index_finds_native_aliases_inside_text():
    index = MarkIndex([rec("ZORVEX", aliases=("卓维",))])
    found = index.native_in("白色卓维运动鞋")
    assert [(s, e, f.text) for s, e, f in found] == [(2, 4, "卓维")]
    assert index.native_in("白色运动鞋") == []


# ------------------------------------------------------------------ lexicon

def test_is_word():
    assert is_word("pumps") and is_word("channel") and is_word("footwear")
    assert not is_word("zorvex") and not is_word("n1ke") and not is_word("")


def test_affix_words():
    assert is_affix_word("air") and is_affix_word("shoes") and is_affix_word("x5230")
    assert is_affix_word("brakepads") and is_compound_word("sparkplug")
    assert not is_affix_word("ugh") and not is_affix_word("qzx") and not is_affix_word("tair")


def test_stem():
    assert stem("shoes") == "shoe" and stem("batteries") == "battery" and stem("glass") == "glass"


# ------------------------------------------------------------------ goods

def test_hs_scope_covers_codes_under_its_prefixes():
    r = rec("ZORVEX", hs_scope=("6403", "61"))
    assert r.covers_hs("640399") and r.covers_hs("6109.10") and r.covers_hs("61")
    assert r.covers_hs("64")  # a short code that begins a scope entry
    assert not r.covers_hs("640411") and not r.covers_hs("6") and not r.covers_hs("8471")
    assert rec("ZORVEX").covers_hs("8471")  # no scope: everything


def test_goods_inside_scope():
    verdict, chapter = goods_verdict(description_words("LEATHER ANKLE BOOTS"), scope_chapters(("6403",)))
    assert verdict == "in" and chapter == "64"
    assert chapter_name("64") == "footwear"


def test_goods_plainly_outside_scope():
    assert goods_verdict(description_words("APPLE JUICE CONCENTRATE"), scope_chapters(("8471",)))[0] == "out"
    assert goods_verdict(description_words("CERAMIC FIGURINES"), scope_chapters(("6403",)))[0] == "out"


def test_goods_unknown_when_description_says_little():
    assert goods_verdict(description_words("ASSORTED, SAMPLE"), scope_chapters(("6403",)))[0] == "unknown"
    # Materials alone do not name the goods.
    assert goods_verdict(description_words("BACKPACKS, POLYESTER"), scope_chapters(("4202",)))[0] == "unknown"


# ------------------------------------------------------------------ scorer

def test_tally_and_thresholds():
    t = Tally()
    t.add("typo", -edit_penalty(5), "one letter left out")
    t.add("origin", 6, "origin CN outside authorized origins (VN)")
    assert t.score == 88 and t.texts() == ("one letter left out", "origin CN outside authorized origins (VN)")
    assert REVIEW_THRESHOLD < HIT_THRESHOLD <= 100
    assert edit_penalty(4) > edit_penalty(7) > edit_penalty(12)


def test_field_cache_keeps_values_met_again_through_a_flood_of_new_ones():
    cache = FieldCache(10)
    cache.add(["MEN'S T-SHIRT", "BLACK XL"], [(), ()])
    assert cache.get("MEN'S T-SHIRT") == ()  # met again: protected
    cache.add([f"ONE-OFF {i}" for i in range(100)], [()] * 100)
    assert len(cache) <= 10
    assert cache.get("MEN'S T-SHIRT") == ()
    assert cache.get("BLACK XL") is None  # met once, then forgotten
    assert cache.get("ONE-OFF 99") == ()
    assert cache.get("ONE-OFF 0") is None


@given(st.text(alphabet="abcz", max_size=8), st.integers(0, 4))
def test_deletions_are_every_shorter_reading_within_depth(key, depth):
    keep_at_least = max(1, len(key) - depth)
    expected = {key} | {"".join(kept) for size in range(keep_at_least, len(key) + 1)
                        for kept in itertools.combinations(key, size)}
    assert deletions(key, depth) == expected
