"""`ipr check --recordations-changed-since`: exactly the full run's hits of the new recordations (issue 15)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipr_cli.matching import Matcher
from ipr_cli.models import Recordation
from ipr_cli.recordations import parse
from ipr_cli.rescreen_filter import ChangedMarksFilter

from conftest import DATA


def check(ipr, *args):
    result = ipr("check", *args, "--format", "json", "--quiet", "--no-save", "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_reading_only_the_whole_register_reaches_is_found(ipr, tmp_path):
    """A misspelt mark ("LJFEN" for LOFEN) is read only when the matcher searches letters
    the new mark lacks (J) as the whole register's does.  (A misspelt goods word, such
    as JOVEN for WOVEN, is no longer read as LOFEN at all: the noisy-channel step.)"""
    header = "recordation_id,mark,holder,valid_from,valid_until\n"
    (tmp_path / "old.csv").write_text(header + "KCS-TM-2020-000001,JUVANTO,Juvanto AG,2020-01-01,2035-12-31\n")
    (tmp_path / "new.csv").write_text(header + "KCS-TM-2026-000002,LOFEN,Lofen Co,2020-01-01,2035-12-31\n")
    (tmp_path / "day.csv").write_text(
        "declaration_id,description,origin\n"
        "D1,FABRICS LJFEN OF YARNS OF DIFFERENT XO-7087 211 PCS,CN\n"
        "D2,LOFEN SPORTS BAG,CN\n"
        "D3,JUVANTO WATCH,CN\n"
        "D4,PLAIN COTTON TOWELS,CN\n"
    )
    assert ipr("recordation", "import", tmp_path / "old.csv").exit_code == 0
    time.sleep(1.1)  # the store keeps seconds
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    assert ipr("recordation", "import", tmp_path / "new.csv").exit_code == 0
    full = check(ipr, tmp_path / "day.csv")
    expected = [h for h in full["hits"] if h["recordation_id"] == "KCS-TM-2026-000002"]
    assert {h["row"] for h in expected} == {1, 2}
    changed = check(ipr, tmp_path / "day.csv", "--recordations-changed-since", since)
    assert changed["hits"] == expected
    assert changed["lines_read"] == 4 and changed["lines_flagged"] == 2


# ------------------------------------------------------------------ the exact prefilter

HEADER = "recordation_id,mark,holder,aliases,hs_scope,valid_from,valid_until\n"


def _register(name):
    with open(DATA / name / "recordations.csv", encoding="utf-8") as f:
        return [r for r, _ in (parse(row) for row in csv.DictReader(f)) if r is not None]


def _texts(name):
    with open(DATA / name / "declarations.csv", encoding="utf-8") as f:
        return {t for row in csv.DictReader(f) for t in (row.get("description"), row.get("brand")) if t}


@pytest.mark.parametrize("name", ["eval-dev", "eval-dev-hard", "eval-dev-wild"])
def test_the_filter_keeps_every_text_the_whole_registers_matcher_reads_a_mark_in(name):
    """Every field value of the development sets in which the matcher of the whole
    register finds a form of a recordation is kept by that recordation's filter."""
    register = _register(name)
    matcher = Matcher(register)
    found: dict[int, set[str]] = {}
    for text in _texts(name):
        for finding in matcher.spans.find(text):
            found.setdefault(finding.form.rec, set()).add(text)
    assert len(found) > 50
    missed = [(register[rec].mark, text) for rec, texts in found.items()
              for keeps in [ChangedMarksFilter([register[rec]]).keeps] for text in texts if not keeps(text)]
    assert missed == []


def test_the_filter_leaves_out_most_text():
    """What makes re-screening fast: most field values cannot hold a given mark."""
    texts = _texts("eval-dev")
    keeps = ChangedMarksFilter([Recordation("KCS-TM-2026-000001", "KLAVORENTIX", "Holder", dt.date(2035, 1, 1))]).keeps
    assert sum(map(keeps, texts)) < len(texts) / 20


_LOOKALIKE = {"O": "0", "E": "3", "I": "1", "A": "@", "S": "$", "M": "RN", "W": "VV", "L": "|"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mark=st.text("ABCDEFGHIKLMNOPRSTUVWXYZ", min_size=2, max_size=12),
       edits=st.lists(st.tuples(st.sampled_from(["typo", "drop", "add", "swap", "double", "look", "space", "lower"]),
                                st.integers(0, 20)), max_size=3),
       before=st.sampled_from(["", "MENS ", "SPORT BAG ", "NEW 2024 "]),
       after=st.sampled_from(["", " PRO", "S", "IES", " SHOES SIZE 42", "!", "AIR"]))
def test_the_filter_keeps_every_disguise_the_matcher_reads(mark, edits, before, after):
    """Typos, look-alike characters, spacing and affixes of a mark: whenever its matcher
    reads the mark in the text, the filter keeps the text."""
    rec = Recordation("KCS-TM-2026-000001", mark, "Holder", dt.date(2035, 1, 1))
    word = list(mark)
    for op, at in edits:
        at %= len(word)
        if op == "typo":
            word[at] = "Q" if word[at] != "Q" else "X"
        elif op == "drop" and len(word) > 1:
            del word[at]
        elif op == "add":
            word.insert(at, "E")
        elif op == "swap" and at + 1 < len(word):
            word[at], word[at + 1] = word[at + 1], word[at]
        elif op == "double":
            word.insert(at, word[at])
        elif op == "look":
            word[at] = _LOOKALIKE.get(word[at], word[at])
        elif op == "space":
            word = list(" ".join(word))
        elif op == "lower":
            word = [c.lower() for c in word]
    text = before + "".join(word) + after
    if Matcher([rec]).spans.find(text):
        assert ChangedMarksFilter([rec]).keeps(text), text


def test_changed_since_gives_the_full_runs_hits_on_the_hard_development_set(ipr, tmp_path):
    """Three recordations added after the rest of the register (a multi-word mark with its
    cut-short forms, a long mark with two edits allowed, a short one): the re-screen
    gives exactly the full run's hits for them (rows, ids, scores, verdicts, reasons,
    order), and counts only those."""
    source = DATA / "eval-dev-hard" / "recordations.csv"
    rows = source.read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = rows[0], rows[1:]
    new_ids = {"KCS-TM-2025-771395", "KCS-TM-2021-832346", "KCS-TM-2023-098942"}
    (tmp_path / "old.csv").write_text(header + "".join(r for r in body if r.split(",")[0] not in new_ids), encoding="utf-8")
    (tmp_path / "new.csv").write_text(header + "".join(r for r in body if r.split(",")[0] in new_ids), encoding="utf-8")
    assert ipr("recordation", "import", tmp_path / "old.csv").exit_code == 0
    time.sleep(1.1)
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    assert ipr("recordation", "import", tmp_path / "new.csv").exit_code == 0
    declarations = DATA / "eval-dev-hard" / "declarations.csv"
    full = check(ipr, declarations)
    expected = [h for h in full["hits"] if h["recordation_id"] in new_ids]
    assert {h["recordation_id"] for h in expected} == new_ids and len(expected) > 60
    changed = check(ipr, declarations, "--recordations-changed-since", since)
    assert changed["hits"] == expected
    assert changed["lines_flagged"] == len({h["row"] for h in expected})


def test_changed_since_finds_the_disguises_of_a_new_mark(ipr, tmp_path):
    """Look-alike, spaced, transliterated, typo'd, glued and HTML-escaped forms of the
    new mark, in the description and in the brand column, among lines of other marks:
    the same hits as the full run."""
    (tmp_path / "old.csv").write_text(
        HEADER + "KCS-TM-2020-000001,KLAVORENT,Klavo AG,,,2020-01-01,2035-12-31\n"
                 "KCS-TM-2020-000002,ZANTOREX,Zanto Ltd,,,2020-01-01,2035-12-31\n", encoding="utf-8")
    (tmp_path / "new.csv").write_text(
        HEADER + "KCS-TM-2026-000003,ZALVORENTIX,Zalvo SA,잘보렌틱스,42;64,2020-01-01,2035-12-31\n", encoding="utf-8")
    lines = [
        "ZALVORENTIX HANDBAG", "Z4LV0RENTIX HANDBAG", "ZАLVОRENTIX HANDBAG",  # digits, Cyrillic А and О
        "Z A L V O R E N T I X LEATHER BAG", "ZALVORNETIX HANDBAG", "ZALVORENTIKS HANDBAG",
        "ZALLVORENTYX BAG", "ZALVORENTIXPRO BAG", "ZALVORENTIXES HANDBAGS", "Z&#65;LVORENTIX HANDBAG",
        "잘보렌틱스 가방", "ＺＡＬＶＯＲＥＮＴＩＸ HANDBAG", "KLAVORENT HANDBAG", "ZANTOREX SHOES",
        "ZALVORENT SHOES", "PLAIN COTTON TOWELS", "LEATHER HANDBAG",
    ]
    with open(tmp_path / "day.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["declaration_id", "description", "brand", "hs_code", "origin"])
        for i, text in enumerate(lines):
            w.writerow([f"D{i}", text, "", "420221", "CN"])
            w.writerow([f"B{i}", "HANDBAG OF LEATHER", text, "", "CN"])
    assert ipr("recordation", "import", tmp_path / "old.csv").exit_code == 0
    time.sleep(1.1)
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    assert ipr("recordation", "import", tmp_path / "new.csv").exit_code == 0
    full = check(ipr, tmp_path / "day.csv")
    expected = [h for h in full["hits"] if h["recordation_id"] == "KCS-TM-2026-000003"]
    assert len({h["row"] for h in expected}) >= 20
    assert check(ipr, tmp_path / "day.csv", "--recordations-changed-since", since)["hits"] == expected
