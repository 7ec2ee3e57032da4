"""The one settings module: every setting comes from the environment, with embedded defaults.

No other module reads os.environ. Run with no variables set and you get the laptop setup:
SQLite (WAL) under var/, the in-process cache, local files and the console SMS backend.

Every variable is read through `env` (environs), typed. A value that does not parse or is refused does not
stop the import where it is read: env.seal() near the end refuses them all in one ImproperlyConfigured,
one line each, so one round of fixes is enough.
"""

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import cast
from urllib.parse import parse_qsl, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvValidationError, ValidationError

env = Env(eager=False)


@env.parser_for("csv")
def _csv(value: str, *, each=None) -> list[str]:
    """Comma-separated items, spaces around them and empty ones dropped ("a, b," is ["a", "b"]);
    `each` raises ValidationError for an item it refuses."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    for item in items if each else ():
        each(item)
    return items


@env.parser_for("text")
def _text(value: str, *, clean=None) -> str:
    """The value without the spaces around it, through `clean` (which raises ValidationError to refuse it)."""
    return clean(value.strip()) if clean else value.strip()


def _one_of(choices: tuple[str, ...], refusal: str):
    """A clean= for env.text: one of `choices` in any case; `refusal` has {!r} where the value goes."""

    def clean(value: str) -> str:
        if value.lower() not in choices:
            raise ValidationError(refusal.format(value.lower()))
        return value.lower()

    return clean


def _refuse_bad_values() -> None:
    """Every value env could not read or refused, one line each. Our own refusals name their variable;
    marshmallow's ("Not a valid integer.") get the variable and the value added."""
    try:
        env.seal()
    except EnvValidationError as error:
        # env.seal() always fills it by variable name; its type also allows marshmallow's bare list.
        by_name = cast(Mapping[str, list[str]], error.error_messages)
        lines = [
            message
            if message.startswith(name)
            else f"{name}: {message.rstrip('.')}, not {os.environ[name]!r}."
            for name, messages in by_name.items()
            for message in messages
        ]
        raise ImproperlyConfigured("\n".join(lines)) from None


BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = env.path("DUKAAN_VAR_DIR", BASE_DIR / "var").resolve()


# --- Environment ----------------------------------------------------------------------------
# Where this runs picks safe defaults and refuses what is wrong there; every value still comes from
# its own variable. dev and test are the laptop and the test suite; staging and production face the
# internet behind a load balancer that ends TLS. docs/staging.md says what each turns on or refuses.
ENVIRONMENTS = ("dev", "test", "staging", "production")
DUKAAN_ENV = env.text(
    "DUKAAN_ENV",
    "dev",
    clean=_one_of(ENVIRONMENTS, f"DUKAAN_ENV must be one of {', '.join(ENVIRONMENTS)}, not {{!r}}."),
)
DEPLOYED = DUKAAN_ENV in ("staging", "production")
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production"
SECRET_KEY_MIN_LENGTH = 50

DEBUG = env.bool("DUKAAN_DEBUG", not DEPLOYED)
SECRET_KEY = env.str("DUKAAN_SECRET_KEY", DEV_SECRET_KEY)
# The platform's own host names. Stores' verified custom domains are served too, so Django's static
# list lets every Host through and storefront/domains.py checks it first: a platform host, a verified
# domain, or a 404 (testserver: the test client's host).
PLATFORM_HOSTS = env.csv("DUKAAN_ALLOWED_HOSTS", "" if DEPLOYED else "localhost,127.0.0.1,[::1]")
ALLOWED_HOSTS = ["*"]
# Cookies only over https. A staging-like run on plain http (no TLS) sets DUKAAN_SECURE_COOKIES=false.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DUKAAN_SECURE_COOKIES", DEPLOYED)
# The load balancer ends TLS and says so in X-Forwarded-Proto; trust it only where one sets it.
if env.bool("DUKAAN_BEHIND_TLS_PROXY", DEPLOYED):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Browsers then refuse plain http to this host for a year; production only, since it cannot be undone.
SECURE_HSTS_SECONDS = env.int("DUKAAN_HSTS_SECONDS", 31_536_000 if DUKAAN_ENV == "production" else 0)
# HSTS also covers this host's own subdomains (*.shop.example.com, never its siblings), and says the
# host may be put in browsers' built-in https-only list; only the domain's owner can ask for that
# (hstspreload.org), and it is as hard to undo, so both are production's, each with its own off switch.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DUKAAN_HSTS_INCLUDE_SUBDOMAINS", DUKAAN_ENV == "production")
SECURE_HSTS_PRELOAD = env.bool("DUKAAN_HSTS_PRELOAD", DUKAAN_ENV == "production")
# Production answers plain http with a redirect to https (the load balancer's X-Forwarded-Proto says
# which a request was). The probes and the Prometheus scrape reach a pod directly over http, so they
# are exempt. Staging stays off: the local cluster serves plain http (DUKAAN_SECURE_COOKIES=false).
SECURE_SSL_REDIRECT = env.bool("DUKAAN_SSL_REDIRECT", DUKAAN_ENV == "production")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Scripts never read the session or CSRF cookie (forms carry the token); neither goes to other sites'
# requests except top-level links into a store (Lax), so a shared link opens with the buyer's cart.
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Other sites learn nothing from a click out of a store (wa.me, a UPI app): not the store, and never a
# cart or order address, which are secrets in a URL. Our own pages still get the full Referer, which
# Django's CSRF check on https relies on.
SECURE_REFERRER_POLICY = "same-origin"
# A page opened from ours (or ours opened from another) gets no handle on the other's window.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# The debug page (DEBUG only) and error reports mask passwords inside URLs too (DATABASE_URL, CACHE_URL…),
# in settings, the request's META, local variables and the exception's message.
DEFAULT_EXCEPTION_REPORTER_FILTER = "dukaan.infra.errors.ExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "dukaan.infra.errors.ExceptionReporter"
X_FRAME_OPTIONS = "DENY"
# The proxies in front of the web processes (addresses or networks): a request from one of them is
# counted against the client it names in X-Forwarded-For, for every per-client limit
# (dukaan/infra/clients.py). A header from anyone else is ignored. Empty: no proxy (a laptop); staging
# and production behind a load balancer refuse to start without it (see _environment_problems).


def _ip_network(item: str) -> None:
    try:
        ipaddress.ip_network(item, strict=False)
    except ValueError:
        raise ValidationError(
            f"DUKAAN_TRUSTED_PROXIES: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)."
        ) from None


TRUSTED_PROXIES = env.csv("DUKAAN_TRUSTED_PROXIES", "", each=_ip_network)
CSRF_TRUSTED_ORIGINS = env.csv("DUKAAN_CSRF_TRUSTED_ORIGINS", "")
# The absolute address buyers reach; used for share links and QR codes.
SITE_URL = env.str("DUKAAN_SITE_URL", "http://localhost:8000").rstrip("/")
# Days a store link given up (the store took another, or was deleted) stays reserved for its store,
# redirecting to the new link, before another store may take it: printed QR codes live long.
RELEASED_SLUG_DAYS = env.int("DUKAAN_RELEASED_SLUG_DAYS", 365)
# The DNS server custom domains' records are looked up on, as host:port; empty: the system's resolver.
DNS_RESOLVER = env.str("DNS_RESOLVER", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dukaan.infra",
    "dukaan.events",
    "dukaan.accounts",
    "dukaan.catalog",
    "dukaan.orders",
    "dukaan.storefront",
    "dukaan.dashboard",
    "dukaan.api",
    "dukaan.search",
    "dukaan.promotions",
    "dukaan.analytics",
    "dukaan.shipping",
    "dukaan.taxes",
    "dukaan.invoices",
    "dukaan.payments",
    "dukaan.notifications",
    "dukaan.fulfilment",
]

MIDDLEWARE = [
    # Outermost, so the time and status it records are what the client got (infra/metrics.py).
    "dukaan.infra.metrics.MetricsMiddleware",
    # A server span around the rest of the request, named by its URL pattern (infra/tracing.py).
    "dukaan.infra.tracing.TracingMiddleware",
    # Inside the span, so the access line has its trace id too: a request id on each line (infra/logs.py).
    "dukaan.infra.logs.RequestIdMiddleware",
    # Before anything reads a body: one over MAX_REQUEST_BYTES is a 413 unread (infra/bodies.py).
    "dukaan.infra.bodies.RequestSizeMiddleware",
    # Before the rest, so that every read of the request (sessions included) is routed (db_routing.py).
    "dukaan.infra.db_routing.ReadRoutingMiddleware",
    # Before anything reads the Host: a platform host, a store's verified domain, or a 404 (docs/domains.md).
    "dukaan.storefront.domains.CustomDomainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dukaan.infra.security.SecurityHeadersMiddleware",  # CSP and Permissions-Policy, static files included
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff rights only for a session that proved the SMS code and the password (accounts/staff.py).
    "dukaan.accounts.staff.StaffFactorsMiddleware",
    # After it, as it reads request.user: answers to the signed in are stored by no cache (infra/private.py).
    "dukaan.infra.private.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dukaan.config.urls"
WSGI_APPLICATION = "dukaan.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dukaan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dukaan.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue on the busy timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too: in-memory SQLite with a shared cache fails a second writer at once
    # ("database table is locked") instead of queueing it, which is not how the real file behaves.
    # One file per process, so two test runs at once (or pytest-xdist workers) never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-dukaan-{os.getpid()}.sqlite3")}
else:
    # PgBouncer in transaction pooling hands each transaction to any server connection, so a cursor
    # that outlives its transaction (a named, server-side one) would vanish: fetch results whole.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # A primary (or PgBouncer) that accepts no connection within this long counts as down: requests that
    # need it answer 503 instead of hanging (dukaan/infra/unavailable.py).
    DB_CONNECT_TIMEOUT_SECONDS = env.int("DB_CONNECT_TIMEOUT_SECONDS", 3)
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DB_CONNECT_TIMEOUT_SECONDS
# Streaming replicas that serve reads (dukaan/infra/db_routing.py); empty = every read on the primary.


def _postgres_url(item: str) -> None:
    if not item.startswith(("postgres://", "postgresql://")):
        raise ValidationError(
            f"DATABASE_REPLICA_URLS must list PostgreSQL replicas (postgres://…), not {item!r}"
        )


DATABASE_REPLICA_URLS = env.csv("DATABASE_REPLICA_URLS", "", each=_postgres_url)
# A replica further behind the primary than this is skipped until it catches up.
DB_REPLICA_MAX_LAG_SECONDS = env.float("DB_REPLICA_MAX_LAG_SECONDS", 5.0)
# After a client writes, its reads stay on the primary this long (read your own writes). It must
# outlast the largest lag a replica in use may have, or a merchant could read their edit undone.
DB_READ_YOUR_WRITES_SECONDS = env.float("DB_READ_YOUR_WRITES_SECONDS", 10.0)
# How often each process measures its replicas' health and lag (in a background thread).
DB_REPLICA_CHECK_SECONDS = env.float("DB_REPLICA_CHECK_SECONDS", 0.5)
# A request that fails because the database does not answer gets a 503 asking to come back this much later.
DB_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("DB_UNAVAILABLE_RETRY_AFTER_SECONDS", 30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"

# --- Cache ----------------------------------------------------------------------------------


def _cache_url(url: str) -> None:
    if urlparse(url).scheme not in {"redis", "rediss"} and url not in {"locmem://", "dummy://"}:
        raise ValidationError(
            f"CACHE_URL must be redis://host:port/db, locmem:// (in-process) or dummy:// (none), not {url!r}"
        )


CACHE_URL = env.str("CACHE_URL", "locmem://", validate=_cache_url)
# A cache that does not answer within tens of milliseconds counts as down: pages then build from the
# database, which costs less than waiting on Redis.
CACHE_CONNECT_TIMEOUT_SECONDS = env.float("CACHE_CONNECT_TIMEOUT_SECONDS", 0.05)
CACHE_SOCKET_TIMEOUT_SECONDS = env.float("CACHE_SOCKET_TIMEOUT_SECONDS", 0.05)
# After this many cache failures in a row the circuit opens: pages skip the cache (no timeout paid)
# and one request tries it again every CACHE_BREAKER_RESET_SECONDS.
CACHE_BREAKER_FAILURES = env.int("CACHE_BREAKER_FAILURES", 3)
CACHE_BREAKER_RESET_SECONDS = env.float("CACHE_BREAKER_RESET_SECONDS", 5.0)
# The catalog snapshot (storefront/catalog_cache.py). Events invalidate it; the TTL is a safety net.
CATALOG_CACHE_ALIAS = env.str("CATALOG_CACHE_ALIAS", "default")
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", 3600)
# The previous copy, served while one process rebuilds a snapshot.
CATALOG_CACHE_STALE_SECONDS = env.int("CATALOG_CACHE_STALE_SECONDS", 86400)
# The single-flight lock outlives a slow build; a crashed builder holds it at most this long.
CATALOG_CACHE_LOCK_SECONDS = env.int("CATALOG_CACHE_LOCK_SECONDS", 10)
# With no previous copy, a request waits this long for another's build, then builds for itself.
CATALOG_CACHE_WAIT_SECONDS = env.float("CATALOG_CACHE_WAIT_SECONDS", 2.0)

# --- Edge -----------------------------------------------------------------------------------
# The edge cache (Varnish + xkey, deploy/varnish/default.vcl) to purge on catalog events; empty = no edge.
EDGE_PURGE_URL = env.str("EDGE_PURGE_URL", "")
# A purge is one short HTTP call; a failed one is retried by the `cache` consumer group.
EDGE_PURGE_TIMEOUT_SECONDS = env.float("EDGE_PURGE_TIMEOUT_SECONDS", 0.5)
# A second purge this long after the first removes an old page the edge fetched in between (a render
# that was already running); 0 turns it off.
EDGE_REPURGE_SECONDS = env.float("EDGE_REPURGE_SECONDS", 1.0)
EDGE_BREAKER_FAILURES = env.int("EDGE_BREAKER_FAILURES", 3)
EDGE_BREAKER_RESET_SECONDS = env.float("EDGE_BREAKER_RESET_SECONDS", 5.0)
# Public store pages (anonymous buyers): how long a shared cache keeps them (events purge them
# sooner), and how long after that it may serve the old copy while it fetches a new one.
STOREFRONT_S_MAXAGE = env.int("STOREFRONT_S_MAXAGE", 300)
STOREFRONT_STALE_WHILE_REVALIDATE = env.int("STOREFRONT_STALE_WHILE_REVALIDATE", 60)

# --- Storefront service ---------------------------------------------------------------------
# `dukaan storefront` (storefront/service.py): the public store pages as their own ASGI process.
# Rendered pages each worker keeps in memory (an LRU); 0 turns that off. It needs CACHE_URL=redis://,
# whose pub/sub tells every worker which store changed.
STOREFRONT_PAGE_CACHE_PAGES = env.int("STOREFRONT_PAGE_CACHE_PAGES", 1000)
# Threads per worker that render the pages not in memory through Django (each has its own connection).
STOREFRONT_RENDER_THREADS = env.int("STOREFRONT_RENDER_THREADS", 8)
# While the invalidation feed is lost the in-memory pages are dropped and bypassed; retry this often.
STOREFRONT_FEED_RETRY_SECONDS = env.float("STOREFRONT_FEED_RETRY_SECONDS", 1.0)

# --- Search ---------------------------------------------------------------------------------
# tantivy:///path = the embedded engine, an index in that folder; http(s)://host:9200 = Elasticsearch.
SEARCH_URL = env.str("SEARCH_URL", f"tantivy://{VAR_DIR / 'search'}")
# The Elasticsearch index alias; a full reindex builds a new index and moves the alias to it.
SEARCH_INDEX = env.str("SEARCH_INDEX", "dukaan-products")
# A search that takes longer counts as failed: the page answers from the database instead.
SEARCH_TIMEOUT_SECONDS = env.float("SEARCH_TIMEOUT_SECONDS", 0.5)
SEARCH_BREAKER_FAILURES = env.int("SEARCH_BREAKER_FAILURES", 3)
SEARCH_BREAKER_RESET_SECONDS = env.float("SEARCH_BREAKER_RESET_SECONDS", 10.0)

# --- Regions --------------------------------------------------------------------------------
# The edge region this process serves (`dukaan cluster up --regions N`; r1 is the primary region's).
# Its answers say so (X-Dukaan-Region) and its consumer groups are its own on Kafka (dukaan-cache-r2),
# so each region's projector sees every event. Empty = a single region.


def _region(name: str) -> str:
    if name and not re.fullmatch(r"[a-z0-9-]{1,20}", name):
        raise ValidationError(
            f"DUKAAN_REGION must be a short name of lowercase letters, digits and hyphens (r2, ap-south), "
            f"not {name!r}"
        )
    return name


DUKAAN_REGION = env.text("DUKAAN_REGION", "", clean=_region)
if DUKAAN_REGION:
    MIDDLEWARE.insert(0, "dukaan.infra.db_routing.RegionHeaderMiddleware")
# The `cache` group builds a store's new snapshot right after forgetting the old one, so the first buyer
# after a change finds it ready (the regions' projectors do this).
CATALOG_PREWARM = env.bool("CATALOG_PREWARM", False)

# --- Events ---------------------------------------------------------------------------------
# local:// = the outbox relay and every consumer group run as threads inside the web process.
# kafka://host:port = Debezium publishes the outbox to Kafka; `dukaan worker --group NAME` consumes.
EVENT_BUS_URL = env.str("EVENT_BUS_URL", "local://")
# Kafka clients' socket and delivery timeout: a broker silent this long counts as failed.
KAFKA_TIMEOUT_SECONDS = env.float("KAFKA_TIMEOUT_SECONDS", 10.0)
# Set by `dukaan up` for the process it serves from, so only that process runs the embedded workers.
EVENT_RUN_EMBEDDED_WORKERS = env.bool("DUKAAN_RUN_EMBEDDED_WORKERS", False)
# A safety net only: commits wake the relay at once; this bounds the delay for commits made by
# other processes (a management command, a second server).
EVENT_POLL_SECONDS = env.float("EVENT_POLL_SECONDS", 0.5)
EVENT_MAX_ATTEMPTS = env.int("EVENT_MAX_ATTEMPTS", 5)
EVENT_RETRY_BASE_SECONDS = env.float("EVENT_RETRY_BASE_SECONDS", 0.2)
# Delivered outbox rows are kept this long for replays, then pruned.
EVENT_OUTBOX_RETENTION_HOURS = env.float("EVENT_OUTBOX_RETENTION_HOURS", 24.0)
# Scheduled jobs (dukaan/events/jobs.py, docs/scheduler.md): every worker looks for due ones this often;
# a failing job is retried after base × 2^(attempt - 1) seconds, and given up on after the last attempt.
JOB_POLL_SECONDS = env.float("JOB_POLL_SECONDS", 5.0)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", 5)
JOB_RETRY_BASE_SECONDS = env.float("JOB_RETRY_BASE_SECONDS", 60.0)


def media_storage(
    storage_url: str, *, access_key_id: str = "", secret_access_key: str = "", timeout_seconds: float = 5
) -> dict:
    """STORAGES["default"] for a STORAGE_URL; ImproperlyConfigured, with an example, when it is malformed."""
    example = "s3://dukaan-media (AWS S3) or s3://dukaan-media?endpoint=http://127.0.0.1:9000 (any other S3)"
    url = urlparse(storage_url)
    if url.scheme == "file":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}  # in MEDIA_ROOT
    if url.scheme != "s3":
        raise ImproperlyConfigured(
            f"STORAGE_URL must be file:///path/to/folder or {example}, not {storage_url!r}"
        )
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", url.netloc) or url.path.strip("/"):
        raise ImproperlyConfigured(
            f"STORAGE_URL={storage_url!r} does not name one S3 bucket: a bucket is 3-63 lowercase letters, "
            "digits, dots and hyphens, with no path after it, and credentials go in S3_ACCESS_KEY_ID and "
            f"S3_SECRET_ACCESS_KEY, not in the URL. Write it as {example}"
        )
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    unknown = sorted(set(query) - {"endpoint", "region"})
    if unknown:
        raise ImproperlyConfigured(
            f"STORAGE_URL={storage_url!r} has {', '.join(unknown)}; only endpoint= and region= are "
            f"understood. Write it as {example}"
        )
    endpoint = query.get("endpoint")
    if endpoint is not None and not re.fullmatch(r"https?://[^/?#]+/?", endpoint):
        raise ImproperlyConfigured(
            "STORAGE_URL's endpoint must be an http(s) address with no path, such as "
            f"http://127.0.0.1:9000, not {endpoint!r}"
        )
    from botocore.config import Config  # only S3 users need botocore loaded

    return {
        "BACKEND": "dukaan.infra.s3.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": url.netloc,
            "endpoint_url": endpoint,
            "region_name": query.get("region") or None,
            "access_key": access_key_id or None,
            "secret_key": secret_access_key or None,
            # The same bytes uploaded again must get a name of their own (catalog/images.py).
            "file_overwrite": False,
            "client_config": Config(
                connect_timeout=timeout_seconds,
                read_timeout=timeout_seconds,
                retries={"mode": "standard", "max_attempts": 2},
                # Servers of one's own (MinIO, s3proxy) serve a bucket as a path, not as a host name.
                s3={"addressing_style": "path" if endpoint else "auto"},
            ),
        },
    }


# --- Files ----------------------------------------------------------------------------------
# Where uploads (product photos, logos) live: file:///path = a folder of this machine; s3://BUCKET =
# a bucket on AWS S3, or on any S3-compatible server with ?endpoint=http(s)://host:port (MinIO, R2,
# deploy/local/s3.py); &region=NAME when the bucket needs one. docs/storage.md


def _storage_url(url: str) -> None:
    try:
        media_storage(url)
    except ImproperlyConfigured as refusal:
        raise ValidationError(str(refusal)) from None


STORAGE_URL = env.str("STORAGE_URL", f"file://{VAR_DIR / 'media'}", validate=_storage_url)
# Empty = boto3's own lookup (AWS_ACCESS_KEY_ID..., ~/.aws, an instance or pod role).
S3_ACCESS_KEY_ID = env.str("S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = env.str("S3_SECRET_ACCESS_KEY", "")
# A bucket that takes longer to connect or to answer counts as down: the merchant is asked to retry.
S3_TIMEOUT_SECONDS = env.float("S3_TIMEOUT_SECONDS", 5.0)
# After this many failed calls in a row the bucket's circuit opens: uploads and /media reads fail at
# once (503, "try again") and one call tries the bucket again every S3_BREAKER_RESET_SECONDS.
S3_BREAKER_FAILURES = env.int("S3_BREAKER_FAILURES", 3)
S3_BREAKER_RESET_SECONDS = env.float("S3_BREAKER_RESET_SECONDS", 10.0)


# A CDN in front of /static/ and /media/ (CloudFront, or any CDN pulling from this app); empty = none.


def _cdn_url(url: str) -> str:
    url = url.rstrip("/")
    parts = urlparse(url)
    if url and (parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment):
        raise ValidationError(
            f"CDN_URL must be an http(s) address such as https://cdn.example.com, not {url!r}. "
            "Leave it empty to serve images and stylesheets from this app."
        )
    return url


CDN_URL = env.text("CDN_URL", "", clean=_cdn_url)
MEDIA_URL = f"{CDN_URL}/media/"
STATIC_URL = f"{CDN_URL}/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
# Content-hashed names (static files and uploads) never get other bytes, so every cache may keep
# them for a year: the longest lifetime HTTP told servers to promise (RFC 2616, Expires).
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"


def _hashed_static_for_a_year(headers, path: str, url: str) -> None:
    # WhiteNoise marks hashed files immutable for ten years; keep one header for static and media.
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = IMMUTABLE_CACHE_CONTROL


WHITENOISE_ADD_HEADERS_FUNCTION = _hashed_static_for_a_year
# The largest request body taken, photos included: the proxy's client_max_body_size (12m in
# deploy/nginx/cluster.conf.template), so a request sent straight to a web process meets the same limit.
# A larger one is answered 413 before it is read (infra/bodies.py).
MAX_REQUEST_BYTES = env.int("DUKAAN_MAX_REQUEST_BYTES", 12 * 1024 * 1024)
# Django's own limits on a form's fields besides its files (413 beyond them too): their size, and their
# number (the bulk edit sends three per product for up to 200 products; a variant formset of 50 rows
# six each).
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
IMAGE_MAX_BYTES = env.int("DUKAAN_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
# An uploaded file larger than one photo may be is spooled to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = IMAGE_MAX_BYTES
IMAGE_MAX_PIXELS = env.int("DUKAAN_IMAGE_MAX_PIXELS", 25_000_000)
IMAGE_THUMBNAIL_SIZES = {"small": 240, "large": 720}

# --- Login by phone + one-time code --------------------------------------------------------
SMS_BACKEND = env.str("SMS_BACKEND", "console")
SMS_CONSOLE_LOG = env.path("SMS_CONSOLE_LOG", VAR_DIR / "sms.log")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", "")
SMS_HTTP_TIMEOUT_SECONDS = env.float("SMS_HTTP_TIMEOUT_SECONDS", 5.0)
# Tries per message when the provider is unreachable or answers 5xx (not after a timeout).
SMS_RETRY_ATTEMPTS = env.int("SMS_RETRY_ATTEMPTS", 3)
# After this many failed messages in a row logins are told at once to come back in RESET seconds.
SMS_BREAKER_FAILURES = env.int("SMS_BREAKER_FAILURES", 3)
SMS_BREAKER_RESET_SECONDS = env.float("SMS_BREAKER_RESET_SECONDS", 30.0)
PHONE_DEFAULT_REGION = env.str("DUKAAN_PHONE_DEFAULT_REGION", "IN")
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", 300)
OTP_MAX_TRIES = env.int("OTP_MAX_TRIES", 5)
OTP_RESEND_SECONDS = env.int("OTP_RESEND_SECONDS", 30)
OTP_MAX_PER_PHONE_PER_HOUR = env.int("OTP_MAX_PER_PHONE_PER_HOUR", 5)
OTP_MAX_PER_IP_PER_HOUR = env.int("OTP_MAX_PER_IP_PER_HOUR", 20)
# Wrong codes one number may try in an hour, across all its codes (a new code does not reset it).
OTP_MAX_WRONG_TRIES_PER_PHONE_PER_HOUR = env.int("OTP_MAX_WRONG_TRIES_PER_PHONE_PER_HOUR", 10)
# Against SMS pumping: codes per hour to all numbers starting with the same OTP_PREFIX_DIGITS digits
# (country code included, e.g. +9198123 for 7), whichever addresses ask.
OTP_PREFIX_DIGITS = env.int("OTP_PREFIX_DIGITS", 7)
OTP_MAX_PER_PREFIX_PER_HOUR = env.int("OTP_MAX_PER_PREFIX_PER_HOUR", 30)
# Staff pages need the SMS code and the password (accounts/staff.py). The password form locks for the
# rest of a STAFF_LOGIN_WINDOW_SECONDS window (429, even to the right password) after this many wrong
# passwords for one phone number, or from one client address; 0 switches a limit off.
STAFF_LOGIN_MAX_FAILURES_PER_ACCOUNT = env.int("STAFF_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
STAFF_LOGIN_WINDOW_SECONDS = env.int("STAFF_LOGIN_WINDOW_SECONDS", 900)
# Order texts (not login codes, which have the limits above) one number may get in an hour, across every
# store: a stranger's number typed as "buyer phone" gets no more than this. The shopkeeper's own
# new-order alerts are not capped (their number is verified at login; the order limits bound them).
SMS_MAX_PER_PHONE_PER_HOUR = env.int("SMS_MAX_PER_PHONE_PER_HOUR", 5)

# --- Messages to buyers and shopkeepers (docs/notifications.md) ----------------------------
# The channels to try, in order: "sms", "whatsapp" or "whatsapp,sms" (WhatsApp, SMS when it fails).
NOTIFY_CHANNELS = env.str("NOTIFY_CHANNELS", "sms")
# The WhatsApp Business Cloud API: Meta's Graph API address, its version, the sending number's id and
# a system user's access token (from the Meta app's WhatsApp set-up).
WHATSAPP_API_URL = env.str("WHATSAPP_API_URL", "https://graph.facebook.com")
WHATSAPP_API_VERSION = env.str("WHATSAPP_API_VERSION", "v23.0")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_TOKEN = env.str("WHATSAPP_TOKEN", "")
WHATSAPP_TIMEOUT_SECONDS = env.float("WHATSAPP_TIMEOUT_SECONDS", 5.0)
# Tries per message when Meta is unreachable or answers 5xx (not after a timeout).
WHATSAPP_RETRY_ATTEMPTS = env.int("WHATSAPP_RETRY_ATTEMPTS", 2)
# After this many failed messages in a row, messages go straight to the next channel for RESET seconds.
WHATSAPP_BREAKER_FAILURES = env.int("WHATSAPP_BREAKER_FAILURES", 3)
WHATSAPP_BREAKER_RESET_SECONDS = env.float("WHATSAPP_BREAKER_RESET_SECONDS", 30.0)

# --- Payments --------------------------------------------------------------------------------
# Cash on delivery and UPI links need no provider. PAYMENT_GATEWAY names an online provider's
# adapter: "razorpay", or "fake" (the local stand-in with the same order + signed-webhook flow); empty =
# none. PAYMENT_WEBHOOK_SECRET is the fake's; Razorpay has its own keys (docs/payments.md). Without them
# (all three empty) the checkout does not offer online payment.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", "")
PAYMENT_WEBHOOK_SECRET = env.str("PAYMENT_WEBHOOK_SECRET", "dev-only-webhook-secret")
RAZORPAY_KEY_ID = env.str("RAZORPAY_KEY_ID", "")
RAZORPAY_KEY_SECRET = env.str("RAZORPAY_KEY_SECRET", "")
RAZORPAY_WEBHOOK_SECRET = env.str("RAZORPAY_WEBHOOK_SECRET", "")
RAZORPAY_API_URL = env.str("RAZORPAY_API_URL", "https://api.razorpay.com")
# How long an adapter waits for the provider to open an order; after this many failures in a row the
# provider is skipped (buyers told at once) for the reset time, then tried again.
PAYMENT_TIMEOUT_SECONDS = env.float("PAYMENT_TIMEOUT_SECONDS", 10.0)
PAYMENT_BREAKER_FAILURES = env.int("PAYMENT_BREAKER_FAILURES", 3)
PAYMENT_BREAKER_RESET_SECONDS = env.float("PAYMENT_BREAKER_RESET_SECONDS", 30.0)
# A buyer may order at most this many of one line; more is a typo or an attack.
ORDER_MAX_QUANTITY = env.int("ORDER_MAX_QUANTITY", 100)
# Orders a client address may place in an hour, across every store. Generous: many buyers on one mobile
# carrier share an address (carrier-grade NAT). 0 switches it off (benchmarks placing orders from one host).
ORDER_MAX_PER_ADDRESS_PER_HOUR = env.int("ORDER_MAX_PER_ADDRESS_PER_HOUR", 100)
# Orders one buyer phone number may place in an hour in one store (refused tries counted too); 0 = off.
ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = env.int("ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR", 6)
# Saves of unfinished checkouts (the phone typed at checkout) a client address may make in an hour; 0 = off.
DRAFT_MAX_PER_ADDRESS_PER_HOUR = env.int("DRAFT_MAX_PER_ADDRESS_PER_HOUR", 200)

# --- API --------------------------------------------------------------------------------------
# Requests per window: per API token on merchant endpoints, per client address on public ones
# (and on failed logins). 0 switches a limit off.
API_RATE_LIMIT_PER_TOKEN = env.int("API_RATE_LIMIT_PER_TOKEN", 600)
API_RATE_LIMIT_PER_IP = env.int("API_RATE_LIMIT_PER_IP", 300)
API_RATE_LIMIT_WINDOW_SECONDS = env.int("API_RATE_LIMIT_WINDOW_SECONDS", 60)
# Largest JSON body, and largest multipart upload (all of one request's images together).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", 64 * 1024)
API_MAX_UPLOAD_BYTES = env.int("API_MAX_UPLOAD_BYTES", MAX_REQUEST_BYTES)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-in"
LANGUAGES = [("en-in", "English"), ("hi", "हिन्दी")]
# Each app's catalogue (dukaan/<app>/locale, docs/i18n.md), also named here so that ours win over
# Django's own: its admin has some of the same English words, in other Hindi.
LOCALE_PATHS = sorted(str(path) for path in (BASE_DIR / "dukaan").glob("*/locale"))
TIME_ZONE = env.str("DUKAAN_TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Logs -----------------------------------------------------------------------------------
# Every line, ours and the libraries', goes through one formatter (infra/logs.py), on stderr: json = one
# JSON object a line for a log collector (the default where deployed), console = readable lines.
LOG_FORMATS = ("json", "console")
DUKAAN_LOG_FORMAT = env.text(
    "DUKAAN_LOG_FORMAT",
    "json" if DEPLOYED else "console",
    clean=_one_of(
        LOG_FORMATS,
        "DUKAAN_LOG_FORMAT must be json (one JSON object a line, for a log collector) or console "
        "(readable lines, for a person), not {!r}.",
    ),
)
# Plain data only: `dukaan web` hands it to granian as JSON, `dukaan storefront` to uvicorn.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"dukaan": {"()": "dukaan.infra.logs.formatter", "log_format": DUKAAN_LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "dukaan"}},
    # Least important level written (DEBUG, INFO, WARNING, ERROR).
    "root": {"handlers": ["console"], "level": env.str("DUKAAN_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (plain text, and mail to ADMINS) give way to ours. INFO even when
        # DUKAAN_LOG_LEVEL=DEBUG: Django's debug lines are SQL with its values (session keys among them).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's access lines repeat RequestIdMiddleware's (dukaan.access).
        "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
        # The Elasticsearch client logs every request at INFO; failures reach us as SearchUnavailable.
        "elastic_transport": {"level": "WARNING"},
    },
}


# --- Tracing --------------------------------------------------------------------------------
# OpenTelemetry spans (infra/tracing.py): console = one JSON span a line appended to DUKAAN_TRACES_FILE,
# otlp = sent to an OpenTelemetry collector, off = none. On by default only on a laptop (dev); the test
# suite (pytest sets PYTEST_VERSION) and deployments record nothing unless told.
TRACES_CHOICES = ("off", "console", "otlp")
_traces_default = "console" if DUKAAN_ENV == "dev" and "PYTEST_VERSION" not in os.environ else "off"
DUKAAN_TRACES = env.text(
    "DUKAAN_TRACES",
    _traces_default,
    clean=_one_of(
        TRACES_CHOICES,
        f"DUKAAN_TRACES must be one of {', '.join(TRACES_CHOICES)}, not {{!r}}. For another "
        "tracing backend (Zipkin, Jaeger, Tempo, ...) use otlp and point OTEL_EXPORTER_OTLP_ENDPOINT "
        "at an OpenTelemetry collector.",
    ),
)
# Where DUKAAN_TRACES=console appends its spans (`tail -f` it, or load it into any JSON tool).
DUKAAN_TRACES_FILE = env.path("DUKAAN_TRACES_FILE", VAR_DIR / "traces.jsonl")
# The collector's OTLP/HTTP address (the standard variable); spans are POSTed to <it>/v1/traces.


def _otlp_endpoint(url: str) -> None:
    if DUKAAN_TRACES == "otlp" and not re.fullmatch(r"https?://[^/?#]+[^?#]*", url):
        raise ValidationError(
            "OTEL_EXPORTER_OTLP_ENDPOINT must be the collector's http(s) address, such as "
            f"http://127.0.0.1:4318, not {url!r}"
        )


OTEL_EXPORTER_OTLP_ENDPOINT = env.str(
    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318", validate=_otlp_endpoint
)
# The service spans are filed under; empty = named after the process: dukaan-web, dukaan-storefront,
# dukaan-worker-<group>.
OTEL_SERVICE_NAME = env.text("OTEL_SERVICE_NAME", "")


# --- Built from the values above, once each is known good -------------------------------------
# Every bad value is refused here at once; what follows may rely on each value having its type.
_refuse_bad_values()
for _number, _url in enumerate(DATABASE_REPLICA_URLS):
    DATABASES[f"replica_{_number}"] = {
        **dj_database_url.parse(_url, conn_max_age=60),
        "DISABLE_SERVER_SIDE_CURSORS": True,
        # A replica that is down must cost a request little: it is skipped after one failed check.
        "OPTIONS": {"connect_timeout": 1},
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["dukaan.infra.db_routing.ReplicaRouter"] if DATABASE_REPLICA_URLS else []

if DB_READ_YOUR_WRITES_SECONDS <= DB_REPLICA_MAX_LAG_SECONDS:
    raise ImproperlyConfigured(
        f"DB_READ_YOUR_WRITES_SECONDS ({DB_READ_YOUR_WRITES_SECONDS:g}) must be longer than "
        f"DB_REPLICA_MAX_LAG_SECONDS ({DB_REPLICA_MAX_LAG_SECONDS:g}), or a merchant could read a "
        "replica that has not yet received their own change."
    )

if urlparse(CACHE_URL).scheme in {"redis", "rediss"}:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Passed to redis-py's connection pool; hiredis, when installed, is used on its own.
            "OPTIONS": {
                "socket_connect_timeout": CACHE_CONNECT_TIMEOUT_SECONDS,
                "socket_timeout": CACHE_SOCKET_TIMEOUT_SECONDS,
            },
        }
    }
elif CACHE_URL == "dummy://":
    # No cache at all: every read builds from the database (benchmarks of the cold path).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dukaan"}}

MEDIA_ROOT = Path(urlparse(STORAGE_URL).path)  # file:// only
# Without DEBUG, collectstatic writes content-hashed copies and {% static %} names them. With DEBUG
# (`make run`) Django's manifest storage would name the unhashed files anyway, so WhiteNoise serves
# the sources as they are, uncached: an edited stylesheet shows on the next reload.
STORAGES = {
    "default": media_storage(
        STORAGE_URL,
        access_key_id=S3_ACCESS_KEY_ID,
        secret_access_key=S3_SECRET_ACCESS_KEY,
        timeout_seconds=S3_TIMEOUT_SECONDS,
    ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


# --- Environment checks ---------------------------------------------------------------------
def _environment_problems() -> list[str]:
    """What is wrong for DUKAAN_ENV, each with what to set; all at once so one fix-up is enough."""
    problems = []
    if DEPLOYED:
        if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
            problems.append(
                f"DUKAAN_SECRET_KEY: set a random string of at least {SECRET_KEY_MIN_LENGTH} characters "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')."
            )
        if not PLATFORM_HOSTS:
            problems.append("DUKAAN_ALLOWED_HOSTS: set the host names this serves, e.g. shop.example.com.")
        if PAYMENT_GATEWAY == "fake" and PAYMENT_WEBHOOK_SECRET == "dev-only-webhook-secret":
            problems.append("PAYMENT_WEBHOOK_SECRET: set the provider's webhook secret (not the dev one).")
        # Behind a load balancer (DUKAAN_BEHIND_TLS_PROXY) without this, every client would count as the
        # proxy: one client's few requests would use up every merchant's login codes.
        if "SECURE_PROXY_SSL_HEADER" in globals() and not TRUSTED_PROXIES:
            problems.append(
                "DUKAAN_TRUSTED_PROXIES: set the addresses of the proxies in front (load balancer, "
                "ingress, edge cache), e.g. 10.0.0.0/8; with no proxy, set DUKAAN_BEHIND_TLS_PROXY=false."
            )
    if DUKAAN_ENV == "production":
        if DEBUG:
            problems.append("DUKAAN_DEBUG: unset it; debug pages show settings and code to anyone.")
        if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
            problems.append(
                "DATABASE_URL: set postgres://…; a SQLite file lives and dies with one machine's disk."
            )
        if CACHE_URL == "locmem://":
            problems.append(
                "CACHE_URL: set redis://…; an in-process cache per worker keeps pages other workers changed."
            )
        if "STORAGE_URL" not in os.environ:
            problems.append(
                "STORAGE_URL: set where uploads live (s3://… or file:// on a shared, backed-up volume), "
                "not var/media inside the release."
            )
        if SMS_BACKEND == "console":
            problems.append("SMS_BACKEND: set http; the console backend writes login codes to a server log.")
        # Production is served over https only; each of these would let a browser use plain http.
        if not SESSION_COOKIE_SECURE:
            problems.append(
                "DUKAAN_SECURE_COOKIES: unset it; without it the login and CSRF cookies also travel over "
                "plain http, where anyone on the network can read them."
            )
        if SECURE_HSTS_SECONDS <= 0:
            problems.append(
                "DUKAAN_HSTS_SECONDS: unset it (one year) or set a positive number of seconds; without HSTS "
                "a browser may be sent to the plain http address first."
            )
        if not SECURE_SSL_REDIRECT:
            problems.append(
                "DUKAAN_SSL_REDIRECT: unset it; without it a page asked for over plain http is "
                "answered over plain http."
            )
    return problems


_problems = _environment_problems()
if _problems:
    raise ImproperlyConfigured(f"DUKAAN_ENV={DUKAAN_ENV} needs these set:\n- " + "\n- ".join(_problems))
