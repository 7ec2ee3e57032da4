"""Unfinished checkouts: kept per browser's cart, listed after a quiet hour, finished by an order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dukaan.events.jobs import run_due_jobs
from dukaan.events.models import ScheduledJob
from dukaan.orders.models import CheckoutDraft
from dukaan.orders.selectors import draft_for_link, unfinished_checkouts
from dukaan.orders.services import DraftRefused, delete_old_drafts, dismiss_draft, save_draft

from .conftest import event_counts, line, make_product, order

pytestmark = pytest.mark.django_db

LINES = {"7:0": [2, "250.00", "Steel tiffin"]}


def later(hours: float = 1, minutes: float = 1):
    return timezone.now() + timedelta(hours=hours, minutes=minutes)


def age(draft, **delta) -> None:
    CheckoutDraft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(**delta))


def test_a_draft_keeps_the_phone_in_e164_the_name_pin_and_lines_and_emits_one_event(store):
    draft = save_draft(
        store=store, token="", phone="98123 45699", name="  Meera   Iyer ", pin_code="560 038", lines=LINES
    )

    assert (draft.phone, draft.name, draft.pin_code, draft.lines) == (
        "+919812345699",
        "Meera Iyer",
        "560038",
        LINES,
    )
    assert len(draft.token) >= 22 and draft.order is None
    assert event_counts(store)["checkout_draft.saved"] == 1


def test_saving_again_with_the_token_updates_the_same_draft(store):
    first = save_draft(store=store, token="", phone="98123 45699", lines=LINES)
    more = {**LINES, "8:0": [1, "99.00", "Spoon"]}

    again = save_draft(store=store, token=first.token, phone="98123 45600", name="Meera", lines=more)
    other_browser = save_draft(store=store, token="", phone="98123 45699", lines=LINES)

    assert again.pk == first.pk and again.token == first.token
    assert (again.phone, again.name, again.lines) == ("+919812345600", "Meera", more)
    assert other_browser.pk != first.pk
    assert CheckoutDraft.objects.filter(store=store).count() == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"phone": "12345"}, "mobile number"),
        ({"phone": ""}, "mobile number"),
        ({"name": "x" * 81}, "at most 80 characters"),
        ({"name": "Meera\u202e"}, "hidden direction character"),
        ({"pin_code": "56003"}, "PIN code"),
        ({"lines": {}}, "Your cart is empty"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_kept(store, changes, message):
    with pytest.raises(DraftRefused) as refused:
        save_draft(store=store, **{"token": "", "phone": "98123 45699", "lines": LINES, **changes})

    assert message in refused.value.message
    assert not CheckoutDraft.objects.exists()
    assert event_counts(store)["checkout_draft.saved"] == 0


def test_another_stores_token_is_not_updated_a_new_draft_is_made(store, other_store):
    theirs = save_draft(store=other_store, token="", phone="98123 45699", name="Theirs", lines=LINES)

    mine = save_draft(store=store, token=theirs.token, phone="98123 45600", name="Mine", lines=LINES)

    theirs.refresh_from_db()
    assert mine.pk != theirs.pk and mine.store == store
    assert (theirs.name, theirs.phone) == ("Theirs", "+919812345699")
    assert draft_for_link(store_id=store.pk, token=theirs.token) is None


def test_a_draft_is_listed_only_after_a_quiet_hour_and_for_seven_days(store):
    draft = save_draft(store=store, token="", phone="98123 45699", lines=LINES)

    assert list(unfinished_checkouts(store=store)) == []
    assert list(unfinished_checkouts(store=store, now=later(minutes=-1))) == []
    assert list(unfinished_checkouts(store=store, now=later())) == [draft]
    assert list(unfinished_checkouts(store=store, now=later(hours=7 * 24))) == []


def test_newest_first_and_each_store_sees_only_its_own(store, other_store):
    older = save_draft(store=store, token="", phone="98123 45601", lines=LINES)
    newer = save_draft(store=store, token="", phone="98123 45602", lines=LINES)
    save_draft(store=other_store, token="", phone="98123 45603", lines=LINES)
    age(older, hours=3)
    age(newer, hours=2)

    assert list(unfinished_checkouts(store=store)) == [newer, older]


def test_an_order_from_the_same_phone_in_the_store_finishes_its_drafts(store, other_store):
    tiffin = make_product(store, "Steel tiffin", "250.00", stock=5)
    mine = save_draft(store=store, token="", phone="98123 00001", lines=LINES)  # the orders tests' buyer
    someone_else = save_draft(store=store, token="", phone="98123 45699", lines=LINES)
    elsewhere = save_draft(store=other_store, token="", phone="98123 00001", lines=LINES)
    for draft in (mine, someone_else, elsewhere):
        age(draft, hours=2)

    placed = order(store, [line(tiffin)])

    mine.refresh_from_db()
    assert mine.order == placed
    assert list(unfinished_checkouts(store=store)) == [someone_else]
    assert list(unfinished_checkouts(store=other_store)) == [elsewhere]
    # The browser that ordered starts a new draft with its next cart; the finished one stays finished.
    after = save_draft(store=store, token=mine.token, phone="98123 00001", lines=LINES)
    assert after.pk != mine.pk


def test_dismissing_hides_a_draft_once_and_another_stores_id_is_not_found(store, other_store):
    draft = save_draft(store=store, token="", phone="98123 45699", lines=LINES)
    age(draft, hours=2)

    dismiss_draft(store=store, draft_id=draft.pk)
    dismiss_draft(store=store, draft_id=draft.pk)

    assert list(unfinished_checkouts(store=store)) == []
    assert event_counts(store)["checkout_draft.dismissed"] == 1
    with pytest.raises(CheckoutDraft.DoesNotExist):
        dismiss_draft(store=other_store, draft_id=draft.pk)


def test_drafts_untouched_for_thirty_days_are_deleted(store, other_store):
    old = save_draft(store=store, token="", phone="98123 45601", lines=LINES)
    old_elsewhere = save_draft(store=other_store, token="", phone="98123 45601", lines=LINES)
    recent = save_draft(store=store, token="", phone="98123 45602", lines=LINES)
    age(old, days=30, minutes=1)
    age(old_elsewhere, days=31)
    age(recent, days=29)

    assert delete_old_drafts() == 2
    assert list(CheckoutDraft.objects.all()) == [recent]


def test_saving_a_draft_schedules_the_daily_cleanup_which_comes_back_while_drafts_are_kept(store):
    old = save_draft(store=store, token="", phone="98123 45601", lines=LINES)
    save_draft(store=store, token="", phone="98123 45602", lines=LINES)
    (cleanup,) = ScheduledJob.objects.filter(name="orders.delete_old_drafts")
    assert cleanup.due_at == old.updated_at + timedelta(days=1)  # the first save's; the second kept it

    recent = save_draft(store=store, token="", phone="98123 45603", lines=LINES)
    age(old, days=31)
    assert run_due_jobs(now=timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert list(CheckoutDraft.objects.order_by("pk").values_list("pk", flat=True))[-1] == recent.pk
    assert not CheckoutDraft.objects.filter(pk=old.pk).exists()
    assert ScheduledJob.objects.filter(name="orders.delete_old_drafts").count() == 1  # tomorrow again

    CheckoutDraft.objects.all().delete()
    assert run_due_jobs(now=timezone.now() + timedelta(days=2, minutes=2)) == 1
    assert not ScheduledJob.objects.filter(name="orders.delete_old_drafts").exists()
