"""CSRF on every form: a POST without the token is refused on every URL of the HTML apps, and every
<form method="post"> the pages render carries the token."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.shop import buyer_pages, merchant_pages, open_shop, order_through_checkout

pytestmark = pytest.mark.django_db

HTML_APPS = ("storefront", "dashboard", "accounts")
# Views that take a POST without a token, each for a reason written at the view.
WITHOUT_TOKEN = {
    # The product page's form stays cacheable for everyone; a forged POST could only add an item to a
    # cart, and the session cookie is SameSite=Lax, so a post from another site reaches no one's cart.
    "storefront:cart_add",
    # The language switch in every store page's footer, for the same reason: a forged POST can only
    # set the visitor's language cookie, which they see and switch back (docs/i18n.md).
    "storefront:language",
}


def html_app_routes() -> list[tuple[str, URLPattern]]:
    """(namespace:name, pattern) of every named URL in the HTML apps."""
    routes = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace in HTML_APPS:
            routes += [(f"{entry.namespace}:{p.name}", p) for p in entry.url_patterns if p.name]
    return routes


def path_of(name: str, pattern: URLPattern, values: dict) -> str:
    needed = pattern.pattern.regex.groupindex
    return reverse(name, kwargs={key: value for key, value in values.items() if key in needed})


def test_the_walk_covers_the_html_apps_post_views():
    names = {name for name, _ in html_app_routes()}
    assert {"storefront:checkout", "dashboard:product_edit", "accounts:login", "accounts:logout"} <= names
    assert len(names) > 25


def test_every_post_without_a_token_is_refused_with_403(client):
    store, category, product = open_shop()
    order = order_through_checkout(client, store, product)
    values = {
        "slug": store.slug,
        "category_id": category.pk,
        "product_id": product.pk,
        "token": order.public_token,
        "pk": product.pk,
        "number": order.number,
        "kind": "returns",
        "user_id": store.owner_id,
    }
    for logged_in in (False, True):
        forger = Client(enforce_csrf_checks=True)
        if logged_in:
            forger.force_login(store.owner)
        for name, pattern in html_app_routes():
            if name in WITHOUT_TOKEN:
                continue
            response = forger.post(path_of(name, pattern, values), {"name": "forged"})
            assert response.status_code == 403, (name, logged_in, response.status_code)
            assert b"CSRF" in response.content


class PostForms(HTMLParser):
    """Each <form method="post"> and whether a csrfmiddlewaretoken input sits inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.open = {"action": attrs.get("action"), "token": False}
            self.forms.append(self.open)
        elif tag == "input" and self.open is not None and attrs.get("name") == "csrfmiddlewaretoken":
            self.open["token"] = bool(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = None


def post_forms(html: str) -> list[dict]:
    parser = PostForms()
    parser.feed(html)
    return parser.forms


def test_every_post_form_on_every_page_carries_the_token():
    store, category, product = open_shop()
    buyer = Client()
    order = order_through_checkout(buyer, store, product)
    buyer.post(reverse("storefront:cart_add", args=[store.slug]), {"product": product.pk, "quantity": 1})
    merchant = Client()
    merchant.force_login(store.owner)
    visitor = Client()
    visitor.post(reverse("accounts:login"), {"phone": "98765 00009"})  # reaches the code page

    pages = {
        **{what: (buyer, path) for what, path in buyer_pages(store, category, product, order).items()},
        **{what: (merchant, path) for what, path in merchant_pages(store, category, product, order).items()},
        "login": (Client(), reverse("accounts:login")),
        "verify": (visitor, reverse("accounts:verify")),
    }
    seen = 0
    for what, (client, path) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (what, response.status_code)
        for form in post_forms(response.content.decode()):
            seen += 1
            exempt = form["action"] in {reverse(name, args=[store.slug]) for name in WITHOUT_TOKEN}
            assert form["token"] or exempt, f"{what}: the form posting to {form['action']} has no CSRF token"
    assert seen >= 15


def test_every_post_form_in_the_templates_has_a_csrf_token_tag():
    """Templates no test renders are covered too: each post form's source holds {% csrf_token %}."""
    missing = []
    for template in sorted((settings.BASE_DIR / "dukaan").rglob("templates/**/*.html")):
        for form in template.read_text().split("<form")[1:]:
            body = form.split("</form>", 1)[0]
            if 'method="post"' in body.split(">", 1)[0] and "{% csrf_token %}" not in body:
                missing.append((template.name, body.split(">", 1)[0]))

    assert sorted(
        (name, "storefront:cart_add" in tag or "storefront:language" in tag) for name, tag in missing
    ) == [
        ("_language.html", True),
        ("product.html", True),
    ], missing
