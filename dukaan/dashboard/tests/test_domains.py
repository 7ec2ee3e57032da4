"""Store → Domain: the shopkeeper adds a domain, sees the records to create, verifies, removes."""

import html

import pytest

from dukaan.catalog.models import StoreDomain

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/store/domain/"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://dukaan.example"


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_adding_a_domain_shows_the_two_records_to_create(me, store):
    added = me.post(PAGE, {"domain": "Shop.Asha.in"})

    assert added.status_code == 302 and added.url == PAGE
    page = text(me.get(PAGE))
    token = StoreDomain.objects.get(store=store).token
    assert "<strong>shop.asha.in</strong> is not verified yet" in page
    assert "<td>CNAME</td><td><code>shop.asha.in</code></td><td><code>dukaan.example</code></td>" in page
    assert '<code id="txt-name">_dukaan.shop.asha.in</code>' in page
    assert f'<code id="txt-value">dukaan-verify={token}</code>' in page


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("203.0.113.7", "is an IP address"),
        ("shop.dukaan.example", "is an address of dukaan.example itself"),
        ("*.asha.in", "is a wildcard"),
        ("not a domain", "is not a domain name"),
    ],
)
def test_a_bad_domain_is_a_400_saying_why_and_nothing_is_saved(me, typed, says):
    refused = me.post(PAGE, {"domain": typed})

    assert refused.status_code == 400 and says in text(refused)
    assert not StoreDomain.objects.exists()


def test_another_stores_domain_is_a_400_and_stays_theirs(me, store, other_store, client):
    StoreDomain.objects.create(store=other_store, domain="shop.asha.in", token="b" * 32)

    refused = me.post(PAGE, {"domain": "shop.asha.in"})

    assert refused.status_code == 400 and "shop.asha.in is another store's domain" in text(refused)
    assert list(StoreDomain.objects.values_list("store_id", flat=True)) == [other_store.pk]


def test_verify_now_fails_until_the_txt_record_is_there_then_succeeds(me, store, dns_server):
    me.post(PAGE, {"domain": "shop.asha.in"})
    found = StoreDomain.objects.get()

    early = me.post(PAGE + "verify/")
    assert early.status_code == 400 and "No TXT record at _dukaan.shop.asha.in yet" in text(early)
    found.refresh_from_db()
    assert found.verified_at is None

    dns_server.txt["_dukaan.shop.asha.in"] = [f"dukaan-verify={found.token}"]
    verified = me.post(PAGE + "verify/", follow=True)

    assert "shop.asha.in is verified: your store is at https://shop.asha.in/ now." in text(verified)
    assert "Verified on" in text(verified)
    found.refresh_from_db()
    assert found.verified_at is not None


def test_remove_frees_the_domain_and_a_second_remove_says_there_is_none(me, store):
    me.post(PAGE, {"domain": "shop.asha.in"})

    removed = me.post(PAGE + "remove/", follow=True)
    again = me.post(PAGE + "remove/")

    assert "Domain removed" in text(removed) and 'id="txt-name"' not in text(removed)
    assert again.status_code == 400 and "Your store has no domain to remove." in text(again)
    assert not StoreDomain.objects.exists()


def test_the_store_settings_page_links_to_the_domain_page(me):
    assert f'href="{PAGE}" id="domain-link"' in me.get("/dashboard/store/").content.decode()
