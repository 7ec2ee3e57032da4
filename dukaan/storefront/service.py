"""The storefront service: the public store pages as their own process (`dukaan storefront`), at
/s/<slug>/ on the platform's hosts and at / on a store's verified domain (docs/domains.md).

An ASGI app for uvicorn (uvloop + httptools). Each worker keeps the pages it rendered for anonymous
buyers in memory, as ready bytes, so a hit is a dictionary lookup and one write to the socket: no
thread hop, no Django, no network round trip. Everything else (a miss, a buyer with a session, a
POST to the cart) is rendered by the monolith's own storefront views through Django's WSGI handler,
in a small thread pool; those views read the catalog snapshot through the shared cache (Redis) and
mark which pages are public (`Cache-Control: public`). Only such pages are kept.

Freshness: the `cache` consumer group publishes each invalidated store on Redis
(catalog_cache.INVALIDATION_CHANNEL); every worker follows that channel and drops the store's
pages. While the worker is not subscribed (Redis down, or not yet connected) it can miss a change,
so it drops every page and keeps none until it is subscribed again: pages then come from Django,
which builds from the database if it must, and still answers 200. A render that was running when
its store was invalidated is answered, but marked `no-cache` so that neither this worker nor the
edge keeps what may be the old page.

`dukaan storefront` runs `create_app` under uvicorn. `GET /-/storefront` answers this worker's
counters as JSON (for benches and tests).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import django
from django.apps import apps

# uvicorn's workers import this module first of all; inside Django (tests, the command) it is set up.
if not apps.ready:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dukaan.config.settings")
    django.setup()

import redis.asyncio  # noqa: E402  (after django.setup(), like everything that reads settings)
from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.http.cookie import parse_cookie  # noqa: E402
from prometheus_client import REGISTRY  # noqa: E402
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

from dukaan.infra import db_routing  # noqa: E402
from dukaan.infra.i18n import picked_language  # noqa: E402

from . import catalog_cache, view_counts  # noqa: E402
from .domains import is_platform_host  # noqa: E402
from .seo import PERSONAL_SECTIONS  # noqa: E402
from .views import PERSONAL_COOKIES  # noqa: E402

logger = logging.getLogger(__name__)

# Pages a worker does not keep: a buyer's own, and the product feeds, megabytes for a big store that
# Google and Meta fetch a few times a day (the edge keeps them).
NOT_KEPT_SECTIONS = (*PERSONAL_SECTIONS, "feeds")

STATS_PATH = "/-/storefront"
# Forget invalidation marks once this many stores have some; renders older than that are not kept.
MAX_INVALIDATION_MARKS = 10_000


class NotConfigured(Exception):
    """The settings do not allow the service to run; the message says what to set."""


def feed_url() -> str | None:
    """The Redis the `cache` group publishes invalidations on: the catalog cache's (first) server."""
    config = settings.CACHES[settings.CATALOG_CACHE_ALIAS]
    if not config["BACKEND"].endswith("RedisCache"):
        return None
    location = config["LOCATION"]
    return (location.split(",") if isinstance(location, str) else list(location))[0]


def check_settings() -> None:
    """A page cache that no one invalidates would serve old prices for ever: refuse to start so."""
    if settings.STOREFRONT_PAGE_CACHE_PAGES > 0 and feed_url() is None:
        raise NotConfigured(
            "the storefront service keeps pages in memory and learns of changes through Redis: set "
            "CACHE_URL=redis://host:port/0 (the same Redis as the event workers), or "
            "STOREFRONT_PAGE_CACHE_PAGES=0 to render every page"
        )


@dataclass
class Page:
    store_id: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    view: tuple[int, int | None] | None  # what view_counts.count_view() is told on each hit
    rendered_at: int  # PageCache.clock when its render started


@dataclass
class PageCache:
    """An LRU of ready pages by Host, path and query, with the pages of each store (on the platform's
    hosts and on its own domain), for invalidation.

    Used from the event loop's thread only, so it needs no lock.
    """

    capacity: int
    pages: OrderedDict[str, Page] = field(default_factory=OrderedDict)
    by_store: dict[int, set[str]] = field(default_factory=dict)
    # clock counts invalidations; invalidated[store] is the clock when the store last changed, and
    # a render that started before `floor` or before its store's mark is not kept.
    clock: int = 0
    floor: int = 0
    invalidated: dict[int, int] = field(default_factory=dict)
    subscribed: bool = False

    def get(self, key: str) -> Page | None:
        page = self.pages.get(key)
        if page is not None:
            self.pages.move_to_end(key)
        return page

    def changed_since(self, store_id: int, clock: int) -> bool:
        """Was the store invalidated (or every page dropped) after the clock read `clock`?"""
        return clock < max(self.floor, self.invalidated.get(store_id, -1))

    def keep(self, key: str, page: Page) -> bool:
        if not (self.subscribed and self.capacity) or self.changed_since(page.store_id, page.rendered_at):
            return False
        self._drop(key)
        self.pages[key] = page
        self.by_store.setdefault(page.store_id, set()).add(key)
        while len(self.pages) > self.capacity:
            self._drop(next(iter(self.pages)))
        return True

    def forget_store(self, store_id: int) -> None:
        self.clock += 1
        if len(self.invalidated) >= MAX_INVALIDATION_MARKS:
            self.invalidated.clear()
            self.floor = self.clock
        self.invalidated[store_id] = self.clock
        for key in self.by_store.pop(store_id, ()):
            self.pages.pop(key, None)

    def forget_all(self, *, subscribed: bool) -> None:
        self.clock += 1
        self.floor = self.clock
        self.invalidated.clear()
        self.pages.clear()
        self.by_store.clear()
        self.subscribed = subscribed

    def _drop(self, key: str) -> None:
        page = self.pages.pop(key, None)
        if page is not None:
            keys = self.by_store.get(page.store_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_store[page.store_id]


@dataclass
class Counters:
    requests: int = 0
    page_hits: int = 0
    rendered: int = 0
    invalidations: int = 0
    db_queries: int = 0


# Where a request's scope keeps what was read from it once (ASGI lets an app add its own keys).
_HEADERS, _COOKIES = "dukaan.headers", "dukaan.cookies"


def _headers(scope) -> dict[bytes, bytes]:
    """The request's headers by name, made once a request (kept in its scope): a hit asks several times."""
    if _HEADERS not in scope:
        scope[_HEADERS] = dict(scope["headers"])
    return scope[_HEADERS]


def _cookies(scope) -> dict[str, str]:
    """The request's cookies, read once a request with Django's own lenient parser, so that they are
    exactly the cookies the views would see."""
    if _COOKIES not in scope:
        cookie = _headers(scope).get(b"cookie")
        scope[_COOKIES] = parse_cookie(cookie.decode("latin-1")) if cookie else {}
    return scope[_COOKIES]


def _personal(scope) -> bool:
    """Does the request carry a cookie that makes the page this buyer's own (their session or cart)?"""
    cookies = _cookies(scope)
    return any(name in cookies for name in PERSONAL_COOKIES)


def _host(scope) -> str:
    return _headers(scope).get(b"host", b"").decode("latin-1")


def _section(scope) -> str | None:
    """The part of a store page's path after the store ("p" of /s/<slug>/p/3/ on a platform host, and
    of /p/3/ on a store's own domain, where every path is the store's); None for another path."""
    parts = scope["path"].split("/")  # ["", "s", slug, section, ...] or ["", section, ...]
    host = _host(scope)
    if host and not is_platform_host(host):
        return parts[1]
    if len(parts) < 4 or parts[1] != "s" or not parts[2]:
        return None
    return parts[3]


def _shared_page_request(scope) -> bool:
    """May this request be answered with, or fill, a page shared by every anonymous buyer?"""
    if scope["method"] not in ("GET", "HEAD"):
        return False
    section = _section(scope)
    if section is None or section in NOT_KEPT_SECTIONS:
        return False
    return b"authorization" not in _headers(scope) and not _personal(scope)


def _page_key(scope) -> str:
    """The page's Host and address, and the language the buyer picked: the same address is another page
    on another store's domain, or in another language (no pick: the store's language, the same for every
    buyer of the store)."""
    query = scope["query_string"].decode("latin-1")
    picked = picked_language(_cookies(scope))
    return f"{picked}:{_host(scope).lower()}{scope['path']}" + ("?" + query if query else "")


def _public(headers: list[tuple[str, str]]) -> bool:
    names = {name.lower(): value for name, value in headers}
    control = {part.strip().lower() for part in names.get("cache-control", "").split(",")}
    return "public" in control and "set-cookie" not in names


def _wsgi_environ(scope, body: bytes) -> dict:
    """The WSGI environ Django's handler expects, for an ASGI HTTP scope."""
    server_host, server_port = scope.get("server") or ("127.0.0.1", 80)
    client = scope.get("client") or ("127.0.0.1", 0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        # WSGI carries the path as latin-1 decoded bytes; Django turns it back into UTF-8 text.
        "PATH_INFO": scope["path"].encode().decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server_host),
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "REMOTE_ADDR": client[0],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = f"HTTP_{name}"
        if name in environ:
            value = environ[name] + ("; " if name == "HTTP_COOKIE" else ",") + value
        environ[name] = value
    return environ


@dataclass
class Rendered:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    view: tuple[int, int | None] | None
    store_id: int | None  # from the page's xkey tags
    shareable: bool  # a public 200 page of a store: the same for every anonymous buyer


class StorefrontApp:
    def __init__(self) -> None:
        self.pages = PageCache(settings.STOREFRONT_PAGE_CACHE_PAGES)
        self.counters = Counters()
        self.query_count_lock = threading.Lock()
        self.django = WSGIHandler()
        self.renderers: ThreadPoolExecutor | None = None
        self.in_flight: dict[str, asyncio.Future] = {}  # pages being rendered, by key
        self.feed: asyncio.Task | None = None
        self.flusher: asyncio.Task | None = None
        connection_created.connect(self._count_queries, weak=False)

    def _count_queries(self, sender, connection, **kwargs) -> None:
        # Called again each time the same connection object reconnects: add the wrapper once.
        if self._counted_query not in connection.execute_wrappers:
            connection.execute_wrappers.append(self._counted_query)

    def _counted_query(self, execute, sql, params, many, context):
        with self.query_count_lock:  # the render threads run queries at the same time
            self.counters.db_queries += 1
        return execute(sql, params, many, context)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    # --- Lifespan: the render threads, the invalidation feed, the view-count flusher ------------

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    check_settings()
                except NotConfigured as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                self.renderers = ThreadPoolExecutor(
                    settings.STOREFRONT_RENDER_THREADS, thread_name_prefix="storefront-render"
                )
                if self.pages.capacity:
                    self.feed = asyncio.create_task(self._follow_invalidations())
                self.flusher = asyncio.create_task(self._flush_views_periodically())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in (self.feed, self.flusher):
                    if task is not None:
                        task.cancel()
                if self.renderers is not None:
                    await asyncio.get_running_loop().run_in_executor(self.renderers, self._flush_views)
                    self.renderers.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _follow_invalidations(self) -> None:
        url = feed_url()
        while True:
            client = redis.asyncio.Redis.from_url(
                url,
                socket_connect_timeout=settings.CACHE_CONNECT_TIMEOUT_SECONDS * 10,
                health_check_interval=2,
            )
            try:
                async with client.pubsub() as feed:
                    await feed.subscribe(catalog_cache.INVALIDATION_CHANNEL)
                    # Changes made while no one listened are unknown: start from an empty cache.
                    self.pages.forget_all(subscribed=True)
                    logger.info("storefront worker %d follows catalog invalidations", os.getpid())
                    while True:
                        message = await feed.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if message is not None and message["type"] == "message":
                            self._invalidate(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # whatever Redis does, the answer is: keep nothing, retry
                if self.pages.subscribed:
                    logger.warning("catalog invalidation feed lost (%s); serving without page cache", error)
                self.pages.forget_all(subscribed=False)
            finally:
                await client.aclose()
            await asyncio.sleep(settings.STOREFRONT_FEED_RETRY_SECONDS)

    def _invalidate(self, data: bytes) -> None:
        try:
            store_id = int(data)
        except ValueError:
            logger.warning("ignored an invalidation that names no store: %r", data[:100])
            return
        self.counters.invalidations += 1
        self.pages.forget_store(store_id)

    async def _flush_views_periodically(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(view_counts.VIEW_FLUSH_SECONDS)
            await loop.run_in_executor(self.renderers, self._flush_views)

    @staticmethod
    def _flush_views() -> None:
        view_counts.flush_views()
        close_old_connections()

    # --- Requests -----------------------------------------------------------------------------

    async def _http(self, scope, receive, send) -> None:
        self.counters.requests += 1
        if scope["path"] == STATS_PATH:
            await self._send_stats(send)
            return
        if _shared_page_request(scope):
            key = _page_key(scope)
            page = self.pages.get(key)
            if page is not None:
                self.counters.page_hits += 1
                if page.view is not None:
                    view_counts.count_view(*page.view)
                await self._send(send, scope, page.status, page.headers, page.body)
                return
            rendered = await self._render_shared(scope, key)
        else:
            rendered = await self._render_in_thread(scope, await self._request_body(receive))
        await self._send(send, scope, rendered.status, rendered.headers, rendered.body)

    async def _render_shared(self, scope, key: str) -> Rendered:
        """Render a page every anonymous buyer shares, once however many ask for it at the same time."""
        flight = self.in_flight.get(key)
        if flight is not None:
            rendered = await asyncio.shield(flight)
            if rendered.shareable:
                return rendered
            return await self._render_in_thread(scope, b"")  # not for sharing: this request's own
        flight = asyncio.ensure_future(self._render_and_keep(scope, key))
        self.in_flight[key] = flight
        try:
            return await asyncio.shield(flight)
        finally:
            del self.in_flight[key]

    async def _render_and_keep(self, scope, key: str) -> Rendered:
        started_at = self.pages.clock
        rendered = await self._render_in_thread(scope, b"")
        if not rendered.shareable:
            return rendered
        if self.pages.changed_since(rendered.store_id, started_at):
            # It may show what the change replaced: this buyer gets it, no cache keeps it.
            return _kept_by_no_one(rendered)
        if scope["method"] == "GET":
            # The request id names the request that rendered it, not the ones the copy answers later.
            kept = [(name, value) for name, value in rendered.headers if name != b"x-request-id"]
            page = Page(rendered.store_id, 200, kept, rendered.body, rendered.view, started_at)
            self.pages.keep(key, page)
        return rendered

    async def _render_in_thread(self, scope, body: bytes) -> Rendered:
        self.counters.rendered += 1
        return await asyncio.get_running_loop().run_in_executor(self.renderers, self._render, scope, body)

    @staticmethod
    async def _request_body(receive) -> bytes:
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    def _render(self, scope, body: bytes) -> Rendered:
        """Django's answer to the request (in a render thread), with the headers as ASGI wants them."""
        started: dict = {}

        def start_response(status: str, headers, exc_info=None):
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = headers

        response = self.django(_wsgi_environ(scope, body), start_response)
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished: Django returns the thread's DB connection
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in started["headers"]
            if name.lower() != "content-length"
        ]
        headers.append((b"content-length", str(len(content)).encode()))
        store_id = _store_of(started["headers"])
        shareable = started["status"] == 200 and store_id is not None and _public(started["headers"])
        view = getattr(response, "counted_view", None)
        return Rendered(started["status"], headers, content, view, store_id, shareable)

    @staticmethod
    async def _send(send, scope, status: int, headers, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def _send_stats(self, send) -> None:
        stats = {
            "pid": os.getpid(),
            **vars(self.counters),
            "snapshot_builds": catalog_cache.build_count(),
            "pages_kept": len(self.pages.pages),
            "feed": "up" if self.pages.subscribed else "down",
            "at": time.time(),
        }
        body = json.dumps(stats).encode()
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
        await self._send(send, {"method": "GET"}, 200, headers, body)


def _kept_by_no_one(rendered: Rendered) -> Rendered:
    headers = [(name, value) for name, value in rendered.headers if name not in (b"cache-control", b"xkey")]
    headers.append((b"cache-control", b"no-cache, max-age=0"))
    return dataclasses.replace(rendered, headers=headers, shareable=False)


def _store_of(headers: list[tuple[str, str]]) -> int | None:
    """The store a public page belongs to, from its `xkey: store-<id> …` edge tags."""
    for name, value in headers:
        if name.lower() == "xkey":
            for tag in value.split():
                if tag.startswith("store-") and tag[6:].isdigit():
                    return int(tag[6:])
    return None


class StorefrontCollector(Collector):
    """The worker's own counters on /metrics: the page hits that never reach Django are counted here."""

    def __init__(self, app: StorefrontApp) -> None:
        self.app = app

    def collect(self):
        counters = self.app.counters
        for name, value, text in (
            ("requests", counters.requests, "Requests this storefront worker received"),
            ("page_hits", counters.page_hits, "Pages answered from the worker's memory"),
            ("renders", counters.rendered, "Requests rendered by Django (misses, personal pages, POSTs)"),
            ("invalidations", counters.invalidations, "Store invalidations received from the feed"),
        ):
            family = CounterMetricFamily(f"dukaan_storefront_{name}", text)
            family.add_metric([], value)
            yield family
        kept = GaugeMetricFamily("dukaan_storefront_pages_kept", "Pages the worker keeps in memory")
        kept.add_metric([], len(self.app.pages.pages))
        yield kept


def create_app() -> StorefrontApp:
    """uvicorn's app factory (`--factory`): one app, page cache and thread pool per worker."""
    db_routing.serve_reads_from_replicas()
    app = StorefrontApp()
    REGISTRY.register(StorefrontCollector(app))
    return app
