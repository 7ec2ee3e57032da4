"""A change of the store's UPI ID or WhatsApp number in the dashboard is written to the store's audit
trail, shown on its own page to that store only, and texted to the owner's phone."""

import pytest
from django.urls import reverse

from dukaan.accounts.models import AuditEntry
from dukaan.events.local import run_pending

pytestmark = pytest.mark.django_db


def settings_form(store, **changes) -> dict:
    fields = {"name": store.name, "slug": store.slug, "whatsapp": store.whatsapp, "currency": store.currency}
    return {**fields, "upi_id": store.upi_id, **changes}


def test_a_new_upi_id_saved_in_the_dashboard_is_audited_and_texted_to_the_owner(client, store, settings):
    client.force_login(store.owner)
    answer = client.post(reverse("dashboard:store_settings"), settings_form(store, upi_id="asha@okaxis"))
    assert answer.status_code == 302

    entry = AuditEntry.objects.get(store=store)
    assert (entry.field, entry.old_value, entry.new_value) == ("upi_id", "(none)", "…axis")
    assert (entry.actor_kind, entry.actor, entry.actor_detail) == ("member", "******5601", "owner")
    page = client.get(reverse("dashboard:store_audit")).content.decode()
    assert "UPI ID" in page and "…axis" in page and "******5601 (Owner)" in page
    assert "asha@okaxis" not in page

    run_pending()
    texts = [
        line for line in settings.SMS_CONSOLE_LOG.read_text().splitlines() if "to=+919812345601 " in line
    ]
    assert len(texts) == 1 and "UPI ID of Store asha-store was changed to …axis" in texts[0]


def test_a_hindi_stores_owner_is_texted_in_hindi(client, store, settings):
    store.language = "hi"
    store.save(update_fields=["language"])
    client.force_login(store.owner)
    client.post(reverse("dashboard:store_settings"), settings_form(store, upi_id="asha@okaxis"))
    run_pending()
    texts = [
        line for line in settings.SMS_CONSOLE_LOG.read_text().splitlines() if "to=+919812345601 " in line
    ]
    assert len(texts) == 1 and "Store asha-store में UPI ID" in texts[0] and "अब …axis है" in texts[0]
    assert "(मालिक)" in texts[0] and "Owner" not in texts[0]


def test_the_sms_is_in_the_stores_language_not_the_owners_dashboard_language(client, store, settings):
    store.owner.language = "hi"
    store.owner.save(update_fields=["language"])
    client.force_login(store.owner)
    client.post(reverse("dashboard:store_settings"), settings_form(store, upi_id="asha@okaxis"))
    run_pending()
    texts = [
        line for line in settings.SMS_CONSOLE_LOG.read_text().splitlines() if "to=+919812345601 " in line
    ]
    assert len(texts) == 1 and "UPI ID of Store asha-store was changed to …axis" in texts[0]


def test_saving_the_same_payment_details_logs_only_the_rename_and_texts_no_one(client, store):
    client.force_login(store.owner)
    client.post(reverse("dashboard:store_settings"), settings_form(store, name="Renamed"))
    entry = AuditEntry.objects.get()
    assert (entry.field, entry.new_value, entry.owner_alerted_at) == ("name", "Renamed", None)


def test_a_store_sees_only_its_own_audit_trail(client, store, other_store):
    client.force_login(other_store.owner)
    client.post(reverse("dashboard:store_settings"), settings_form(other_store, upi_id="bala@okhdfc"))
    client.force_login(store.owner)
    page = client.get(reverse("dashboard:store_audit")).content.decode()
    assert "…hdfc" not in page and "No changes yet" in page
