"""The rights holder's response deadline after a hold, counted in working days.

Pure functions: no store, no Typer.  A *profile* says, for one jurisdiction, how many
working days the clock runs from the hold (the customs notification) and which national
public holidays are skipped besides Saturdays and Sundays.  Extra holidays (a regional
holiday, a customs office closure) come from a file of ISO dates named by
``IPR_HOLIDAYS`` or passed in directly.

Day 0 is the day of the hold; the deadline is the last day of the period, i.e. the
N-th working day after it.  A deadline is a planning aid: the legal period runs from
the *notification* to the holder, which normally goes out on the day of the hold.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InputError, UsageError

HOLIDAYS_ENV = "IPR_HOLIDAYS"
JURISDICTION_ENV = "IPR_JURISDICTION"
HOLIDAY_COUNTRY_ENV = "IPR_HOLIDAY_COUNTRY"
DEFAULT_JURISDICTION = "EU"


@dataclass(frozen=True)
class Profile:
    """One jurisdiction's clock: ``days`` working days (``perishable_days`` for perishable goods)."""

    code: str
    name: str
    days: int
    perishable_days: int
    holiday_country: str | None  # national calendar of the `holidays` package, None = weekends only
    clock: str  # what must happen by the deadline, in the officer's words
    basis: str  # the legal source of the numbers


# The one table of numbers.  Legal basis of each row:
#
# EU  Regulation (EU) No 608/2013, Art. 23(1) and (3): after notification of the
#     suspension of release or detention, the holder has 10 working days (3 for
#     perishable goods) to confirm infringement and agree to destruction, or to start
#     proceedings (Art. 23(4): extendable by up to 10 working days, not for perishable
#     goods).  "Working days" per Regulation (EEC, Euratom) No 1182/71 exclude Saturdays,
#     Sundays and the public holidays of the member state: there is no EU-wide calendar,
#     so set IPR_HOLIDAY_COUNTRY (e.g. DE) or list the holidays in IPR_HOLIDAYS.
# US  19 CFR 133.21(b)(2)(i)(B): once CBP notifies the importer of a detention of goods
#     suspected of bearing a counterfeit recorded mark, the importer has 7 business days
#     to show they are genuine, after which CBP may disclose the goods' details to the
#     mark owner.  There is no perishable variant.  Federal holidays are skipped.
# KR  Customs Act Art. 235 with its Enforcement Decree (Art. 239-240): a holder notified
#     of a suspension of clearance must prove within 10 days, holidays excluded, that it
#     has sued or petitioned the Korea Trade Commission, or the goods are released.
#     There is no perishable variant.  Korean public holidays are skipped.
# CN  Regulations on Customs Protection of IPR (2018) Art. 16 and GACC Implementing
#     Measures (Order 183, amended by Order 240) Art. 22: the holder of a recorded right
#     must reply within 3 working days of customs' written notice, applying for
#     detention and lodging a bond.  Chinese public holidays are skipped (the make-up
#     working Saturdays of Chinese holiday weeks are not counted as working days).
PROFILES: dict[str, Profile] = {
    p.code: p
    for p in (
        Profile("EU", "European Union", 10, 3, None,
                "holder confirms infringement and agrees to destruction, or starts proceedings",
                "Regulation (EU) No 608/2013, Art. 23(3)"),
        Profile("US", "United States", 7, 7, "US",
                "importer's window to show the goods genuine; then details go to the mark owner",
                "19 CFR 133.21(b)(2)(i)(B)"),
        Profile("KR", "Korea", 10, 10, "KR",
                "holder proves a lawsuit or a Trade Commission petition",
                "Customs Act Art. 235; Enforcement Decree Art. 239-240"),
        Profile("CN", "China", 3, 3, "CN",
                "holder applies for detention and lodges a bond",
                "Customs IPR Regulations Art. 16; GACC Implementing Measures Art. 22"),
    )
}


@dataclass(frozen=True)
class Deadline:
    """A computed deadline and what it rests on."""

    start: dt.date
    due: dt.date
    working_days: int
    perishable: bool
    profile: Profile

    def describe(self) -> str:
        kind = "perishable goods, " if self.perishable and self.profile.perishable_days != self.profile.days else ""
        return (
            f"{self.due.isoformat()} ({self.profile.code}: {self.working_days} working days, {kind}"
            f"{self.profile.basis})"
        )


def profile(code: str | None = None) -> Profile:
    """The profile for ``code`` (else ``IPR_JURISDICTION``, else EU); UsageError if unknown."""
    chosen = (code or os.environ.get(JURISDICTION_ENV) or DEFAULT_JURISDICTION).strip().upper()
    try:
        return PROFILES[chosen]
    except KeyError:
        raise UsageError(
            f"Unknown jurisdiction {chosen!r}.", hint="Choose one of: " + ", ".join(PROFILES) + "."
        ) from None


def parse_holidays(text: str, source: str = "holidays") -> set[dt.date]:
    """ISO dates, one a line; blank lines and ``#`` comments (also after a date) are ignored."""
    out: set[dt.date] = set()
    bad: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        value = raw.split("#", 1)[0].strip().split(",", 1)[0].strip()
        if not value:
            continue
        try:
            out.add(dt.date.fromisoformat(value))
        except ValueError:
            bad.append(f"line {number}: {value!r} is not an ISO date (YYYY-MM-DD)")
    if bad:
        from .errors import ValidationError

        raise ValidationError(f"{source}: holidays must be ISO dates; nothing was used.", bad)
    return out


def load_holidays(path: str | os.PathLike[str]) -> set[dt.date]:
    """Read a holidays file (see :func:`parse_holidays`)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(
            f"Cannot read the holidays file {path}: {exc.strerror or exc}.",
            hint=f"Fix or unset {HOLIDAYS_ENV}.",
        ) from None
    return parse_holidays(text, str(path))


def configured_holidays() -> set[dt.date]:
    """The extra holidays named by ``IPR_HOLIDAYS`` (none when it is unset)."""
    path = os.environ.get(HOLIDAYS_ENV, "").strip()
    return load_holidays(path) if path else set()


@lru_cache(maxsize=16)
def _national(country: str) -> Callable[[dt.date], bool]:
    import holidays

    try:
        calendar = holidays.country_holidays(country)
    except NotImplementedError:
        raise UsageError(
            f"No public-holiday calendar for country {country!r}.",
            hint=f"Use an ISO 3166-1 alpha-2 code in {HOLIDAY_COUNTRY_ENV}, or list holidays in {HOLIDAYS_ENV}.",
        ) from None
    return calendar.__contains__


def is_working_day(day: dt.date, *, country: str | None = None, extra: Collection[dt.date] = ()) -> bool:
    """Monday to Friday, not a national holiday of ``country``, not in ``extra``."""
    if day.weekday() >= 5 or day in extra:
        return False
    return not (country and _national(country)(day))


def add_working_days(
    start: dt.date, days: int, *, country: str | None = None, extra: Collection[dt.date] = ()
) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself is day 0)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current, counted = start, 0
    while counted < days:
        current += dt.timedelta(days=1)
        if is_working_day(current, country=country, extra=extra):
            counted += 1
    return current


def deadline(
    start: dt.date,
    jurisdiction: str | None = None,
    *,
    perishable: bool = False,
    extra_holidays: Iterable[dt.date] | None = None,
    country: str | None = None,
) -> Deadline:
    """The holder's deadline for a hold on ``start`` under ``jurisdiction``'s profile.

    ``extra_holidays`` defaults to those named by ``IPR_HOLIDAYS``; ``country`` (else
    ``IPR_HOLIDAY_COUNTRY``, else the profile's own) picks the national calendar.
    """
    prof = profile(jurisdiction)
    extra = set(configured_holidays() if extra_holidays is None else extra_holidays)
    calendar = (country or os.environ.get(HOLIDAY_COUNTRY_ENV) or prof.holiday_country or "").strip().upper() or None
    days = prof.perishable_days if perishable else prof.days
    due = add_working_days(start, days, country=calendar, extra=extra)
    return Deadline(start=start, due=due, working_days=days, perishable=perishable, profile=prof)
