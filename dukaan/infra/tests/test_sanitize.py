"""`dukaan sanitize-copy`: a copy of a real database (this test run's own) into a fresh SQLite file, and on
the PostgreSQL pass into a second PostgreSQL database, checked by a scan of our own."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dukaan.accounts.models import User
from dukaan.accounts.services import normalize_phone
from dukaan.catalog import services as catalog
from dukaan.catalog.seed import seed_demo
from dukaan.orders.services import Buyer, CartLine, place_order, save_draft
from tests.processes import database_url

MERCHANTS = [
    ("+919812345601", "Zorawar Quixote", "zorawar-crafts"),
    ("+919812345602", "Ilsabet Mwangi", "ilsa-foods"),
]
BUYERS = [
    Buyer(
        name="Ottoline Vasquez",
        phone="+919700000011",
        address="7 Lantern Alley, Koramangala",
        pin_code="560034",
    ),
    Buyer(
        name="Percival Oyelaran",
        phone="+919700000022",
        address="42 Quince Court, Aundh, Pune",
        pin_code="411007",
    ),
    # The first merchant buys from the other store: one person, one phone, in two tables.
    Buyer(
        name="Zorawar Quixote",
        phone="+919812345601",
        address="3 Juniper Row, Bandra, Mumbai",
        pin_code="400050",
    ),
]
# A buyer who typed their phone at checkout and left (an unfinished checkout).
LEFT = ("Wilhelmina Okonkwo", "+919700000033")
UPI_ID = "zorawar.quixote@okaxis"
SKIPPED = {
    "django_session",
    "accounts_logincode",
    "accounts_apitoken",
    "api_idempotencyrecord",
    "django_admin_log",
}


@pytest.fixture
def source(transactional_db):
    """Two stores with merchants, buyers and their orders (the first buyer orders twice), and the demo
    store; committed, so the command's own connection reads them. Returns the originals."""
    stores = []
    for phone, name, slug in MERCHANTS:
        owner = User.objects.create_user(phone, name=name)
        upi = UPI_ID if slug == "zorawar-crafts" else ""
        stores.append(
            catalog.create_store(owner=owner, name=f"{name} Crafts", slug=slug, whatsapp=phone, upi_id=upi)
        )
    products = [
        catalog.create_product(store=store, name="Clay lamp", price=Decimal("120.00")) for store in stores
    ]
    orders = [(0, BUYERS[0]), (1, BUYERS[0]), (0, BUYERS[1]), (1, BUYERS[2])]
    for number, (index, buyer) in enumerate(orders):
        line = CartLine(
            product_id=products[index].pk, variant_id=None, quantity=1, seen_price=Decimal("120.00")
        )
        place_order(
            store=stores[index], lines=[line], buyer=buyer, payment_method="cod", idempotency_key=f"k{number}"
        )
    save_draft(
        store=stores[0], token="", name=LEFT[0], phone=LEFT[1], lines={"1:0": [1, "120.00", "Clay lamp"]}
    )
    seed_demo()
    return {
        "names": [name for _, name, _ in MERCHANTS]
        + [buyer.name for buyer in BUYERS]
        + ["Demo Shopkeeper", LEFT[0]],
        "phones": [phone for phone, _, _ in MERCHANTS]
        + [buyer.phone for buyer in BUYERS]
        + ["+919999999999", LEFT[1]],
        "addresses": [buyer.address for buyer in BUYERS],
        "upi_ids": [UPI_ID, "ashas-kitchen@upi"],
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request, tmp_path, transactional_db):
    """A database no one has used: a SQLite file, or (PostgreSQL pass only) a new database on this server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'staging.sqlite3'}"
        return
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL target needs the PostgreSQL pass (DATABASE_URL=postgres://…)")
    name = f"sanitize_target_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield database_url().rsplit("/", 1)[0] + f"/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def sanitize(source_url: str, target_url: str, *args: str) -> str:
    out = []

    class Collect:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command(
        "sanitize_copy", "--from", source_url, "--to", target_url, *args, verbosity=0, stdout=Collect()
    )
    return "".join(out)


def refusal(source_url: str, target_url: str, *args: str) -> str:
    with pytest.raises(CommandError) as refused:
        sanitize(source_url, target_url, *args)
    message = str(refused.value)
    assert "\n" not in message
    return message


# --- Reading the target without Django: every text cell of every table --------------------------------


def rows(url: str, table: str) -> list[tuple]:
    with _open(url) as db:
        return db.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()


def _open(url: str):
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    return psycopg.connect(url.replace("postgres://", "postgresql://", 1))


def tables(url: str) -> list[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        if url.startswith("sqlite")
        else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    with _open(url) as db:
        return sorted(name for (name,) in db.execute(query).fetchall())


def every_cell(url: str):
    for table in tables(url):
        for row in rows(url, table):
            for value in row:
                if value is not None:
                    yield table, (json.dumps(value) if isinstance(value, dict | list) else str(value)).lower()


def digits_only(text: str) -> str:
    return re.sub(r"[\s\-()+]", "", text)


def order_buyers(url: str) -> list[tuple]:
    with _open(url) as db:
        return db.execute(
            "SELECT id, buyer_name, buyer_phone, address FROM orders_order ORDER BY id"
        ).fetchall()


# --- The copy ------------------------------------------------------------------------------------------


def test_copies_every_row_and_leaves_no_original_personal_data(source, target_url):
    source_url = database_url()

    summary = sanitize(source_url, target_url, "--seed", "staging-1")

    assert "verified: no original personal data in TARGET" in summary
    for table in tables(source_url):
        if table != "django_migrations":
            expected = 0 if table in SKIPPED else len(rows(source_url, table))
            assert len(rows(target_url, table)) == expected, table
    leaks = []
    for table, text in every_cell(target_url):
        leaks += [(table, "phone") for phone in source["phones"] if phone[3:] in digits_only(text)]
        for kind in ("names", "addresses", "upi_ids"):
            leaks += [(table, kind) for value in source[kind] if value.lower() in text]
    assert leaks == []


def test_one_person_gets_one_fake_everywhere_and_it_is_a_phone_the_site_accepts(source, target_url):
    sanitize(database_url(), target_url)

    buyers = order_buyers(target_url)
    with _open(target_url) as db:
        users = dict(db.execute("SELECT name, phone FROM accounts_user").fetchall())
        whatsapp = dict(db.execute("SELECT slug, whatsapp FROM catalog_store").fetchall())
        placed = [
            json.loads(p) if isinstance(p, str) else p
            for (p,) in db.execute("SELECT payload FROM outbox WHERE type = 'order.placed'").fetchall()
        ]
    first, second, third, merchant_as_buyer = buyers
    assert first[1:] == second[1:]  # the same buyer in two stores' orders
    assert third[2] != first[2]
    assert whatsapp["zorawar-crafts"] == merchant_as_buyer[2] == users[merchant_as_buyer[1]]
    assert sorted(event["data"]["buyer_name"] for event in placed) == sorted(buyer[1] for buyer in buyers)
    for phone in [buyer[2] for buyer in buyers] + list(users.values()) + list(whatsapp.values()):
        assert normalize_phone(phone) == phone


def test_the_same_seed_gives_the_same_fakes_and_another_seed_others(source, target_url, tmp_path):
    again, other = (f"sqlite:///{tmp_path / name}" for name in ("again.sqlite3", "other.sqlite3"))

    sanitize(database_url(), target_url, "--seed", "s3cret")
    sanitize(database_url(), again, "--seed", "s3cret")
    sanitize(database_url(), other, "--seed", "another")

    assert order_buyers(target_url) == order_buyers(again)
    assert {row[2] for row in order_buyers(other)}.isdisjoint({row[2] for row in order_buyers(target_url)})


def test_the_demo_store_renders_from_the_copy(source, target_url, tmp_path):
    sanitize(database_url(), target_url)
    show_page = (
        "import django, json; django.setup(); from django.test import Client; "
        "page = Client(HTTP_HOST='localhost').get('/s/demo/'); "
        "print(json.dumps([page.status_code, page.content.decode()]))"
    )
    env = {**os.environ, "DATABASE_URL": target_url, "DUKAAN_VAR_DIR": str(tmp_path / "var")}
    env.pop("DUKAAN_ENV", None)
    env["DJANGO_SETTINGS_MODULE"] = "dukaan.config.settings"

    ran = subprocess.run(
        [sys.executable, "-c", show_page], env=env, capture_output=True, text=True, timeout=120
    )

    assert ran.returncode == 0, ran.stderr
    status, html = json.loads(ran.stdout.splitlines()[-1])
    assert status == 200
    assert "Embroidered Dupatta" in html
    assert "ashas-kitchen@upi" not in html and "99999" not in html


# --- Refusals ----------------------------------------------------------------------------------------


def test_refuses_a_target_with_data_unless_told_to_replace_it(source, target_url):
    sanitize(database_url(), target_url, "--seed", "one")
    before = order_buyers(target_url)

    message = refusal(database_url(), target_url, "--seed", "two")

    assert "already has data" in message and "--replace" in message
    assert order_buyers(target_url) == before
    sanitize(database_url(), target_url, "--seed", "two", "--replace")
    assert order_buyers(target_url) != before
    assert len(order_buyers(target_url)) == len(before)


def test_refuses_to_copy_a_database_onto_itself(source):
    source_rows = rows(database_url(), "orders_order")

    assert "are the same database" in refusal(database_url(), database_url())
    assert rows(database_url(), "orders_order") == source_rows


@pytest.mark.parametrize("url", ["mysql://root@localhost/shop", "/var/dukaan.sqlite3", "sqlite://"])
def test_refuses_urls_it_does_not_understand(db, tmp_path, url):
    message = refusal(url, f"sqlite:///{tmp_path / 'target.sqlite3'}")

    assert "source" in message and ("database URL" in message or "names no file" in message)


def test_refuses_an_unreachable_or_missing_source_without_creating_it(db, tmp_path):
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    missing = tmp_path / "nowhere.sqlite3"

    assert "does not exist" in refusal(f"sqlite:///{missing}", target)
    assert not missing.exists()
    assert "Cannot connect to the source" in refusal("postgres://dukaan@127.0.0.1:1/dukaan", target)


def test_refuses_a_source_that_is_not_a_migrated_dukaan_database(db, tmp_path):
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")

    message = refusal(f"sqlite:///{other}", f"sqlite:///{tmp_path / 'target.sqlite3'}")

    assert "is not a dukaan database migrated to this version" in message


def test_the_console_command_answers_a_refusal_in_one_line(tmp_path):
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "dukaan.cli",
            "sanitize-copy",
            "--from",
            "mysql://x/y",
            "--to",
            "sqlite:///t.db",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "DUKAAN_VAR_DIR": str(tmp_path)},
    )

    assert ran.returncode == 1
    assert ran.stderr.strip().count("\n") == 0
    assert ran.stderr.startswith("CommandError: The source must be a database URL")
