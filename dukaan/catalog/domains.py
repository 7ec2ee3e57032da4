"""A store's own domain (docs/domains.md): the rules a domain name must meet, the DNS record that proves
the shopkeeper controls it, and the cached lookups that send a Host to its store and a store's links
to its domain."""

from __future__ import annotations

import ipaddress
import re
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext

from dukaan.events.outbox import emit
from dukaan.infra.queries import only_row

from . import events
from .models import Store, StoreDomain
from .selectors import NO_STORE, store_data, store_for_slug

# The TXT record that proves the domain is the shopkeeper's: _dukaan.<domain>, saying TXT_PREFIX + token.
RECORD_LABEL = "_dukaan"
TXT_PREFIX = "dukaan-verify="
# How long a process trusts a lookup it made. Kept in the process, not in the shared cache: every store
# page asks, and a page must not wait on (nor fail with) Redis for it. The process that makes a change
# forgets at once; the others see it within this time.
LOOKUP_SECONDS = 30.0
MAX_LOOKUPS = 10_000
DNS_TIMEOUT_SECONDS = 5.0
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _not_a_domain(text: str) -> str:
    return gettext("“%(text)s” is not a domain name. Type the domain alone, like shop.example.in.") % {
        "text": text.strip()
    }


def platform_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or ""


def clean_domain(text: str) -> str:
    """The domain as stored (lower case, ASCII, no trailing dot), or ValidationError saying what is wrong."""
    domain = text.strip().lower()
    for scheme in ("https://", "http://"):
        domain = domain.removeprefix(scheme)
    domain = domain.rstrip("/").rstrip(".")
    if not domain:
        raise ValidationError(gettext("The domain is empty. Type the domain alone, like shop.example.in."))
    try:
        ipaddress.ip_address(domain.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValidationError(
            gettext(
                "“%(text)s” is an IP address, not a domain name. Type the domain alone, like shop.example.in."
            )
            % {"text": text.strip()}
        )
    if "*" in domain:
        raise ValidationError(
            gettext(
                "“%(text)s” is a wildcard: a store has one domain, written out. Type the domain alone, like "
                "shop.example.in."
            )
            % {"text": text.strip()}
        )
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_not_a_domain(text)) from None
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError(_not_a_domain(text))
    platform = platform_host()
    if platform and (domain == platform or domain.endswith("." + platform)):
        raise ValidationError(
            gettext(
                "%(domain)s is an address of %(platform)s itself. Use a domain you bought, like "
                "shop.example.in."
            )
            % {"domain": domain, "platform": platform}
        )
    return domain


def record_name(domain: str) -> str:
    return f"{RECORD_LABEL}.{domain}"


def record_value(store_domain: StoreDomain) -> str:
    return TXT_PREFIX + store_domain.token


def _resolver() -> dns.resolver.Resolver:
    """The system's resolver, or the one DNS_RESOLVER names (host:port; the tests' own server)."""
    if not settings.DNS_RESOLVER:
        return dns.resolver.Resolver()
    resolver = dns.resolver.Resolver(configure=False)
    host, _, port = settings.DNS_RESOLVER.rpartition(":")
    resolver.nameservers = [host.strip("[]")]
    resolver.port = int(port)
    return resolver


def txt_values(name: str) -> list[str]:
    """The TXT strings published at `name`; [] when there is none. Raises ValidationError when DNS
    does not answer."""
    try:
        answer = _resolver().resolve(name, "TXT", lifetime=DNS_TIMEOUT_SECONDS)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException:
        raise ValidationError(
            gettext("DNS did not answer in time. Try “Verify now” again in a minute.")
        ) from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


# Lookups: every page of a store asks where the store lives, every request which store its Host is.
# (expires, value) by ("slug", slug) and ("host", domain); a dict's get and set need no lock.
_lookups: dict[tuple[str, str], tuple[float, str]] = {}


def _remembered(key: tuple[str, str], load: Callable[[], str | None]) -> str:
    now = time.monotonic()
    found = _lookups.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = load() or ""
    if len(_lookups) >= MAX_LOOKUPS:
        _lookups.clear()
    _lookups[key] = (now + LOOKUP_SECONDS, value)
    return value


def verified_domain(slug: str, load: Callable[[], str | None] | None = None) -> str:
    """The store's verified domain, or "" (no domain, or not verified yet). `load`: how the caller reads
    it when this process does not remember it, with the rest of the store (selectors.store_for_slug: a
    store page reads that anyway, so the domain costs no query of its own)."""
    if load is None:
        load = lambda: (store_for_slug(slug) or NO_STORE).domain  # noqa: E731
    return _remembered(("slug", slug), load)


def slug_for_domain(domain: str) -> str:
    """The slug of the store a verified domain serves, or "" when none does."""

    def load() -> str | None:
        # The store by its key from a subquery, not a join (a join let the planner walk every store).
        verified = StoreDomain.objects.filter(domain=domain, verified_at__isnull=False).values("store_id")[:1]
        return only_row(Store.objects.filter(pk=Subquery(verified)).values_list("slug", flat=True))

    return _remembered(("host", domain), load)


def forget(*, slugs: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> None:
    """Drop this process's lookups now, and again once the change is committed: a request in between
    may have looked up what was there before the commit."""
    keys = [*(("slug", slug) for slug in slugs), *(("host", domain) for domain in domains)]

    def drop() -> None:
        for key in keys:
            _lookups.pop(key, None)

    drop()
    transaction.on_commit(drop)


def store_domain(store: Store) -> StoreDomain | None:
    return StoreDomain.objects.filter(store=store).first()


# Writes.


def _changed(store: Store, domain: str) -> None:
    """Links to the store change: forget the lookups, and tell the caches (snapshot, edge) by event."""
    forget(slugs=(store.slug,), domains=(domain,))
    emit(events.STORE_UPDATED, store_id=store.pk, data=store_data(store))


@transaction.atomic
def add_domain(*, store: Store, domain: str) -> StoreDomain:
    """Ask for `domain` for the store; it serves the store once verify_domain finds its TXT record.
    ValidationError, and nothing saved, for a name that is not a domain we may serve or is taken."""
    domain = clean_domain(domain)
    existing = store_domain(store)
    if existing is not None:
        raise ValidationError(
            gettext("Your store already has %(domain)s: remove it first to use another.")
            % {"domain": existing.domain}
        )
    if StoreDomain.objects.filter(domain=domain).exists():
        raise ValidationError(
            gettext("%(domain)s is another store's domain. If it is yours, write to support.")
            % {"domain": domain}
        )
    try:
        with transaction.atomic():
            return StoreDomain.objects.create(store=store, domain=domain, token=secrets.token_hex(16))
    except IntegrityError:  # the same domain added by another store at the same moment
        raise ValidationError(gettext("%(domain)s is another store's domain.") % {"domain": domain}) from None


@transaction.atomic
def verify_domain(*, store: Store) -> StoreDomain:
    """Look up the domain's TXT record; when it says the token, the domain serves the store from now on.
    ValidationError, saying what DNS has, when it does not."""
    found = StoreDomain.objects.select_for_update().filter(store=store).first()
    if found is None:
        raise ValidationError(gettext("Add your domain first."))
    if found.verified_at is not None:
        return found
    name, expected = record_name(found.domain), record_value(found)
    values = txt_values(name)
    if expected not in values:
        if not values:
            raise ValidationError(
                gettext(
                    "No TXT record at %(name)s yet. Create it as shown; a new record can take up to an hour "
                    "to be seen, then press “Verify now” again."
                )
                % {"name": name}
            )
        raise ValidationError(
            gettext(
                "The TXT record at %(name)s says “%(found)s”, not “%(expected)s”. Change it, then verify "
                "again."
            )
            % {"name": name, "found": values[0], "expected": expected}
        )
    found.verified_at = timezone.now()
    found.save(update_fields=["verified_at"])
    _changed(store, found.domain)
    return found


@transaction.atomic
def remove_domain(*, store: Store) -> None:
    """The store is served at its platform link again, and the domain is free for another store."""
    found = StoreDomain.objects.select_for_update().filter(store=store).first()
    if found is None:
        raise ValidationError(gettext("Your store has no domain to remove."))
    found.delete()
    _changed(store, found.domain)
