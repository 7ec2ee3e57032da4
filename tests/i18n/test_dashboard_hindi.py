"""The merchant's side in Hindi: every dashboard page, as a merchant who chose Hindi sees it, has no
English sentence left outside what the shopkeeper and their buyers typed; and the choice itself (the
language menu, the browser's language until then).

The dashboard's pages are walked from its urlpatterns, with the objects of the authorization matrix's
world (tests/security/test_authorization_matrix.py), so a new dashboard page is walked without being
listed here. Each store page is also posted empty, which shows its form's errors.
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from dukaan.accounts.models import User
from dukaan.accounts.scopes import Scope
from dukaan.catalog.rules import CURRENCIES
from dukaan.conftest import make_store
from dukaan.dashboard.urls import urlpatterns
from dukaan.search.analysis import GLOBAL_SYNONYMS
from tests.security.test_authorization_matrix import DASHBOARD, _dashboard_request, world  # noqa: F401

from .test_translations import READ_ATTRIBUTES

pytestmark = pytest.mark.django_db

# Not pages: the app's manifest and service worker, and PDF downloads (the invoice's labels are the
# domain apps' catalogue). The offline page reads no session, so it follows the browser's language.
NOT_PAGES = {"manifest", "service_worker", "offline", "order_invoice", "credit_note"}

# Names and terms that stay in Latin letters in the Hindi text (docs/i18n.md's glossary), and the
# English labels of other sites' menus the store settings page tells the merchant to click.
KEPT = (
    *"Dukaan WhatsApp UPI SMS ID GSTIN GST CGST SGST IGST HSN SKU COD RTO UTR API REST POS".split(),
    *"PDF QR CSV CNAME TXT DNS HTTPS IP".split(), "shop.example.in", "example.in",
    *"JPEG PNG WebP Wi-Fi MB Excel Google Instagram Facebook English SAVE10 D7K2M9PX Cr".split(),
    *(scope.value for scope in Scope),
    # Other sites' menus, as the merchant will see them there.
    "Google Shopping", "Merchant Center", "Settings & tools", "Data sources", "Add product source",
    "Add products from a file",
    "Meta Commerce Manager", "Catalogue", "Data feed", "Scheduled feed", "Save As", "Authorization: Bearer",
    # Couriers' names, and the examples of what a merchant types (an option, a search synonym).
    "Delhivery", "Blue Dart", "Ecom Express", "Xpressbees", "Shiprocket", "Other", "Raju Transport",
    "Size: M, Colour: Red", *"kurti kurta tunic mobile phone smartphone".split(),
    *(word for group in GLOBAL_SYNONYMS for word in group),
)  # fmt: skip
# Texts still English on the Hindi dashboard, on purpose: the order statuses' values the "not an
# order status" message lists (what the API takes), and currency codes.
DOMAIN_TEXT = (
    "unconfirmed, placed, accepted, shipped, delivered, returned, cancelled",  # orders.services
    *CURRENCIES,  # catalog.rules: ISO codes
)  # fmt: skip
# An empty form, with its formsets' management forms (a browser always sends them).
EMPTY_FORMSETS = {
    f"{prefix}-{count}_FORMS": "0" for prefix in ("variants", "zones") for count in ("TOTAL", "INITIAL")
}
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


class _Text(HTMLParser):
    """What a person reads on the page: text outside <script>, <style>, <code> and text boxes (the
    merchant's own data being edited), and the person-facing attributes."""

    SKIPPED = {"script", "style", "code", "textarea", "svg"}

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in READ_ATTRIBUTES & attrs.keys():
            self.chunks.append(attrs[name] or "")
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.chunks.append(attrs.get("value") or "")
        if tag in self.SKIPPED:
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.chunks.append(data)


def _typed_data() -> list[str]:
    """Every text the shopkeeper, their buyers or the world's setup typed into the database."""
    found = set()
    for model in apps.get_models():
        if not model.__module__.startswith("dukaan."):
            continue
        text_fields = [
            f.attname for f in model._meta.fields if f.get_internal_type() in ("CharField", "TextField")
        ]
        for row in model.objects.values_list(*text_fields) if text_fields else ():
            found.update(value for value in row if isinstance(value, str) and value.strip())
    return list(found)


def english_left(html: str, data: list[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    left = []
    for chunk in parser.chunks:
        text = re.sub(r"\S*/\S*|\S+@\S+", " ", chunk)
        for term in sorted((*KEPT, *DOMAIN_TEXT, *data), key=len, reverse=True):
            text = text.replace(term, " ")
        if ENGLISH_WORD.search(text):
            left.append(chunk.strip())
    return left


def _pages(a: dict):
    """(name, method, url) of every dashboard page merchant A may open, to GET and to POST empty."""
    for pattern in urlpatterns:
        name = pattern.name
        if name in NOT_PAGES or DASHBOARD[(name, "GET")].answers["merchant A"] != "200":
            continue
        url, _ = _dashboard_request(name, "GET", a)
        yield name, "GET", url
        if DASHBOARD.get((name, "POST")) and DASHBOARD[(name, "POST")].answers["merchant A"] != "405":
            yield name, "POST", url


def test_every_dashboard_page_is_in_hindi_for_a_merchant_who_chose_it(world):  # noqa: F811
    a = world["a"]
    owner = a["store"].owner
    User.objects.filter(pk=owner.pk).update(language="hi")
    client = Client()
    client.force_login(owner)
    data = _typed_data()
    walked, english = [], {}
    for name, method, url in _pages(a):
        response = client.get(url) if method == "GET" else client.post(url, EMPTY_FORMSETS)
        if response.status_code == 302:  # an empty form that is valid saved; its page comes next
            response = client.get(response["Location"])
        # 400: a form refused with its messages (the theme page answers so); they must be in Hindi too.
        assert response.status_code in (200, 400), (name, method, response.status_code)
        html = response.content.decode()
        assert '<html lang="hi">' in html, (name, method)
        assert response["Content-Language"] == "hi", (name, method)
        walked.append(f"{method} {name}")
        if left := english_left(html, data):
            english[f"{method} {url}"] = left
    assert len(walked) > 30, walked
    assert not english, "\n".join(f"{page}: {left}" for page, left in english.items())


def test_the_dashboard_follows_the_browser_until_the_merchant_chooses():
    owner = make_store("+919812345601", "asha-store").owner
    client = Client(headers={"accept-language": "hi,en;q=0.8"})
    client.force_login(owner)
    page = client.get(reverse("dashboard:orders"))
    assert '<html lang="hi">' in page.content.decode() and "<h1>ऑर्डर</h1>" in page.content.decode()

    # The menu offers the other language; choosing it is kept on the account, over the browser's.
    assert 'value="en-in" lang="en-in">English</button>' in page.content.decode()
    chosen = client.post(reverse("accounts:language"), {"language": "en-in", "next": "/dashboard/orders/"})
    assert chosen.status_code == 302 and chosen["Location"] == "/dashboard/orders/"
    owner.refresh_from_db()
    assert owner.language == "en-in"
    page = client.get(reverse("dashboard:orders"))
    assert '<html lang="en-in">' in page.content.decode() and "<h1>Orders</h1>" in page.content.decode()

    # The offline page knows no one: it is in the browser's language.
    offline = Client(headers={"accept-language": "hi"}).get(reverse("dashboard:offline"))
    assert "आप ऑफ़लाइन हैं" in offline.content.decode() and offline["Content-Language"] == "hi"

    # From another browser, in English, the merchant who chose Hindi still gets Hindi.
    User.objects.filter(pk=owner.pk).update(language="hi")
    english_browser = Client(headers={"accept-language": "en"})
    english_browser.force_login(owner)
    assert "<h1>ऑर्डर</h1>" in english_browser.get(reverse("dashboard:orders")).content.decode()


def test_a_language_the_site_does_not_speak_is_refused_and_changes_nothing():
    owner = make_store("+919812345601", "asha-store").owner
    client = Client()
    client.force_login(owner)
    refused = client.post(reverse("accounts:language"), {"language": "fr", "next": "/dashboard/"})
    assert refused.status_code == 400
    assert "Choose one of the languages offered: English / हिन्दी." in refused.content.decode()
    owner.refresh_from_db()
    assert owner.language == ""
    assert "django_language" not in refused.cookies


def test_the_login_pages_follow_a_visitors_choice_and_an_unsafe_next_is_ignored():
    visitor = Client()
    chosen = visitor.post(reverse("accounts:language"), {"language": "hi", "next": "https://evil.example/"})
    assert chosen.status_code == 302 and chosen["Location"] == "/dashboard/"
    login = visitor.get(reverse("accounts:login")).content.decode()
    assert '<html lang="hi">' in login and "लॉगिन करें या अकाउंट बनाएँ" in login
    assert english_left(login, []) == []
    assert english_left("<p>ठीक है</p><button>Send code</button>", []) == ["Send code"]
    refused = visitor.post(reverse("accounts:login"), {"phone": "12"})
    assert "यह सही मोबाइल नंबर नहीं लगता" in refused.content.decode()


def test_the_tax_page_names_states_rates_and_dates_in_the_merchants_language():
    owner = make_store("+919812345601", "asha-store").owner
    client = Client()
    client.force_login(owner)
    User.objects.filter(pk=owner.pk).update(language="hi")
    page = client.get(reverse("dashboard:tax_settings")).content.decode()
    assert ">कर्नाटक (29)</option>" in page and ">महाराष्ट्र (27)</option>" in page
    assert "5 % · रोज़ की ज़रूरतें: पैक किया खाने का सामान" in page
    assert "(21 सितंबर 2025 तक)" in page
    User.objects.filter(pk=owner.pk).update(language="en-in")
    page = client.get(reverse("dashboard:tax_settings")).content.decode()
    assert ">Karnataka (29)</option>" in page and "(until 21 September 2025)" in page
    assert "5 % · Daily needs: packed food, medicines, clothes and footwear up to ₹2,500" in page
