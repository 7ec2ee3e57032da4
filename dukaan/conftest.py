"""Fixtures and helpers shared by the apps' tests: merchants (and staff) logged in, their stores, image
uploads, and threads that race."""

import asyncio
import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from PIL import Image

from dukaan.accounts.models import User
from dukaan.accounts.tests.helpers import log_in_staff
from dukaan.catalog import services
from dukaan.infra.catalogues import compile_all


def png_upload(
    name: str = "photo.png", size: tuple[int, int] = (64, 48), colour: str = "teal"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def asgi_get(app, path: str, host: str = "localhost") -> tuple[int, dict[str, str]]:
    """One GET through an ASGI app's HTTP handler, in this thread: the status and the headers."""
    status, headers, _body = asgi_page(app, path, host)
    return status, headers


def asgi_page(app, path: str, host: str = "localhost") -> tuple[int, dict[str, str], bytes]:
    """asgi_get, with the body too."""
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", host.encode())],
        "http_version": "1.1",
    }
    asyncio.run(app._http(scope, receive, send))
    headers = {name.decode(): value.decode() for name, value in sent[0]["headers"]}
    return sent[0]["status"], headers, sent[1]["body"]


def make_store(phone: str, slug: str):
    owner = User.objects.create_user(phone)
    return services.create_store(owner=owner, name=f"Store {slug}", slug=slug, whatsapp=phone)


def change_store(store, **changes):
    """update_store with the store's saved settings, except `changes` (upi_id=…, logo=…, slug=…)."""
    saved = {"name": store.name, "slug": store.slug, "whatsapp": store.whatsapp, "currency": store.currency}
    return services.update_store(store=store, **{**saved, **changes})


def race(count: int, work: Callable[[int], object]) -> list:
    """Run work(0) … work(count - 1) in `count` threads released at the same instant.

    Returns each call's result, or the exception it raised. Each thread closes its own database
    connection when it is done.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # collected for the test to inspect
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running after 60 s"
    return results


@pytest.fixture(scope="session", autouse=True)
def no_views_left_at_exit():
    """Views counted outside a test (a module fixture requesting pages) are dropped at the end of the
    session: the exit flush would write them into the database the settings name once the test
    database is gone (the developer's own)."""
    yield
    from dukaan.storefront import view_counts

    view_counts._views.clear()
    view_counts._product_views.clear()


@pytest.fixture(autouse=True)
def fresh_view_counts(monkeypatch):
    """Page views counted in memory by one test are not written into the next test's database."""
    from dukaan.storefront import view_counts

    monkeypatch.setattr(view_counts, "_views", Counter())
    monkeypatch.setattr(view_counts, "_product_views", {})
    monkeypatch.setattr(view_counts, "_last_flush", time.monotonic())


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Every test writes uploads and SMS logs into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_CONSOLE_LOG = tmp_path / "sms.log"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The .mo files as make install builds them, also for a run that did not go through make."""
    compile_all()


@pytest.fixture(autouse=True)
def default_language_between_tests():
    """A store page in Hindi leaves Hindi active in the thread, as every request does its language
    (the next request's LocaleMiddleware sets its own): each test starts in the default language."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_hourly_limits():
    """Every test starts a fresh hour for the per-client limits counted in the in-process cache (orders
    per address and per phone, texts per number): every test's orders come from 127.0.0.1, and on
    SQLite a rolled-back test's store ids come back."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def dns_server(settings):
    """A DNS server on 127.0.0.1 that custom-domain checks ask (DNS_RESOLVER): publish a TXT record by
    setting `dns_server.txt[name] = [value]`."""
    from deploy.local.dns_server import DnsServer

    with DnsServer() as server:
        settings.DNS_RESOLVER = server.address
        yield server


@pytest.fixture(autouse=True)
def fresh_domain_lookups():
    """Every test looks custom domains up afresh: on SQLite a rolled-back test's stores come back with
    the same slugs, and this process remembers lookups (catalog/domains.py)."""
    from dukaan.catalog import domains

    domains._lookups.clear()


@pytest.fixture(autouse=True)
def search_in_tmp(settings, tmp_path):
    """Every test indexes into its own empty embedded search index (the `search` group runs in every
    run_pending()), never the developer's var/search, and starts with a closed search circuit."""
    from dukaan.search import service

    settings.SEARCH_URL = f"tantivy://{tmp_path / 'search'}"
    service.breaker.reset()
    yield
    service.breaker.reset()


@pytest.fixture
def store(db):
    return make_store("+919812345601", "asha-store")


@pytest.fixture
def other_store(db):
    return make_store("+919812345602", "bala-store")


@pytest.fixture
def me(client, store):
    """A client logged in as the store's merchant."""
    client.force_login(store.owner)
    return client


@pytest.fixture
def staff(client, db):
    """A client logged in to the admin as a superuser, the way staff do: the password, then the SMS code."""
    User.objects.create_superuser("+919800000001", password="a-long-staff-password")
    log_in_staff(client, "+919800000001", "a-long-staff-password")
    return client


@pytest.fixture
def product(store):
    category = services.create_category(store=store, name="Kurtas")
    return services.create_product(
        store=store,
        name="Cotton kurta",
        price=Decimal("499.00"),
        compare_at_price=Decimal("699.00"),
        stock=10,
        category=category,
        variants=[
            services.VariantInput(options={"Size": "M"}, price=Decimal("499.00"), stock=5),
            services.VariantInput(options={"Size": "L"}, price=Decimal("529.00"), stock=5),
        ],
        new_images=[png_upload()],
    )


@pytest.fixture
def spans(monkeypatch):
    """Every span this process makes during the test (requests, worker threads), kept in memory."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from dukaan.infra import tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_provider", provider)
    yield exporter
    provider.shutdown()
