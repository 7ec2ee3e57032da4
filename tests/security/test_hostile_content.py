"""A merchant (or a buyer at checkout) types markup and unicode tricks; every page that shows them,
the WhatsApp links, the share meta tags and the API render them inert, as the text that was typed.

The unicode rule (catalog/rules.py validate_text): characters that reorder the text after them
(bidi embeddings, overrides, isolates) and control characters are refused with a message saying which
one; everything else a language needs is kept as typed: joiners, combining marks, letters of any
script, look-alike letters included (the store's link, /s/<slug>/, is ASCII and cannot be imitated).
"""

import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from dukaan.accounts.services import create_api_token
from dukaan.catalog import services
from dukaan.catalog.models import Product
from tests.security.shop import buyer_details, buyer_pages, merchant_pages, open_shop, order_through_checkout

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "</title><script>alert(1)</script>",
    "javascript:alert(1)",
]
BUYER_FIELDS = ("name", "phone", "address", "pin_code")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "content", "srcset", "poster"}


@pytest.fixture(autouse=True)
def cold_catalog_cache(settings):
    caches[settings.CATALOG_CACHE_ALIAS].clear()


class Page(HTMLParser):
    """What a browser would run or follow in a page, and the text and attributes it would show."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.handlers: list[str] = []
        self.script_urls: list[str] = []
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.links: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))
        for name, value in attrs:
            value = value or ""
            self.attributes.append(value)
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith(("javascript:", "vbscript:")):
                self.script_urls.append(f"<{tag} {name}={value!r}>")
            if tag == "a" and name == "href":
                self.links.append(value)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def assert_inert(what: str, html: str) -> Page:
    page = Page(html)
    # Our own scripts, served from our static files (the checkout's draft.js), are the only ones that
    # run; a product page's JSON-LD is data a browser never runs. A payload that closed it early would
    # start a <script> of neither kind.
    foreign = [
        script
        for script in page.scripts
        if not (script.get("src") or "").startswith("/static/")
        and script.get("type") != "application/ld+json"
    ]
    assert foreign == [], f"{what}: a <script> element: {foreign}"
    assert page.handlers == [], f"{what}: event handler attributes: {page.handlers}"
    assert page.script_urls == [], f"{what}: javascript: URLs: {page.script_urls}"
    return page


def shown(payload: str, page: Page) -> bool:
    """The payload appears as text or inside one attribute value, exactly as typed."""
    return payload in page.all_text or any(payload in value for value in page.attributes)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_names_descriptions_and_buyer_details_renders_as_text_everywhere(payload):
    store, category, product = open_shop(
        name=f"Asha {payload}"[:80], product_name=f"Kurta {payload}", description=f"Soft {payload}"
    )
    services.rename_category(category=category, name=f"Tops {payload}"[:60])
    buyer = Client()
    order = order_through_checkout(buyer, store, product, name=f"Meera {payload}"[:80])
    buyer.post(reverse("storefront:cart_add", args=[store.slug]), {"product": product.pk, "quantity": 1})
    merchant = Client()
    merchant.force_login(store.owner)

    pages = {
        **{what: (buyer, path) for what, path in buyer_pages(store, category, product, order).items()},
        **{what: (merchant, path) for what, path in merchant_pages(store, category, product, order).items()},
        "search for the payload": (buyer, reverse("storefront:search", args=[store.slug]) + f"?q={payload}"),
    }
    for what, (client, path) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (what, response.status_code)
        page = assert_inert(what, response.content.decode())
        if what in ("store home", "product", "products", "product edit", "order detail"):
            assert shown(payload, page), f"{what} does not show the name as typed"

    product_page = Page(buyer.get(buyer_pages(store, category, product, order)["product"]).content.decode())
    assert f"Kurta {payload}" in product_page.attributes  # og:title, exactly the name, inside its quotes


@pytest.mark.parametrize("payload", PAYLOADS)
def test_whatsapp_links_carry_the_names_url_encoded(payload):
    store, _category, product = open_shop(name=f"Asha {payload}"[:80], product_name=f"Kurta {payload}")
    buyer = Client()
    order = order_through_checkout(buyer, store, product)
    merchant = Client()
    merchant.force_login(store.owner)

    order_page = Page(
        buyer.get(reverse("storefront:order", args=[store.slug, order.public_token])).content.decode()
    )
    share = Page(merchant.get(reverse("dashboard:home")).content.decode())
    links = [link for link in order_page.links + share.links if link.startswith("https://wa.me/")]
    texts = []
    for link in links:
        query = urlparse(link).query
        assert not set(query) & set("<>\"' "), f"not URL-encoded: {link}"
        texts += parse_qs(query).get("text", [])
    assert any(f"Kurta {payload}" in unquote(text) for text in texts), texts
    assert any(f"Asha {payload}"[:80] in text for text in texts), texts


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_api_answers_the_names_as_json_strings(payload):
    store, _category, product = open_shop(product_name=f"Kurta {payload}")
    response = Client().get(f"/api/v1/stores/{store.slug}/products/{product.pk}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response.content)["name"] == f"Kurta {payload}"


# --- Unicode --------------------------------------------------------------------------------------

DIRECTION_TRICKS = ["Kurta \u202e994", "\u202dKurta", "Kurta \u2066x\u2069", "Kurta\u202a"]


@pytest.mark.parametrize("name", DIRECTION_TRICKS)
def test_direction_overrides_are_refused_with_a_message_naming_the_character(name):
    store, _category, product = open_shop()
    merchant = Client()
    merchant.force_login(store.owner)
    form = {
        "name": name,
        "price": "549",
        "stock": "50",
        "is_active": "on",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
    }

    response = merchant.post(reverse("dashboard:product_edit", args=[product.pk]), form)

    assert response.status_code == 200
    character = next(ch for ch in name if 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069)
    message = f"Remove the hidden direction character (U+{ord(character):04X})"
    assert message in response.content.decode()
    assert Product.objects.get(pk=product.pk).name == "Block print kurta"  # nothing saved


def test_direction_overrides_are_refused_everywhere_text_is_saved():
    store, category, product = open_shop()
    merchant = Client()
    merchant.force_login(store.owner)

    category_page = merchant.post(reverse("dashboard:categories"), {"name": "Tops\u202e"})
    assert "U+202E" in category_page.content.decode()

    _row, token = create_api_token(store=store, name="POS")
    api = merchant.patch(
        f"/api/v1/products/{product.pk}",
        json.dumps({"description": "Soft \u2067cotton"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert api.status_code == 422
    problem = api.json()
    assert any(
        error["field"] == "description" and "U+2067" in error["message"] for error in problem["errors"]
    ), problem

    store.refresh_from_db()
    with pytest.raises(ValidationError, match=r"U\+202E"):
        services.update_store(
            store=store, name="Asha\u202e", slug=store.slug, whatsapp=store.whatsapp, currency="INR"
        )
    assert [c.name for c in store.categories.all()] == [category.name]


@pytest.mark.parametrize(
    "name",
    [
        "क्‍ष Kurta",  # Devanagari with a zero-width joiner, as typed for a half letter
        "👩‍👧 Family pack",  # an emoji sequence held together by joiners
        "Cafe\u0301 kurta",  # a combining accent
        "Z\u0335\u0321a\u0336l\u0337go",  # stacked combining marks
        "Kurtа",  # a Cyrillic а that looks like a Latin a
        "اردو کرتا \u200f",  # Urdu with a right-to-left mark, which reorders nothing
        "K" * 120,  # the longest name allowed
    ],
)
def test_what_languages_need_is_kept_exactly_as_typed_and_shown_escaped(name):
    store, category, product = open_shop(product_name=name)
    buyer = Client()
    order = order_through_checkout(buyer, store, product)

    assert Product.objects.get(pk=product.pk).name == name
    for what, path in buyer_pages(store, category, product, order).items():
        page = assert_inert(what, buyer.get(path).content.decode())
        if what in ("store home", "product"):
            assert name in page.all_text, what


def test_a_name_longer_than_allowed_gets_a_clear_error():
    store, _category, product = open_shop()
    merchant = Client()
    merchant.force_login(store.owner)
    form = {"name": "K" * 121, "price": "549", "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0"}

    response = merchant.post(reverse("dashboard:product_edit", args=[product.pk]), form)

    assert "Ensure this value has at most 120 characters (it has 121)." in response.content.decode()
    assert Product.objects.get(pk=product.pk).name == "Block print kurta"


@pytest.mark.parametrize("character", ["\u202e", "\u2066", "\u2069", "\x07"])
@pytest.mark.parametrize("field", ["name", "address"])
def test_buyer_details_with_hidden_characters_are_refused_at_checkout_and_in_the_api(field, character):
    store, _category, product = open_shop()
    value = {"name": "Meera Iyer", "address": "12, 3rd Cross, Indiranagar, Bengaluru"}[field]
    value = value[:5] + character + value[5:]
    named = f"(U+{ord(character):04X})"
    buyer = Client()
    buyer.post(reverse("storefront:cart_add", args=[store.slug]), {"product": product.pk, "quantity": 1})

    page = buyer.post(reverse("storefront:checkout", args=[store.slug]), buyer_details(**{field: value}))
    api = buyer.post(
        f"/api/v1/stores/{store.slug}/orders",
        json.dumps(
            {
                "lines": [{"product_id": product.pk, "quantity": 1, "seen_price": "549.00"}],
                "buyer": {k: v for k, v in buyer_details(**{field: value}).items() if k in BUYER_FIELDS},
                "payment_method": "cod",
            }
        ),
        content_type="application/json",
        headers={"Idempotency-Key": "hidden-characters"},
    )

    assert page.status_code == 200 and named in page.content.decode()
    assert api.status_code == 422 and named in api.json()["detail"]
    assert not store.orders.exists()
