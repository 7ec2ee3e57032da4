"""A store's custom domain: what may be asked for, and the DNS check against a real DNS server."""

import socket

import pytest
from django.core.exceptions import ValidationError

from dukaan.catalog import domains
from dukaan.catalog.addresses import store_base_url, store_page_url
from dukaan.catalog.models import StoreDomain
from dukaan.conftest import change_store
from dukaan.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

SITE = "https://dukaan.example"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def publish(dns_server, store_domain: StoreDomain) -> None:
    dns_server.txt[domains.record_name(store_domain.domain)] = [domains.record_value(store_domain)]


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("192.0.2.10", "is an IP address"),
        ("[2001:db8::1]", "is an IP address"),
        ("dukaan.example", "is an address of dukaan.example itself"),
        ("shop.dukaan.example", "is an address of dukaan.example itself"),
        ("*.asha.in", "is a wildcard"),
        ("my shop", "is not a domain name"),
        ("localhost", "is not a domain name"),
        ("-shop.asha.in", "is not a domain name"),
        ("shop..asha.in", "is not a domain name"),
        ("shop.asha.in/p/1", "is not a domain name"),
        ("", "The domain is empty"),
    ],
)
def test_a_name_we_may_not_serve_is_refused_saying_why_and_nothing_is_saved(store, typed, says):
    with pytest.raises(ValidationError) as refused:
        domains.add_domain(store=store, domain=typed)

    assert says in messages(refused.value)
    assert not StoreDomain.objects.exists()


def test_a_domain_is_saved_as_typed_in_any_case_with_or_without_scheme_and_dot(store):
    added = domains.add_domain(store=store, domain="  HTTPS://Shop.Asha.IN./ ")

    assert added.domain == "shop.asha.in" and added.verified_at is None and len(added.token) == 32


def test_another_stores_domain_is_refused_and_theirs_stays_theirs(store, other_store):
    theirs = domains.add_domain(store=other_store, domain="shop.asha.in")

    with pytest.raises(ValidationError) as refused:
        domains.add_domain(store=store, domain="Shop.Asha.in")

    assert "is another store's domain" in messages(refused.value)
    assert list(StoreDomain.objects.values_list("store_id", "domain")) == [(other_store.pk, theirs.domain)]


def test_a_second_domain_needs_the_first_removed(store):
    domains.add_domain(store=store, domain="shop.asha.in")

    with pytest.raises(ValidationError) as refused:
        domains.add_domain(store=store, domain="asha.shop")

    assert "already has shop.asha.in" in messages(refused.value)
    assert list(StoreDomain.objects.values_list("domain", flat=True)) == ["shop.asha.in"]


def test_the_txt_record_verifies_the_domain_and_the_store_links_move_there(store, dns_server):
    added = domains.add_domain(store=store, domain="shop.asha.in")
    assert store_base_url(store.slug) == f"{SITE}/s/{store.slug}/"
    publish(dns_server, added)

    verified = domains.verify_domain(store=store)

    assert verified.verified_at is not None
    assert store.share_url == "https://shop.asha.in/"
    assert store_page_url(store.slug, "storefront:product", 12) == "https://shop.asha.in/p/12/"
    # The caches (snapshot, edge) hear of it as of any change to the store.
    assert OutboxEvent.objects.filter(type="store.updated", aggregateid=str(store.pk)).exists()


def test_no_record_yet_is_said_and_the_domain_stays_unverified(store, dns_server):
    domains.add_domain(store=store, domain="shop.asha.in")

    with pytest.raises(ValidationError) as refused:
        domains.verify_domain(store=store)

    assert "No TXT record at _dukaan.shop.asha.in yet" in messages(refused.value)
    assert StoreDomain.objects.get().verified_at is None
    assert store.share_url == f"{SITE}/s/{store.slug}/"


def test_a_record_with_another_value_is_quoted_and_the_domain_stays_unverified(
    store, other_store, dns_server
):
    # Someone else's token (another store asked for the domain before and removed it): not this store's proof.
    dns_server.txt["_dukaan.shop.asha.in"] = ["dukaan-verify=0123456789abcdef0123456789abcdef"]
    domains.add_domain(store=store, domain="shop.asha.in")

    with pytest.raises(ValidationError) as refused:
        domains.verify_domain(store=store)

    assert "says “dukaan-verify=0123456789abcdef0123456789abcdef”, not “dukaan-verify=" in messages(
        refused.value
    )
    assert StoreDomain.objects.get().verified_at is None


def test_a_dns_server_that_does_not_answer_is_said_and_nothing_changes(store, settings, monkeypatch):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # a port that takes the query and never answers
    settings.DNS_RESOLVER = f"127.0.0.1:{silent.getsockname()[1]}"
    monkeypatch.setattr(domains, "DNS_TIMEOUT_SECONDS", 0.5)
    domains.add_domain(store=store, domain="shop.asha.in")

    with pytest.raises(ValidationError) as refused:
        domains.verify_domain(store=store)

    silent.close()
    assert "DNS did not answer in time" in messages(refused.value)
    assert StoreDomain.objects.get().verified_at is None


def test_removing_the_domain_brings_the_platform_link_back(store, dns_server):
    publish(dns_server, domains.add_domain(store=store, domain="shop.asha.in"))
    domains.verify_domain(store=store)

    domains.remove_domain(store=store)

    assert store.share_url == f"{SITE}/s/{store.slug}/"
    assert domains.slug_for_domain("shop.asha.in") == ""
    with pytest.raises(ValidationError, match="no domain to remove"):
        domains.remove_domain(store=store)


def test_a_new_slug_keeps_the_domain_serving_the_store(store, dns_server):
    publish(dns_server, domains.add_domain(store=store, domain="shop.asha.in"))
    domains.verify_domain(store=store)
    assert domains.slug_for_domain("shop.asha.in") == store.slug

    change_store(store, slug="asha-new")

    assert domains.slug_for_domain("shop.asha.in") == "asha-new"
    assert store_base_url("asha-new") == "https://shop.asha.in/"
