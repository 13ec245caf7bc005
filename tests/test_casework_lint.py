"""``ipr recordation lint``: every planted problem is found, a clean file gives nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"
AS_OF = "2026-12-01"

PLANTED = {
    ("LINT-EXPIRING", "expiring"),
    ("LINT-EXPIRED", "expired"),
    ("LINT-NOCONTACT", "no-contact"),
    ("LINT-NOSCOPE", "no-hs-scope"),
    ("LINT-SHORT", "short-mark"),
    ("LINT-COMMON", "common-word"),
    ("LINT-COLLIDE-A", "collision"),
    ("LINT-COLLIDE-B", "collision"),
    ("LINT-NEAR-A", "collision"),
    ("LINT-NEAR-B", "collision"),
}


def _lint(ipr, fixture: str, *args: str):
    assert ipr("recordation", "import", str(FIXTURES / fixture)).exit_code == 0
    return ipr("recordation", "lint", "--as-of", AS_OF, "--format", "json", *args)


def test_lint_finds_each_planted_problem_and_nothing_else(ipr):
    result = _lint(ipr, "planted.csv")
    assert result.exit_code == 0, result.stderr
    findings = json.loads(result.stdout)
    assert {(f["recordation_id"], f["problem"]) for f in findings} == PLANTED
    assert len(findings) == len(PLANTED)
    by_id = {f["recordation_id"]: f for f in findings}
    assert "45 days left" in by_id["LINT-EXPIRING"]["detail"]
    assert "TRAVEL0" in by_id["LINT-COLLIDE-A"]["detail"] and "LINT-COLLIDE-B" in by_id["LINT-COLLIDE-A"]["detail"]
    assert "one letter from 'BRELANTO'" in by_id["LINT-NEAR-A"]["detail"]
    assert "10 finding(s) in 10 recordation(s)" in result.stderr


def test_lint_finds_nothing_in_a_clean_file(ipr):
    result = _lint(ipr, "clean.csv")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert "No problems found" in result.stderr


def test_lint_days_window(ipr):
    # VARONEX ends 2027-01-15: 45 days after the as-of date.
    result = _lint(ipr, "planted.csv", "--days", "30")
    problems = {(f["recordation_id"], f["problem"]) for f in json.loads(result.stdout)}
    assert problems == PLANTED - {("LINT-EXPIRING", "expiring")}


def test_lint_strict_exits_1_on_findings_only(ipr):
    assert _lint(ipr, "planted.csv", "--strict").exit_code == 1


def test_lint_strict_clean_exits_0(ipr):
    assert _lint(ipr, "clean.csv", "--strict").exit_code == 0


def test_lint_table_and_no_store(ipr):
    assert ipr("recordation", "lint").exit_code == 2
    assert ipr("recordation", "import", str(FIXTURES / "planted.csv")).exit_code == 0
    table = ipr("recordation", "lint", "--as-of", AS_OF)
    assert table.exit_code == 0 and "no-contact" in table.stdout and "QUIRTAL" in table.stdout
    assert ipr("recordation", "lint", "--as-of", "tomorrow").exit_code == 2


@pytest.mark.parametrize("mark, expected", [("APPLE", True), ("GOLDEN HARVEST", True), ("ZORVEX", False),
                                            ("NIKE", False), ("LOUIS VUITTON", False)])
def test_common_word_marks(mark, expected):
    """Lint and the matcher share one definition of a common mark."""
    from ipr_cli.matching.index import forms_of, is_common

    assert is_common(mark) is expected
    assert forms_of(0, _rec(mark))[0].common is expected


def _rec(mark: str):
    import datetime as dt

    from ipr_cli.models import Recordation

    return Recordation(recordation_id="R", mark=mark, holder="H", valid_until=dt.date(2030, 1, 1))


def test_lint_on_the_main_fixture_as_of_a_fixed_day(ipr):
    root = FIXTURES.parent
    assert ipr("recordation", "import", str(root / "recordations.csv")).exit_code == 0
    findings = json.loads(ipr("recordation", "lint", "--as-of", "2026-11-27", "--format", "json").stdout)
    problems = {(f["recordation_id"], f["problem"]) for f in findings}
    # APPLE, PUMA and GOLDEN HARVEST are dictionary words; nothing expires within 90 days.
    assert problems == {("KCS-TM-2022-000303", "common-word"), ("KCS-TM-2019-000404", "common-word"),
                        ("KCS-TM-2023-001010", "common-word")}
