"""Every theme in Chromium: the store home, a product and the cart pass axe-core with no serious or
critical violation, in the theme's brand colour (the inline stylesheet allowed by the page's policy);
each theme is photographed at phone and desktop width into test-artifacts/screenshots/ (copies in
docs/themes.md); and the Theme page's preview follows the unsaved form."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps

from dukaan.catalog import services
from dukaan.catalog.models import StoreTheme
from dukaan.catalog.themes import THEMES
from dukaan.conftest import change_store, make_store, png_upload
from dukaan.events.local import run_pending
from tests.browser.chromium import fits_the_phone, log_in
from tools.axe_core import axe_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Copies of them are docs/images/theme-*.png (docs/themes.md); a run never rewrites docs/.
IMAGES = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
BLOCKING = ("serious", "critical")
BRAND = "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
# A colour of the store's own for two themes; the others keep the theme's.
COLOURS = {"bold": "#c2185b", "kirana": "#ffc107"}
PRODUCTS = [
    ("Basmati rice, 5 kg", "649", "#c8a165"),
    ("Toor dal, 1 kg", "165", "#e0a526"),
    ("Block print kurta", "899", "#2f6f8f"),
    ("Cold pressed mustard oil, 1 l", "230", "#b88a1b"),
    ("Masala chai, 250 g", "140", "#6d3b1f"),
    ("Brass diya, set of 2", "320", "#a67c00"),
]


def rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))


def banner_upload() -> SimpleUploadedFile:
    gradient = Image.linear_gradient("L").rotate(90).resize((1200, 400))
    buffer = io.BytesIO()
    ImageOps.colorize(gradient, "#f5b301", "#8c1d40").save(buffer, format="PNG")
    return SimpleUploadedFile("banner.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def shop():
    store = make_store("+919876500027", "asha-kirana")
    change_store(store, name="Asha Kirana Store", logo=png_upload("logo.png", (96, 96), "darkorange"))
    grocery = services.create_category(store=store, name="Grocery")
    gifts = services.create_category(store=store, name="Clothes & gifts")
    products = [
        services.create_product(
            store=store,
            name=name,
            price=Decimal(price),
            compare_at_price=Decimal(price) + 50 if index % 2 else None,
            stock=0 if index == 4 else 20,
            category=gifts if "kurta" in name or "diya" in name else grocery,
            description="Fresh stock every week. Delivered to your door.",
            new_images=[png_upload(f"{index}.png", (480, 480), colour)],
        )
        for index, (name, price, colour) in enumerate(PRODUCTS)
    ]
    return store, products


def axe_problems(page, what: str) -> list[str]:
    """The serious and critical violations axe-core finds on the page, one line each."""
    page.evaluate(axe_source())  # run by DevTools, which the page's script-src does not govern
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{what}: {found['id']} ({found['impact']}): {found['help']} at "
        + ", ".join(str(node["target"]) for node in found["nodes"][:3])
        for found in result["violations"]
        if found["impact"] in BLOCKING
    ]


def test_every_theme_passes_axe_on_home_product_and_cart_and_is_photographed(live_server, page, shop):
    store, products = shop
    base = f"{live_server.url}/s/{store.slug}"
    desktop = page.context.browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-IN").new_page()
    page.goto(f"{base}/p/{products[0].pk}/")
    page.get_by_role("button", name="Add to cart").click()
    page.locator(".cartlink b").wait_for()  # back on the product, the cart counts it
    IMAGES.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for number, theme in enumerate(THEMES):
        services.update_store_theme(
            store=store,
            theme=theme,
            colour=COLOURS.get(theme, ""),
            announcement="Free delivery above ₹499 · Open 8 am to 9 pm",
            announcement_link=f"/s/{store.slug}/policies/shipping/",
            banner=banner_upload() if number == 0 else None,
        )
        run_pending()
        brand = COLOURS.get(theme, THEMES[theme].colour)
        for what, path in (("home", "/"), ("product", f"/p/{products[2].pk}/"), ("cart", "/cart/")):
            page.goto(base + path)
            # The page's stylesheet applied (its policy allowed it), in the store's colour.
            assert page.evaluate(BRAND) == brand, (theme, what)
            header = page.locator("header.bar").evaluate("el => getComputedStyle(el).backgroundColor")
            assert header == ("rgb(255, 255, 255)" if theme == "minimal" else rgb(brand)), (theme, what)
            assert page.locator("p.announce a").inner_text() == "Free delivery above ₹499 · Open 8 am to 9 pm"
            assert fits_the_phone(page), f"{theme} {what} is wider than the phone"
            problems += axe_problems(page, f"{theme} {what}")
        for name, shot in (("phone", page), ("desktop", desktop)):
            shot.goto(base + "/")
            shot.screenshot(path=IMAGES / f"theme-{theme}-{name}.png")
    assert not problems, "\n".join(problems)


def test_the_theme_pages_preview_follows_the_unsaved_form(live_server, page, shop):
    store, _ = shop
    log_in(page, live_server, store.owner)
    page.goto(f"{live_server.url}/dashboard/store/theme/")
    frame = page.frame_locator("#theme-preview")
    frame.locator("header.bar").wait_for()

    page.get_by_label("Kirana").check()
    page.get_by_label("Brand colour", exact=True).fill("#0b3d91")
    page.get_by_label("Announcement bar").fill("Preview only")

    bar = frame.locator("p.announce")
    bar.wait_for()
    assert bar.inner_text() == "Preview only"
    assert frame.locator("header.bar").evaluate("el => getComputedStyle(el).backgroundColor") == rgb(
        "#0b3d91"
    )
    assert frame.locator(".grid a").first.evaluate("el => getComputedStyle(el).position") == "relative"
    assert "theme=kirana" in page.locator("#theme-preview").get_attribute("src")
    page.screenshot(path=IMAGES / "theme-dashboard.png", full_page=True)
    assert not StoreTheme.objects.filter(store=store).exists()  # previewed, not saved
