"""The GST rate schedule, kept as data in gst_rates.json: which rates the law allows on a given day."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils import dateformat
from django.utils.translation import gettext, gettext_noop

SCHEDULE_FILE = Path(__file__).with_name("gst_rates.json")
GST_START = date(2017, 7, 1)
# gst_rates.json's labels, marked here for makemessages: the file and the API keep the English, a page
# shows ScheduledRate.shown_label. A new label in the file needs its line here (test_schedule checks).
LABELS = (
    gettext_noop("Nil: fresh food, milk, bread, books, health and life insurance"),
    gettext_noop("Rough diamonds and precious stones"),
    gettext_noop("Gold, silver and jewellery"),
    gettext_noop("Daily needs: packed food, medicines, clothes and footwear up to ₹2,500"),
    gettext_noop("Standard rate I (merged into 5 % and 18 %)"),
    gettext_noop("Standard: most goods and services, electronics, clothes above ₹2,500"),
    gettext_noop("Standard rate II (merged into 18 % and 40 %)"),
    gettext_noop("Luxury and sin goods: tobacco, aerated drinks, large cars"),
)


@dataclass(frozen=True)
class ScheduledRate:
    rate: Decimal  # percent, CGST + SGST together (or IGST)
    label: str
    starts: date
    ends: date | None  # the last day it applies; None while in force

    @property
    def shown_label(self) -> str:
        """The label in the page's language."""
        return gettext(self.label)

    def applies_on(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day <= self.ends)


@cache
def schedule() -> tuple[ScheduledRate, ...]:
    """Every rate the schedule has ever had, lowest first."""
    rows = json.loads(SCHEDULE_FILE.read_text(encoding="utf-8"))["rates"]
    rates = [
        ScheduledRate(
            rate=Decimal(row["rate"]),
            label=row["label"],
            starts=date.fromisoformat(row["from"]),
            ends=date.fromisoformat(row["until"]) if row["until"] else None,
        )
        for row in rows
    ]
    return tuple(sorted(rates, key=lambda scheduled: (scheduled.rate, scheduled.starts)))


def rates_on(day: date) -> list[Decimal]:
    """The rates a product may carry on `day`, lowest first; none before GST began (1 July 2017)."""
    return [scheduled.rate for scheduled in schedule() if scheduled.applies_on(day)]


def percent(rate: Decimal) -> str:
    """A rate as people write it: 18 → "18 %", 0.25 → "0.25 %"."""
    return f"{rate.normalize():f} %"


def day_text(day: date) -> str:
    """ "21 September 2025", "21 सितंबर 2025": the month in the language of the page. Django's
    "alt. month" names (E), not F's: the dashboard's "May" (a token may…) is not the month."""
    return dateformat.format(day, "j E Y")


def rate_problem(rate: Decimal, day: date) -> str | None:
    """Why `rate` cannot apply from `day`, or None when the schedule has it on that day."""
    if day < GST_START:
        return gettext("GST began on %(day)s: choose a date from then on.") % {"day": day_text(GST_START)}
    allowed = rates_on(day)
    if rate in allowed:
        return None
    return gettext("%(rate)s is not a GST rate on %(day)s. Choose one of %(rates)s.") % {
        "rate": percent(rate),
        "day": day_text(day),
        "rates": ", ".join(percent(each) for each in allowed),
    }
