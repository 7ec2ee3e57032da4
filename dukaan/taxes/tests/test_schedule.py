"""The GST rate schedule is data with dates: the rates on a day are the ones in force that day."""

from datetime import date
from decimal import Decimal

from django.utils import translation

from dukaan.taxes.schedule import LABELS, day_text, rate_problem, rates_on, schedule


def rates(*values: str) -> list[Decimal]:
    return [Decimal(value) for value in values]


def test_the_rates_since_22_september_2025():
    assert rates_on(date(2025, 9, 22)) == rates("0", "0.25", "3", "5", "18", "40")
    assert rates_on(date(2026, 12, 6)) == rates("0", "0.25", "3", "5", "18", "40")


def test_twelve_and_twenty_eight_percent_applied_until_21_september_2025():
    assert rates_on(date(2025, 9, 21)) == rates("0", "0.25", "3", "5", "12", "18", "28")


def test_no_rates_before_gst_began():
    assert rates_on(date(2017, 6, 30)) == []


def test_a_rate_not_in_the_schedule_is_refused_with_the_rates_of_that_day():
    assert rate_problem(Decimal("12"), date(2025, 9, 22)) == (
        "12 % is not a GST rate on 22 September 2025. Choose one of 0 %, 0.25 %, 3 %, 5 %, 18 %, 40 %."
    )
    assert rate_problem(Decimal("12"), date(2025, 9, 21)) is None
    assert rate_problem(Decimal("18.00"), date(2025, 9, 22)) is None
    assert "GST began on 1 July 2017" in rate_problem(Decimal("18"), date(2017, 1, 1))


def test_every_label_of_the_schedule_is_marked_and_shown_in_the_pages_language():
    assert {scheduled.label for scheduled in schedule()} <= set(LABELS)
    five = next(scheduled for scheduled in schedule() if scheduled.rate == 5)
    with translation.override("hi"):
        # The file keeps the English the API gives; a Hindi page shows the Hindi.
        assert five.label == "Daily needs: packed food, medicines, clothes and footwear up to ₹2,500"
        assert five.shown_label.startswith("रोज़ की ज़रूरतें: ")
    with translation.override("en-in"):
        assert five.shown_label == five.label


def test_a_day_is_written_with_the_month_in_the_pages_language():
    with translation.override("en-in"):
        assert day_text(date(2025, 9, 21)) == "21 September 2025"
    with translation.override("hi"):
        assert day_text(date(2025, 9, 21)) == "21 सितंबर 2025"
        # "May" is also the dashboard's word for what a token may do; the month stays मई.
        assert day_text(date(2026, 5, 1)) == "1 मई 2026"
