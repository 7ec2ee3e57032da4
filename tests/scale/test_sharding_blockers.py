"""What in the schema stops distributing the data by store on Citus; the list can only shrink.

docs/sharding.md explains the plan: every store-owned table distributed by `store_id` and co-located
with `catalog_store` (distributed by its `id`), the tables no store owns kept as reference or local
tables. This test reads the blockers to that plan from the Django models (every table, Django's own
and the many-to-many ones included) and compares them with TO_FIX and ACCEPTED below:
- a new blocker fails, with what to change (or, if there is a reason to keep it, list it in ACCEPTED
  with that reason);
- a listed blocker that no longer blocks fails too, so the lists only shrink as the schema gets there.
"""

from __future__ import annotations

from django.apps import apps
from django.apps.registry import Apps
from django.db import models

from dukaan.catalog.models import Store
from dukaan.orders.models import Order

STORE_COLUMN = "store_id"

# How each kind of blocker is removed (the failure message quotes it).
FIXES = {
    "no store": "add a non-null `store` foreign key (Citus places a row by it), or, for a table no store "
    "owns, accept it as a reference table (small, read everywhere) or a local one (coordinator only)",
    "store may be null": "make `store` non-null: Citus cannot place a row without a distribution value",
    "primary key": "make the primary key (store_id, id): Citus enforces a key only within one shard",
    "unique": "add `store` to the constraint's fields (unique per store); a value that must be unique "
    "across stores goes to a reference or local table that maps it to its store",
    "foreign key": "make it a composite key (store_id, <column>) → (store_id, id), e.g. a ForeignObject, "
    "so the two rows are in one shard; or, for a reference that may cross stores, drop the constraint",
    "foreign key to a table with no store": "the target must be a reference table (accept it, saying so)",
    "foreign key to a distributed table": "reference and local tables cannot point into the shards: "
    "keep the id as a plain column, or give the table a store",
    "32-bit id": "use BigAutoField: Citus hands out 64-bit sequence values on every node",
}

# The blockers to be changed before distributing (FIXES says how; docs/sharding.md the order).
TO_FIX: set[tuple[str, str, str]] = {
    # Every store-owned table's key is its id alone.
    *(
        ("primary key", model, "id")
        for model in (
            "accounts.ApiToken",
            "accounts.AuditEntry",
            "analytics.OrderRevenue",
            "analytics.StoreDay",
            "api.IdempotencyRecord",
            "catalog.Category",
            "catalog.Product",
            "catalog.ProductImage",
            "catalog.ProductVariant",
            "events.ScheduledJob",
            "fulfilment.Shipment",
            "invoices.CreditNote",
            "invoices.Invoice",
            "invoices.InvoiceCounter",
            "notifications.SentMessage",
            "orders.CheckoutDraft",
            "orders.Order",
            "orders.OrderCharge",
            "orders.OrderDiscount",
            "orders.OrderLine",
            "payments.Payment",
            "payments.RecordedPayment",
            "payments.Refund",
            "payments.StatementLineApplied",
            "promotions.Coupon",
            "promotions.CouponPhoneUses",
            "promotions.CouponUse",
            "promotions.Offer",
            "search.StoreSynonyms",
            "shipping.CodBlockedPhone",
            "shipping.DeliverySettings",
            "shipping.DeliveryZone",
            "taxes.TaxRate",
            "taxes.TaxSettings",
        )
    ),
    # Foreign keys between two stores' rows by id alone.
    ("foreign key", "catalog.Product", "category_id"),
    ("foreign key", "catalog.ProductImage", "product_id"),
    ("foreign key", "catalog.ProductVariant", "product_id"),
    ("foreign key", "fulfilment.Shipment", "order_id"),
    ("foreign key", "invoices.CreditNote", "invoice_id"),
    ("foreign key", "invoices.Invoice", "order_id"),
    ("foreign key", "orders.CheckoutDraft", "order_id"),
    ("foreign key", "orders.OrderCharge", "order_id"),
    ("foreign key", "orders.OrderDiscount", "order_id"),
    ("foreign key", "orders.OrderLine", "order_id"),
    ("foreign key", "orders.OrderLine", "product_id"),
    ("foreign key", "orders.OrderLine", "variant_id"),
    ("foreign key", "payments.Payment", "order_id"),
    ("foreign key", "payments.RecordedPayment", "order_id"),
    ("foreign key", "payments.Refund", "order_id"),
    ("foreign key", "payments.Refund", "payment_id"),
    ("foreign key", "payments.StatementLineApplied", "order_id"),
    ("foreign key", "promotions.CouponPhoneUses", "coupon_id"),
    ("foreign key", "promotions.CouponUse", "coupon_id"),
    ("foreign key", "taxes.TaxRate", "category_id"),
    ("foreign key", "taxes.TaxRate", "product_id"),
    # Unique across all stores. Links that carry the store's slug need only be unique in the store.
    ("unique", "catalog.Store", "slug"),  # to the slug directory (ReleasedSlug below)
    ("unique", "catalog.Store", "owner_id"),  # one store per owner: kept on the (reference) user row
    ("unique", "orders.Order", "public_token"),  # /s/<slug>/o/<token>/
    ("unique", "orders.CheckoutDraft", "token"),  # /s/<slug>/cart/r/<token>/
    ("unique", "orders.OrderCharge", "order_id, kind"),
    ("unique", "fulfilment.Shipment", "order_id"),
    ("unique", "invoices.Invoice", "order_id"),
    ("unique", "promotions.CouponPhoneUses", "coupon_id, phone"),
    ("unique", "notifications.SentMessage", "event_id, recipient, kind"),
    # Found without knowing the store (a bearer token; a gateway's webhook): the token or the
    # gateway's notes must carry the store, or a local table maps the value to its store.
    ("unique", "accounts.ApiToken", "token_hash"),
    ("unique", "payments.Payment", "provider, provider_order_id"),
    ("unique", "payments.Refund", "provider_refund_id"),
    ("unique", "catalog.StoreDomain", "domain"),  # a request's Host finds its store by it
    # Platform jobs have no store: they move to a local table of their own.
    ("store may be null", "events.ScheduledJob", "store_id"),
    ("unique", "events.ScheduledJob", "name, key"),
    # The event log: the most written tables. The store id is in `aggregateid` as text; the relay's
    # position is one order over all stores, which a shard cannot give (per store it can).
    ("no store", "events.OutboxEvent", "outbox"),
    ("no store", "events.ProcessedEvent", "events_processedevent"),
    # Many-to-many tables made by Django: explicit through models with a store instead.
    ("no store", "promotions.Coupon_categories", "promotions_coupon_categories"),
    ("foreign key to a distributed table", "promotions.Coupon_categories", "category_id"),
    ("foreign key to a distributed table", "promotions.Coupon_categories", "coupon_id"),
    ("no store", "promotions.Coupon_products", "promotions_coupon_products"),
    ("foreign key to a distributed table", "promotions.Coupon_products", "coupon_id"),
    ("foreign key to a distributed table", "promotions.Coupon_products", "product_id"),
    ("no store", "promotions.Offer_products", "promotions_offer_products"),
    ("foreign key to a distributed table", "promotions.Offer_products", "offer_id"),
    ("foreign key to a distributed table", "promotions.Offer_products", "product_id"),
}

REFERENCE = "reference table: small, rarely written, read with the stores' rows on every node"
LOCAL = "local table on the coordinator: never joined with a store's rows"
# The blockers accepted as they are, and why.
ACCEPTED: dict[tuple[str, str, str], str] = {
    ("no store", "accounts.User", "accounts_user"): REFERENCE + " (a store's owner)",
    ("foreign key to a table with no store", "catalog.Store", "owner_id"): "to the users' reference table",
    **dict.fromkeys(
        [
            ("foreign key to a table with no store", "accounts.Membership", "user_id"),
            ("foreign key to a table with no store", "accounts.Membership", "invited_by_id"),
            ("foreign key to a table with no store", "accounts.ApiToken", "created_by_id"),
        ],
        "to the users' reference table (a store's staff, a token's maker)",
    ),
    ("no store", "accounts.User_groups", "accounts_user_groups"): REFERENCE,
    ("no store", "accounts.User_user_permissions", "accounts_user_user_permissions"): REFERENCE,
    ("no store", "auth.Group", "auth_group"): REFERENCE,
    ("no store", "auth.Group_permissions", "auth_group_permissions"): REFERENCE,
    ("no store", "auth.Permission", "auth_permission"): REFERENCE,
    ("no store", "contenttypes.ContentType", "django_content_type"): REFERENCE,
    ("no store", "accounts.LoginCode", "accounts_logincode"): LOCAL + " (limits are per phone and address)",
    ("no store", "admin.LogEntry", "django_admin_log"): LOCAL,
    ("no store", "sessions.Session", "django_session"): LOCAL + " (or the cache's session backend)",
    ("no store", "events.ConsumerOffset", "events_consumeroffset"): LOCAL + " (a row a group)",
    ("no store", "events.DeadLetter", "events_deadletter"): LOCAL + " (rare)",
    ("no store", "payments.ProcessedWebhook", "orders_processedwebhook"): LOCAL
    + " (the gateway's event ids)",
    # Every link a store gave up, whichever store: the slug directory, which also takes Store.slug's
    # uniqueness and routes /s/<slug>/ to a store id. A reference table cannot point into the shards.
    ("primary key", "catalog.ReleasedSlug", "id"): "reference table: the slug directory",
    ("store may be null", "catalog.ReleasedSlug", "store_id"): "reference table: the slug directory",
    ("unique", "catalog.ReleasedSlug", "slug"): "reference table: the slug directory",
}


def table_kind(model) -> str:
    """'tenant' (the stores, distributed by id), 'distributed' (has store_id) or 'no store'."""
    if model is Store:
        return "tenant"
    if any(field.column == STORE_COLUMN for field in model._meta.local_concrete_fields):
        return "distributed"
    return "no store"


def unique_sets(model) -> list[tuple[str, ...]]:
    """The columns of every unique field, unique_together and UniqueConstraint (expressions by their SQL)."""
    meta = model._meta
    sets = [(field.column,) for field in meta.local_concrete_fields if field.unique and not field.primary_key]
    sets += [tuple(meta.get_field(name).column for name in names) for names in meta.unique_together]
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            columns = tuple(meta.get_field(name).column for name in constraint.fields)
            sets.append(columns or tuple(str(expression) for expression in constraint.expressions))
    return sets


def blockers(all_models=None) -> set[tuple[str, str, str]]:
    """("kind", "app.Model", "detail") of every blocker in `all_models` (default: every model)."""
    found = set()
    for model in all_models or apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy:
            continue
        name, kind = meta.label, table_kind(model)
        fields = meta.local_concrete_fields
        if kind == "no store":
            found.add(("no store", name, meta.db_table))
            found |= {
                ("foreign key to a distributed table", name, field.column)
                for field in fields
                if field.is_relation and table_kind(field.related_model) != "no store"
            }
            continue
        key = STORE_COLUMN if kind == "distributed" else meta.pk.column
        if any(field.column == STORE_COLUMN and field.null for field in fields):
            found.add(("store may be null", name, STORE_COLUMN))
        primary_key = [field.column for field in meta.pk_fields]
        if key not in primary_key:
            found.add(("primary key", name, ", ".join(primary_key)))
        if meta.pk.get_internal_type() in ("AutoField", "SmallAutoField"):
            found.add(("32-bit id", name, meta.pk.column))
        found |= {
            ("unique", name, ", ".join(columns)) for columns in unique_sets(model) if key not in columns
        }
        for field in fields:
            if field.is_relation and field.column != key:
                to_store = table_kind(field.related_model) == "no store"
                found.add(
                    (
                        "foreign key to a table with no store" if to_store else "foreign key",
                        name,
                        field.column,
                    )
                )
    return found


def describe(blocker: tuple[str, str, str]) -> str:
    kind, model, detail = blocker
    return f"{model}: {kind} ({detail}). {FIXES[kind]}"


def test_the_schema_has_no_blocker_to_distributing_by_store_beyond_the_known_ones():
    # given the models as they are
    found = blockers()
    # then every blocker is known, and every known one still blocks
    new = sorted(found - TO_FIX - ACCEPTED.keys())
    assert not new, "New blockers to distributing by store (docs/sharding.md):\n" + "\n".join(
        map(describe, new)
    )
    gone = sorted((TO_FIX | ACCEPTED.keys()) - found)
    assert not gone, "No longer blockers; remove them from TO_FIX or ACCEPTED:\n" + "\n".join(map(str, gone))


def test_a_new_table_with_a_global_code_and_a_key_to_an_order_is_caught_with_how_to_fix_it():
    # given a new store-owned table whose code is unique across stores, pointing at an order by id
    class Voucher(models.Model):
        store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
        order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
        code = models.CharField(max_length=20, unique=True)

        class Meta:
            app_label = "catalog"
            apps = Apps()  # kept out of the project's registry

        def __str__(self) -> str:
            return self.code

    # when its blockers are read
    found = blockers([Voucher])
    # then its key, its code and its order's key are each caught, and the message says what to change
    assert found == {
        ("primary key", "catalog.Voucher", "id"),
        ("unique", "catalog.Voucher", "code"),
        ("foreign key", "catalog.Voucher", "order_id"),
    }
    assert "add `store` to the constraint's fields" in describe(("unique", "catalog.Voucher", "code"))
