"""The screening quality floor on copies of the development sets (issue: screening, criterion 1).

Runs the real CLI on each set and parses the set's own scorer; fails when a figure
falls below the floor the issue sets.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from conftest import DATA  # noqa: E402
from quality import score, screen  # noqa: E402


def figures(text: str) -> tuple[float, dict[str, float], float, dict[str, float]]:
    """Overall recall, recall per variant, clean FP rate, hard-negative FP rate per sort (and 'all')."""
    recall = float(re.search(r"^recall \(.*?\): ([\d.]+)", text, re.M).group(1))
    block = text.split("recall (", 1)[1].split("of found positives", 1)[0]
    variants = {m.group(1): float(m.group(2)) for m in re.finditer(r"^  (\S+)\s+([\d.]+)\s+\(", block, re.M)}
    clean = float(re.search(r"^  clean\s+([\d.]+)", text, re.M).group(1))
    hard = {m.group(1): float(m.group(2)) for m in re.finditer(r"^    (\S+)\s+([\d.]+)\s+\(", text, re.M)}
    hard["all"] = float(re.search(r"^  hard negatives \(all\)\s+([\d.]+)", text, re.M).group(1))
    return recall, variants, clean, hard


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    out = tmp_path_factory.mktemp("dev") / "out.json"
    screen(DATA / "eval-dev", out)
    return figures(score(DATA / "eval-dev", out))


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    out = tmp_path_factory.mktemp("hard") / "out.json"
    screen(DATA / "eval-dev-hard", out)
    return figures(score(DATA / "eval-dev-hard", out))


def test_dev_set_floor(dev):
    recall, variants, clean, hard_sorts = dev
    assert recall >= 0.98
    assert {v: r for v, r in variants.items() if r < 0.95} == {}
    assert clean <= 0.001
    for sort in ("out_of_scope", "authorized", "not_in_force"):
        assert hard_sorts[sort] == 0.0, sort
    assert hard_sorts["all"] <= 0.02


def test_hard_set_floor(hard):
    recall, variants, clean, hard_sorts = hard
    assert recall >= 0.92
    assert {v: r for v, r in variants.items() if r < 0.80} == {}
    assert clean <= 0.001
    assert {s: r for s, r in hard_sorts.items() if r > 0.10} == {}


# ---------------------------------------------------------------- issue 13: realistic text

WILD = DATA / "eval-dev-wild"


def wild_figures(text: str) -> dict:
    """eval-dev-wild's scorer: overall recall; recall per positive category; per negative
    category (and 'clean') the share flagged and the share flagged as hit; signal-word
    positives naming the signal."""
    named, found = re.search(r"name a counterfeit signal: (\d+)/(\d+)", text).groups()
    return {
        "recall": float(re.search(r": recall ([\d.]+) \(", text).group(1)),
        "positives": {m.group(1): float(m.group(2)) for m in re.finditer(
            r"^positive\s+(\S+)\s+\d+\s+recall ([\d.]+)", text, re.M)},
        "negatives": {m.group(2): (float(m.group(3)), float(m.group(4))) for m in re.finditer(
            r"^(hard_negative|clean)\s+(\S+)\s+\d+\s+flag ([\d.]+) hit ([\d.]+)", text, re.M)},
        "signals": (int(named), int(found)),
    }


@pytest.fixture(scope="module")
def wild(tmp_path_factory):
    import csv
    import json

    out = tmp_path_factory.mktemp("wild") / "out.json"
    screen(WILD, out)
    figures = wild_figures(score(WILD, out))
    # Recall over every positive outside split_brand_desc, counted from the labels.
    hits = {(int(h["row"]), h["recordation_id"]) for h in json.loads(out.read_text(encoding="utf-8"))["hits"]}
    with open(WILD / "labels.csv", encoding="utf-8") as f:
        labels = [r for r in csv.DictReader(f)
                  if r["kind"] == "positive" and r["variant"] != "split_brand_desc"]
    figures["recall_all"] = sum((int(r["row"]), r["expected_recordation_id"]) in hits for r in labels) / len(labels)
    return figures


def test_wild_set_negatives_floor(wild):
    """Realistic innocent lines (issue 13): dictionary words in their plain sense, names
    and places, accessories, boilerplate: each category flagged at most 10 % of the
    time and held as hit at most 2 %; no clean line flagged."""
    negatives = dict(wild["negatives"])
    assert negatives.pop("clean") == (0.0, 0.0)
    assert len(negatives) == 10
    assert {c: f for c, f in negatives.items() if f[0] > 0.10 or f[1] > 0.02} == {}


def test_wild_set_positives_floor(wild):
    """Issue 13, criterion 1 (positives): the realistic set's disguises are read."""
    assert wild["recall_all"] >= 0.95
    low = {c: r for c, r in wild["positives"].items()
           if c not in ("split_brand_desc", "dropped_vowels") and r < 0.85}
    assert low == {}
    assert wild["positives"]["dropped_vowels"] >= 0.6


def test_wild_set_signals_are_named(wild):
    named, found = wild["signals"]
    assert found >= 35 and named / found >= 0.95


NOISY_LINES = 20_000


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """A noisy batch made deterministically by benchmarks/mknoisy.py (seed 7), screened."""
    import subprocess

    where = tmp_path_factory.mktemp("noisy")
    bench = Path(__file__).resolve().parent.parent / "benchmarks"
    subprocess.run([sys.executable, str(bench / "mknoisy.py"), str(DATA / "eval-dev" / "recordations.csv"),
                    str(where), "--lines", str(NOISY_LINES), "--seed", "7"], check=True)
    out = where / "out.json"
    screen(where, out)
    text = subprocess.run([sys.executable, str(bench / "score_noisy.py"), str(where), str(out)], check=True,
                          capture_output=True, text=True).stdout
    recall = float(re.search(r"recall on planted marks: ([\d.]+)", text).group(1))
    anyf, hitf = map(float, re.search(r"any ([\d.]+)\s+hit ([\d.]+)", text).groups())
    return recall, anyf, hitf, text


def test_noisy_batch_floor(noisy):
    """Issue 13, criterion 3: misspelt tariff words are not read as marks, planted marks are."""
    recall, any_flag, hit, text = noisy
    assert recall >= 0.99, text
    assert any_flag <= 0.3, text
    assert hit <= 0.1, text
