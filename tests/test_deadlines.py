"""Deadlines: working days after a hold, per jurisdiction profile."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipr_cli import deadlines
from ipr_cli.errors import UsageError, ValidationError

D = dt.date


@pytest.fixture(autouse=True)
def _no_calendar_env(monkeypatch):
    for name in (deadlines.HOLIDAYS_ENV, deadlines.JURISDICTION_ENV, deadlines.HOLIDAY_COUNTRY_ENV):
        monkeypatch.delenv(name, raising=False)


def test_eu_hold_on_a_monday_is_due_two_weeks_later_on_monday():
    # Mon 2 Nov 2026: ten working days are Tue 3 … Mon 16 Nov.
    due = deadlines.deadline(D(2026, 11, 2), "EU")
    assert due.due == D(2026, 11, 16)
    assert due.working_days == 10 and due.profile.code == "EU"


def test_eu_hold_on_a_thursday_skips_two_weekends():
    # Thu 5 Nov 2026: Fri 6, Mon 9 … Fri 13, Mon 16 … Thu 19 Nov.
    assert deadlines.deadline(D(2026, 11, 5), "EU").due == D(2026, 11, 19)


def test_eu_perishable_hold_on_a_thursday_is_three_working_days():
    # Fri 6, Mon 9, Tue 10 Nov.
    due = deadlines.deadline(D(2026, 11, 5), "EU", perishable=True)
    assert due.due == D(2026, 11, 10) and due.working_days == 3 and due.perishable


def test_eu_hold_across_configured_holidays():
    holidays = {D(2026, 12, 24), D(2026, 12, 25), D(2027, 1, 1)}
    # Mon 21 Dec: Tue 22, Wed 23, (Thu 24, Fri 25 off), Mon 28 … Thu 31, (Fri 1 Jan off),
    # Mon 4, Tue 5, Wed 6, Thu 7 Jan.
    assert deadlines.deadline(D(2026, 12, 21), "EU", extra_holidays=holidays).due == D(2027, 1, 7)
    # Without the holidays it is two working days … three calendar days earlier.
    assert deadlines.deadline(D(2026, 12, 21), "EU", extra_holidays=()).due == D(2027, 1, 4)


def test_holidays_file_named_by_environment(tmp_path, monkeypatch):
    path = tmp_path / "holidays.txt"
    path.write_text("# office closures\n2026-11-03  # works outing\n\n2026-11-04\n", encoding="utf-8")
    monkeypatch.setenv(deadlines.HOLIDAYS_ENV, str(path))
    assert deadlines.configured_holidays() == {D(2026, 11, 3), D(2026, 11, 4)}
    assert deadlines.deadline(D(2026, 11, 2), "EU").due == D(2026, 11, 18)


def test_bad_holidays_file_names_the_line(tmp_path):
    path = tmp_path / "holidays.txt"
    path.write_text("2026-11-03\n3 Nov 2026\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        deadlines.load_holidays(path)
    assert "line 2" in info.value.problems[0]


def test_eu_member_state_calendar_from_environment(monkeypatch):
    # Hold Mon 21 Dec 2026 with Germany's holidays: Fri 25 Dec and Fri 1 Jan are skipped.
    monkeypatch.setenv(deadlines.HOLIDAY_COUNTRY_ENV, "DE")
    assert deadlines.deadline(D(2026, 12, 21), "EU", extra_holidays=()).due == D(2027, 1, 6)


def test_korea_skips_its_public_holidays():
    # Chuseok 2026: Thu 24 - Sat 26 Sep; Fri 25 and Thu 24 are off. Hold Mon 21 Sep:
    # Tue 22, Wed 23, Mon 28, Tue 29, Wed 30, Thu 1 Oct, Fri 2, (Sat 3, Mon 5 alt. holiday),
    # Tue 6, Wed 7, Thu 8 Oct.
    assert deadlines.deadline(D(2026, 9, 21), "KR", extra_holidays=()).due == D(2026, 10, 8)


def test_us_and_cn_profiles():
    # US: 7 business days; Veterans Day Wed 11 Nov 2026 is a federal holiday.
    assert deadlines.deadline(D(2026, 11, 9), "US", extra_holidays=()).due == D(2026, 11, 19)
    # CN: 3 working days.
    assert deadlines.deadline(D(2026, 11, 5), "cn", extra_holidays=()).due == D(2026, 11, 10)


def test_every_profile_has_a_basis_and_sane_numbers():
    for code, prof in deadlines.PROFILES.items():
        assert prof.code == code and prof.basis and prof.clock
        assert 0 < prof.perishable_days <= prof.days <= 30


def test_default_profile_and_unknown_jurisdiction(monkeypatch):
    assert deadlines.profile().code == "EU"
    monkeypatch.setenv(deadlines.JURISDICTION_ENV, "kr")
    assert deadlines.profile().code == "KR"
    with pytest.raises(UsageError):
        deadlines.profile("XX")


def test_add_working_days_starts_counting_after_the_start():
    saturday = D(2026, 11, 7)
    assert deadlines.add_working_days(saturday, 0) == saturday
    assert deadlines.add_working_days(saturday, 1) == D(2026, 11, 9)
    with pytest.raises(ValueError):
        deadlines.add_working_days(saturday, -1)


def test_describe_names_the_basis():
    text = deadlines.deadline(D(2026, 11, 2), "EU", extra_holidays=()).describe()
    assert "2026-11-16" in text and "608/2013" in text



@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)),
    code=st.sampled_from(sorted(deadlines.PROFILES)),
    perishable=st.booleans(),
    extra=st.sets(st.dates(min_value=D(2020, 1, 1), max_value=D(2036, 3, 31)), max_size=20),
)
def test_deadline_is_the_nth_working_day_after_the_start(start, code, perishable, extra):
    due = deadlines.deadline(start, code, perishable=perishable, extra_holidays=extra)
    country = deadlines.PROFILES[code].holiday_country
    assert due.due > start
    assert deadlines.is_working_day(due.due, country=country, extra=extra)
    days = (due.due - start).days
    working = sum(
        deadlines.is_working_day(start + dt.timedelta(days=i), country=country, extra=extra)
        for i in range(1, days + 1)
    )
    assert working == due.working_days
