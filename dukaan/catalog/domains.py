"""A store's own domain (docs/domains.md): the rules a domain name must meet, the DNS record that proves
the shopkeeper controls it, and the cached lookups that send a Host to its store and a store's links
to its domain."""

from __future__ import annotations

import ipaddress
import re
import secrets
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dukaan.events.outbox import emit
from dukaan.infra.queries import only_row

from . import events
from .models import Store, StoreDomain
from .selectors import store_data

# The TXT record that proves the domain is the shopkeeper's: _dukaan.<domain>, saying TXT_PREFIX + token.
RECORD_LABEL = "_dukaan"
TXT_PREFIX = "dukaan-verify="
# A safety net: every change forgets the keys it touches at once.
CACHE_SECONDS = 3600
DNS_TIMEOUT_SECONDS = 5.0
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
EXAMPLE = "Type the domain alone, like shop.example.in."


def platform_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or ""


def clean_domain(text: str) -> str:
    """The domain as stored (lower case, ASCII, no trailing dot), or ValidationError saying what is wrong."""
    domain = text.strip().lower()
    for scheme in ("https://", "http://"):
        domain = domain.removeprefix(scheme)
    domain = domain.rstrip("/").rstrip(".")
    if not domain:
        raise ValidationError(f"The domain is empty. {EXAMPLE}")
    try:
        ipaddress.ip_address(domain.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValidationError(f"“{text.strip()}” is an IP address, not a domain name. {EXAMPLE}")
    if "*" in domain:
        raise ValidationError(
            f"“{text.strip()}” is a wildcard: a store has one domain, written out. {EXAMPLE}"
        )
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(f"“{text.strip()}” is not a domain name. {EXAMPLE}") from None
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError(f"“{text.strip()}” is not a domain name. {EXAMPLE}")
    platform = platform_host()
    if platform and (domain == platform or domain.endswith("." + platform)):
        raise ValidationError(
            f"{domain} is an address of {platform} itself. Use a domain you bought, like shop.example.in."
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
        raise ValidationError("DNS did not answer in time. Try “Verify now” again in a minute.") from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


# Lookups, cached: every page of a store asks where the store lives, every request which store a Host is.


def _slug_key(slug: str) -> str:
    return f"store_domain:slug:{slug}"


def _host_key(domain: str) -> str:
    return f"store_domain:host:{domain}"


def verified_domain(slug: str) -> str:
    """The store's verified domain, or "" (no domain, or not verified yet)."""
    key = _slug_key(slug)
    domain = cache.get(key)
    if domain is None:
        domain = (
            only_row(
                StoreDomain.objects.filter(store__slug=slug, verified_at__isnull=False).values_list(
                    "domain", flat=True
                )
            )
            or ""
        )
        cache.set(key, domain, CACHE_SECONDS)
    return domain


def slug_for_domain(domain: str) -> str:
    """The slug of the store a verified domain serves, or "" when none does."""
    key = _host_key(domain)
    slug = cache.get(key)
    if slug is None:
        slug = (
            only_row(
                StoreDomain.objects.filter(domain=domain, verified_at__isnull=False).values_list(
                    "store__slug", flat=True
                )
            )
            or ""
        )
        cache.set(key, slug, CACHE_SECONDS)
    return slug


def forget(*, slugs: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> None:
    """Drop the cached lookups now, and again once the change is committed: a request in between may
    have cached what it read before the commit."""
    keys = [*map(_slug_key, slugs), *map(_host_key, domains)]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


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
        raise ValidationError(f"Your store already has {existing.domain}: remove it first to use another.")
    if StoreDomain.objects.filter(domain=domain).exists():
        raise ValidationError(f"{domain} is another store's domain. If it is yours, write to support.")
    try:
        with transaction.atomic():
            return StoreDomain.objects.create(store=store, domain=domain, token=secrets.token_hex(16))
    except IntegrityError:  # the same domain added by another store at the same moment
        raise ValidationError(f"{domain} is another store's domain.") from None


@transaction.atomic
def verify_domain(*, store: Store) -> StoreDomain:
    """Look up the domain's TXT record; when it says the token, the domain serves the store from now on.
    ValidationError, saying what DNS has, when it does not."""
    found = StoreDomain.objects.select_for_update().filter(store=store).first()
    if found is None:
        raise ValidationError("Add your domain first.")
    if found.verified_at is not None:
        return found
    name, expected = record_name(found.domain), record_value(found)
    values = txt_values(name)
    if expected not in values:
        if not values:
            raise ValidationError(
                f"No TXT record at {name} yet. Create it as shown; a new record can take up to an hour "
                "to be seen, then press “Verify now” again."
            )
        raise ValidationError(
            f"The TXT record at {name} says “{values[0]}”, not “{expected}”. Change it, then verify again."
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
        raise ValidationError("Your store has no domain to remove.")
    found.delete()
    _changed(store, found.domain)
