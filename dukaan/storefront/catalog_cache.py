"""The catalog cache: each store's snapshot read through Django's cache, built once however many ask.

Keys (in the cache named by CATALOG_CACHE_ALIAS, with the snapshot's version as Django's key
version, so a deploy that changes the snapshot's shape never unpickles an old one):

    store_catalog:<id>        (generation, built_at, snapshot); CATALOG_CACHE_SECONDS, a safety net only
    store_catalog_stale:<id>  the same entry, kept CATALOG_CACHE_STALE_SECONDS: the previous copy, served
                              while another process rebuilds
    store_catalog_gen:<id>    a token the invalidator changes on every catalog event of the store
    store_catalog_lock:<id>   the single-flight lock (cache.add), CATALOG_CACHE_LOCK_SECONDS

A page's catalog (only the products one page shows, snapshot.ListingPage / ProductsById) is kept the
same way under `<key>:<id>:<view>` (`store_catalog:7:list::2:24`), every view of a store under the
store's one generation: a change of the store makes each of them old at once, as it does the whole.

and on Redis, every invalidation is also published on the INVALIDATION_CHANNEL, which the storefront
service's workers follow to drop the store's pages they hold in memory (see service.py).

A miss takes the lock and builds; everyone else missing at the same moment gets the previous copy
(marked `is_previous_copy`, so no page drawn from it is kept downstream), or waits for the new one
(polling, at most CATALOG_CACHE_WAIT_SECONDS, then builds for itself). Because the lock is a cache
key, this holds across processes with Redis. Within one process the
threads missing the same store go further: one of them takes part in that, the others sleep until
it has the snapshot (so 200 threads of one process make one cache round of it, not 200).

The generation closes a race deleting alone leaves open: a build that read the database just before
a price change, and stores its snapshot just after the invalidator deleted the key, would keep the
old price until the TTL. Every entry carries the generation read *before* its build, and a reader
accepts an entry only if the generation still matches.

The cache is never a single point of failure: every cache call goes through a circuit breaker, and
any failure or an open circuit means "build from the database" (the page still answers, just
slower). While the circuit is open nothing waits on the cache's timeout.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches

from dukaan.catalog.snapshot import SNAPSHOT_VERSION, StoreCatalog
from dukaan.infra.circuit import CircuitBreaker
from dukaan.infra.metrics import CATALOG_CACHE_READS, SNAPSHOT_BUILDS
from dukaan.infra.tracing import span

logger = logging.getLogger(__name__)

Builder = Callable[[int], StoreCatalog | None]
T = TypeVar("T")

# How often a process waiting on another's build looks for it: 10 ms at first, backing off to 100 ms.
POLL_FIRST_SECONDS = 0.01
POLL_MAX_SECONDS = 0.1

breaker = CircuitBreaker(
    "catalog cache",
    failure_threshold=settings.CACHE_BREAKER_FAILURES,
    reset_seconds=settings.CACHE_BREAKER_RESET_SECONDS,
)

INVALIDATION_CHANNEL = "dukaan:catalog-invalidated"
# Products on a page of a store's listing or search: here, not in views, so that the `cache` group
# (consumers.py), which builds the home's first page, does not import the views.
PER_PAGE = 24

_builds = 0
_builds_lock = threading.Lock()


class CacheUnavailable(Exception):
    """The cache failed, timed out, or its circuit is open."""


def build_count() -> int:
    """How many snapshots this process has built from the database so far (tests and metrics)."""
    return _builds


def _suffix(view: str) -> str:
    return f":{view}" if view else ""


def fresh_key(store_id: int, view: str = "") -> str:
    return f"store_catalog:{store_id}{_suffix(view)}"


def stale_key(store_id: int, view: str = "") -> str:
    return f"store_catalog_stale:{store_id}{_suffix(view)}"


def generation_key(store_id: int) -> str:
    return f"store_catalog_gen:{store_id}"


def lock_key(store_id: int, view: str = "") -> str:
    return f"store_catalog_lock:{store_id}{_suffix(view)}"


def _guarded(operation: Callable[[Any], T]) -> T:
    """Run one cache operation through the breaker; CacheUnavailable if it is refused or fails."""
    if not breaker.allow():
        raise CacheUnavailable("the circuit is open")
    try:
        result = operation(caches[settings.CATALOG_CACHE_ALIAS])
    except Exception as error:  # whatever the backend raises, the answer is the database
        problem = f"{type(error).__name__}: {error}"
        breaker.record_failure(problem)
        logger.debug("catalog cache call failed: %s", problem)
        raise CacheUnavailable(problem) from error
    breaker.record_success()
    return result


def _build(store_id: int, build: Builder) -> StoreCatalog | None:
    global _builds
    with _builds_lock:
        _builds += 1
    SNAPSHOT_BUILDS.inc()
    with span("catalog_cache.build", store_id=store_id):
        return build(store_id)


def _current(store_id: int, found: dict[str, Any], view: str = "") -> StoreCatalog | None:
    """The snapshot in a get_many() answer, if it was built at the store's current generation."""
    entry = found.get(fresh_key(store_id, view))
    if entry is not None and entry[0] == found.get(generation_key(store_id)):
        return entry[2]
    return None


def _read(store_id: int, *extra: str, view: str = "") -> dict[str, Any]:
    keys = [fresh_key(store_id, view), generation_key(store_id), *extra]
    return _guarded(lambda cache: cache.get_many(keys, version=SNAPSHOT_VERSION))


def _store(store_id: int, generation: str | None, catalog: StoreCatalog, view: str = "") -> None:
    entry = (generation, time.time(), catalog)
    _guarded(
        lambda cache: cache.set(
            fresh_key(store_id, view), entry, timeout=settings.CATALOG_CACHE_SECONDS, version=SNAPSHOT_VERSION
        )
    )
    _guarded(
        lambda cache: cache.set(
            stale_key(store_id, view),
            entry,
            timeout=settings.CATALOG_CACHE_STALE_SECONDS,
            version=SNAPSHOT_VERSION,
        )
    )


def read_through(store_id: int, build: Builder, view: str = "") -> StoreCatalog | None:
    """The store's snapshot (or its `view`, a page's) from the cache; on a miss, built once (see the
    module's docstring)."""
    with span("catalog_cache.read", store_id=store_id):
        try:
            found = _read(store_id, view=view)
        except CacheUnavailable:
            # Even without the cache, one build serves every request of this process that wants it now.
            return _coalesced((store_id, view, _NO_CACHE), lambda: _build(store_id, build), store_id, build)
        catalog = _current(store_id, found, view)
        if catalog is not None:
            CATALOG_CACHE_READS.labels("hit").inc()
            return catalog
        CATALOG_CACHE_READS.labels("miss").inc()
        generation = found.get(generation_key(store_id))
        return _coalesced(
            (store_id, view, generation), lambda: _fill(store_id, build, generation, view), store_id, build
        )


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.catalog: StoreCatalog | None = None
        self.succeeded = False


_flights: dict[tuple[int, str, str | None], _Flight] = {}
_flights_lock = threading.Lock()
_NO_CACHE = "no cache"  # a flight key apart from every generation (those are hex tokens or None)


def _coalesced(
    key: tuple[int, str, str | None], fill: Callable[[], StoreCatalog | None], store_id: int, build: Builder
) -> StoreCatalog | None:
    """One thread of this process runs `fill`; the others missing the same store (and view) at the
    same generation take its result, sleeping on an event rather than polling the cache."""
    with _flights_lock:
        flight = _flights.get(key)
        leader = flight is None
        if leader:
            flight = _flights[key] = _Flight()
    if leader:
        try:
            flight.catalog = fill()
            flight.succeeded = True
            return flight.catalog
        finally:
            with _flights_lock:
                del _flights[key]
            flight.done.set()
    # The leader's fill is bounded (a build, or a wait then a build); allow it that and a build more.
    patience = settings.CATALOG_CACHE_WAIT_SECONDS + settings.CATALOG_CACHE_LOCK_SECONDS
    if flight.done.wait(patience) and flight.succeeded:
        return flight.catalog
    return _build(store_id, build)


def _fill(store_id: int, build: Builder, generation: str | None, view: str) -> StoreCatalog | None:
    try:
        locked = _guarded(
            lambda cache: cache.add(
                lock_key(store_id, view),
                1,
                timeout=settings.CATALOG_CACHE_LOCK_SECONDS,
                version=SNAPSHOT_VERSION,
            )
        )
        if locked:
            return _build_under_lock(store_id, build, view)
        previous = _guarded(lambda cache: cache.get(stale_key(store_id, view), version=SNAPSHOT_VERSION))
    except CacheUnavailable:
        return _build(store_id, build)
    if previous is not None:
        return dataclasses.replace(previous[2], is_previous_copy=True)
    return _wait_for_builder(store_id, build, view)


def _build_under_lock(store_id: int, build: Builder, view: str) -> StoreCatalog | None:
    try:
        try:
            # Whoever held the lock just before us may have stored the snapshot since our first read.
            found = _read(store_id, view=view)
        except CacheUnavailable:
            return _build(store_id, build)
        catalog = _current(store_id, found, view)
        if catalog is not None:
            return catalog
        # The entry is tagged with the generation read before the build, never after.
        catalog = _build(store_id, build)
        if catalog is not None:
            try:
                _store(store_id, found.get(generation_key(store_id)), catalog, view)
            except CacheUnavailable:
                pass  # this request is answered all the same; the next one tries again
        return catalog
    finally:
        try:
            _guarded(lambda cache: cache.delete(lock_key(store_id, view), version=SNAPSHOT_VERSION))
        except CacheUnavailable:
            pass  # the lock expires on its own


def _wait_for_builder(store_id: int, build: Builder, view: str) -> StoreCatalog | None:
    deadline = time.monotonic() + settings.CATALOG_CACHE_WAIT_SECONDS
    pause = POLL_FIRST_SECONDS
    while time.monotonic() < deadline:
        # Backing off with jitter, so the builder, not the pollers, gets the CPU and the cache.
        time.sleep(min(pause * random.uniform(0.75, 1.25), max(0.0, deadline - time.monotonic())))
        pause = min(pause * 1.5, POLL_MAX_SECONDS)
        try:
            found = _read(store_id, lock_key(store_id, view), view=view)
        except CacheUnavailable:
            break
        catalog = _current(store_id, found, view)
        if catalog is not None:
            return catalog
        if lock_key(store_id, view) not in found:
            break  # the builder finished without a usable entry (no such store, or a newer change)
    return _build(store_id, build)


def invalidate(store_id: int) -> None:
    """Forget the store's snapshot (the previous copy stays). CacheUnavailable if the cache is down."""
    _guarded(
        lambda cache: cache.set(
            generation_key(store_id),
            uuid.uuid4().hex,
            timeout=settings.CATALOG_CACHE_STALE_SECONDS,
            version=SNAPSHOT_VERSION,
        )
    )
    _guarded(lambda cache: cache.delete(fresh_key(store_id), version=SNAPSHOT_VERSION))
    _guarded(lambda cache: _publish_invalidation(cache, store_id))


def _publish_invalidation(cache, store_id: int) -> None:
    """Tell the storefront service's workers (service.py) to drop the store's pages from memory.
    Only a Redis cache has subscribers; the in-process cache has no one to tell."""
    redis_client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if redis_client is not None:
        redis_client(write=True).publish(INVALIDATION_CHANNEL, str(store_id))


def rebuild(store_id: int, build: Builder) -> StoreCatalog | None:
    """Drop every copy of the store's snapshot and store a new one. CacheUnavailable if the cache is down."""
    invalidate(store_id)
    _guarded(lambda cache: cache.delete(stale_key(store_id), version=SNAPSHOT_VERSION))
    generation = _guarded(lambda cache: cache.get(generation_key(store_id), version=SNAPSHOT_VERSION))
    catalog = _build(store_id, build)
    if catalog is not None:
        _store(store_id, generation, catalog)
    return catalog
