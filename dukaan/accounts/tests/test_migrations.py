"""Data migrations: tokens made before scopes existed keep catalog and orders, but not the store's payment
details; audit entries written in words become data."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_logincode_phone_prefix")]
AFTER = [("accounts", "0005_apitoken_scopes_auditentry")]


@pytest.mark.django_db(transaction=True)
def test_existing_tokens_get_every_scope_but_store_write(store):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    old_apps.get_model("accounts", "ApiToken").objects.create(
        store_id=store.pk, name="stock sync", prefix="dk_old1234", token_hash="0" * 64
    )

    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new_apps = executor.loader.project_state(AFTER).apps
        token = new_apps.get_model("accounts", "ApiToken").objects.get(prefix="dk_old1234")
        assert token.scopes == ["catalog:read", "catalog:write", "orders:read", "orders:write"]
    finally:
        # Every later migration again, or the next tests on this worker meet a schema without them.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_audit_entries_written_in_words_become_data_the_reader_sees_in_their_language(store):
    before, after = (
        [("accounts", "0007_user_language")],
        [("accounts", "0008_auditentry_read_in_readers_language")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    Entry = executor.loader.project_state(before).apps.get_model("accounts", "AuditEntry")
    rows = [
        ("order_status", "Order #12 status", "Placed", "मंज़ूर", "******0041 (Staff)"),
        ("staff", "Staff ******0011", "", "Manager", "******5601 (Owner)"),
        ("price", "Price of Brass lamp", "900.00", "950", "the API token ‘stock sync’ (dk_Ab12…)"),
        ("upi_id", "UPI ID", "(none)", "…axis", "Dukaan's operators"),
        ("whatsapp", "WhatsApp number", "…5601", "…5699", "+91 98123 45601 in the dashboard"),
    ]
    for field, label, old, new, actor in rows:
        Entry.objects.create(
            store_id=store.pk, field=field, label=label, old_value=old, new_value=new, actor=actor
        )

    try:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        Entry = executor.loader.project_state(after).apps.get_model("accounts", "AuditEntry")
        fields = ("subject", "old_value", "new_value", "actor_kind", "actor", "actor_detail")
        assert list(Entry.objects.order_by("pk").values_list(*fields)) == [
            ("12", "placed", "accepted", "member", "******0041", "staff"),
            ("******0011", "", "manager", "member", "******5601", "owner"),
            ("Brass lamp", "900.00", "950", "token", "stock sync", "dk_Ab12"),
            ("", "(none)", "…axis", "operator", "", ""),
            ("", "…5601", "…5699", "", "+91 98123 45601 in the dashboard", ""),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
