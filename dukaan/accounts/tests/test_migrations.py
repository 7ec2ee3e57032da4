"""Tokens made before scopes existed keep catalog and orders, but not the store's payment details."""

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
