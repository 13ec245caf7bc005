"""Expiry is judged on the dates wherever a status is shown or filtered; renew never
shortens a recordation by accident."""

from __future__ import annotations

import json


def _add(ipr, rid: str, until: str, *extra: str) -> None:
    result = ipr("recordation", "add", rid, "--mark", "ZORVEX", "--holder", "Zorvex AG", "--valid-until", until, *extra)
    assert result.exit_code == 0, result.stderr


def test_a_recordation_past_valid_until_is_listed_and_shown_as_expired(ipr):
    _add(ipr, "KCS-TM-2019-000001", "2020-06-30")
    _add(ipr, "KCS-TM-2024-000002", "2099-12-31")
    expired = json.loads(ipr("recordation", "list", "--status", "expired", "--format", "json").stdout)
    assert [r["recordation_id"] for r in expired] == ["KCS-TM-2019-000001"]
    assert expired[0]["status"] == "expired"
    active = json.loads(ipr("recordation", "list", "--status", "active", "--format", "json").stdout)
    assert [r["recordation_id"] for r in active] == ["KCS-TM-2024-000002"]
    table = ipr("recordation", "list").stdout
    row = next(line for line in table.splitlines() if "KCS-TM-2019-000001" in line)
    assert "expired" in row and "active" not in row
    shown = json.loads(ipr("recordation", "show", "KCS-TM-2019-000001", "--format", "json").stdout)
    assert shown["status"] == "expired"
    # The import format keeps what was recorded, so an export still imports back unchanged.
    assert ",active," in ipr("recordation", "export").stdout


def test_list_refuses_an_unknown_status(ipr):
    _add(ipr, "KCS-TM-2024-000002", "2099-12-31")
    result = ipr("recordation", "list", "--status", "expird")
    assert result.exit_code == 2 and "active, suspended or expired" in result.stderr


def test_renew_to_an_earlier_date_is_refused_without_shorten(ipr):
    _add(ipr, "KCS-TM-2024-000002", "2030-12-31")
    refused = ipr("recordation", "renew", "KCS-TM-2024-000002", "--until", "2027-01-01")
    assert refused.exit_code == 2
    assert "earlier than the current validity" in refused.stderr and "--shorten" in refused.stderr
    shown = json.loads(ipr("recordation", "show", "KCS-TM-2024-000002", "--format", "json").stdout)
    assert shown["valid_until"] == "2030-12-31"
    assert ipr("recordation", "renew", "KCS-TM-2024-000002", "--until", "2027-01-01", "--shorten").exit_code == 0
    assert ipr("recordation", "renew", "KCS-TM-2024-000002", "--until", "2032-01-01").exit_code == 0
    shown = json.loads(ipr("recordation", "show", "KCS-TM-2024-000002", "--format", "json").stdout)
    assert shown["valid_until"] == "2032-01-01"
