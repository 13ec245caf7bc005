"""`ipr check --recordations-changed-since`: exactly the full run's hits of the new recordations (issue 15)."""

from __future__ import annotations

import json
import time


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
