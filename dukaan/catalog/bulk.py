"""`dukaan seed` on PostgreSQL: shops planned as seed.py plans them, written with COPY.

A batch is about COPY_PRODUCTS_PER_BATCH products (a huge shop alone) in one transaction: ids for
users, stores, categories and products are taken from their sequences in one round trip per table,
so every foreign key is known before a row is sent and other writers can go on meanwhile; variants
and images take their ids from the column default. Events are written as seed.py writes them, one
`catalog.imported` per shop (or none). At the end, VACUUM ANALYZE of the tables written, so the
query planner knows their new size at once.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Unpack

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dukaan.accounts.models import User
from dukaan.events.models import OutboxEvent

from .events import StoreData
from .models import Category, Product, ProductImage, ProductVariant, Store
from .seed import LoadOptions, SeedResult, StorePlan, imported_event, load_stores

COPY_PRODUCTS_PER_BATCH = 50_000
COPY_STORES_PER_BATCH = 5_000
TABLES = [User, Store, Category, Product, ProductVariant, ProductImage]


def _ids(cursor, model, count: int) -> list[int]:
    """`count` fresh ids from the model's own sequence, in one round trip."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [model._meta.db_table, count],
    )
    return [row[0] for row in cursor.fetchall()]


def _copy(cursor, model, columns: str, rows) -> int:
    written = 0
    with cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _write_batch(plans: list[StorePlan], pool: dict, *, password: str, events: bool) -> tuple[int, int, int]:
    """COPY one batch of planned shops in one transaction; returns (categories, variants, images)."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own, for copy()
        user_ids = _ids(cursor, User, len(plans))
        store_ids = _ids(cursor, Store, len(plans))
        category_ids = iter(_ids(cursor, Category, sum(len(plan.shelves) for plan in plans)))
        product_ids = iter(_ids(cursor, Product, sum(len(plan.products) for plan in plans)))
        _copy(
            cursor,
            User,
            "id, password, is_superuser, phone, name, language, is_staff, is_active, date_joined",
            (
                (uid, password, False, plan.phone, plan.owner, "", False, True, now)
                for uid, plan in zip(user_ids, plans, strict=True)
            ),
        )
        _copy(
            cursor,
            Store,
            "id, owner_id, name, slug, whatsapp, currency, language, logo, upi_id, order_counter, "
            "created_at, updated_at",
            (
                (
                    sid,
                    uid,
                    plan.name,
                    plan.slug,
                    plan.phone,
                    "INR",
                    settings.LANGUAGE_CODE,
                    "",
                    "",
                    0,
                    now,
                    now,
                )
                for sid, uid, plan in zip(store_ids, user_ids, plans, strict=True)
            ),
        )
        shelves = [[next(category_ids) for _ in plan.shelves] for plan in plans]
        categories = _copy(
            cursor,
            Category,
            "id, store_id, name, position",
            (
                (cid, sid, spec.name, position)
                for sid, plan, ids in zip(store_ids, plans, shelves, strict=True)
                for position, (cid, spec) in enumerate(zip(ids, plan.shelves, strict=True))
            ),
        )
        products = [
            (next(product_ids), sid, ids, plan, product)
            for sid, ids, plan in zip(store_ids, shelves, plans, strict=True)
            for product in plan.products
        ]
        _copy(
            cursor,
            Product,
            "id, store_id, category_id, name, description, price, compare_at_price, sku, stock, is_active, "
            "version, created_at, updated_at",
            (
                (pid, sid, ids[p.shelf], p.name, p.description, p.price, p.compare_at_price, p.sku, p.stock)
                + (p.is_active, 1, now, now)
                for pid, sid, ids, _plan, p in products
            ),
        )
        variants = _copy(
            cursor,
            ProductVariant,
            "store_id, product_id, options, price, sku, stock, position",
            (
                (sid, pid, json.dumps(v.options), v.price, v.sku, v.stock, v.position)
                for pid, sid, _ids, _plan, p in products
                for v in p.variants
            ),
        )
        photos = _copy(
            cursor,
            ProductImage,
            "store_id, product_id, original, small, large, width, height, position",
            (
                (sid, pid, image.original, image.small, image.large, image.width, image.height, 0)
                for pid, sid, _ids, plan, p in products
                if p.photo
                for image in [pool[plan.shelves[p.shelf].name]]
            ),
        )
        if events:
            OutboxEvent.objects.bulk_create(
                imported_event(sid, plan, _store_data(sid, plan))
                for sid, plan in zip(store_ids, plans, strict=True)
            )
    return categories, variants, photos


def _store_data(store_id: int, plan: StorePlan) -> StoreData:
    """selectors.store_data of the shop as written above, without reading it back."""
    return {
        "id": store_id,
        "name": plan.name,
        "slug": plan.slug,
        "whatsapp": plan.phone,
        "currency": "INR",
        "upi_id": "",
        "logo": "",
    }


def copy_stores(**options: Unpack[LoadOptions]) -> SeedResult:
    """seed.seed_stores written with COPY: the same rules (and reproducible with `seed`), far faster."""
    if connection.vendor != "postgresql":
        raise ValueError("copy_stores needs PostgreSQL; seed.seed_stores loads other databases")
    started = time.perf_counter()
    result = load_stores(_write_batch, batch=(COPY_PRODUCTS_PER_BATCH, COPY_STORES_PER_BATCH), **options)
    # VACUUM cannot run inside a transaction (a caller's atomic block, as in tests); ANALYZE can.
    command = "ANALYZE " if connection.in_atomic_block else "VACUUM ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(command + ", ".join(model._meta.db_table for model in TABLES))
    return dataclasses.replace(result, seconds=time.perf_counter() - started)
