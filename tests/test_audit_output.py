"""`ipr audit`: a table a person can read, and JSON whose before/after are objects."""

from __future__ import annotations

import json


def _setup(ipr):
    assert ipr("recordation", "add", "KCS-TM-2024-000002", "--mark", "ZORVEX", "--holder", "Zorvex AG",
               "--valid-until", "2030-12-31").exit_code == 0
    assert ipr("recordation", "renew", "KCS-TM-2024-000002", "--until", "2033-01-01", "--note", "renewed").exit_code == 0


def test_audit_table_shows_each_change_as_before_and_after(ipr):
    _setup(ipr)
    out = ipr("audit").stdout
    assert "valid_until: 2030-12-31 → 2033-01-01" in out
    assert '{"' not in out and '\\"' not in out  # no raw JSON


def test_audit_json_before_and_after_are_objects(ipr):
    _setup(ipr)
    rows = json.loads(ipr("audit", "--format", "json").stdout)
    renew = next(r for r in rows if r["action"] == "renew")
    assert renew["before"] == {"valid_until": "2030-12-31"} and renew["after"] == {"valid_until": "2033-01-01"}
    added = next(r for r in rows if r["action"] == "add")
    assert added["before"] is None and added["after"]["mark"] == "ZORVEX"
    line = json.loads(ipr("audit", "--format", "jsonl").stdout.splitlines()[-1])
    assert isinstance(line["after"], dict)
