"""Sample data: a fast bulk load of many small shops for benchmarks, and one demo store built by hand.

The bulk load writes rows with bulk_create, batch by batch, and announces each store with one
`catalog.imported` event so projections rebuild it. The demo store goes through the catalog
services like a merchant's own edits, so it exercises and emits exactly what real use does.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from dukaan.accounts.models import User
from dukaan.events.models import OutboxEvent
from dukaan.events.outbox import outbox_event

from . import images, services
from .models import Category, Product, ProductVariant, Store
from .rules import slug_problem
from .selectors import store_data

IMPORTED = "catalog.imported"
DEMO_SLUG = "demo"
DEMO_PHONE = "+919999999999"
PRODUCTS_PER_BATCH = (
    5_000  # rows per transaction: big enough to be fast, small enough to not hold the lock long
)


# --- Word lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    name: str
    items: tuple[str, ...]
    modifiers: tuple[str, ...]
    price_range: tuple[int, int]
    option: tuple[str, tuple[str, ...]] | None = None  # variant option name and its values, in order
    pattern: str = "{modifier} {item}"


@dataclass(frozen=True)
class StoreKind:
    suffixes: tuple[str, ...]
    categories: tuple[CategorySpec, ...]
    blurbs: tuple[str, ...] = field(default=())


COLOURS = ("Indigo", "Mustard", "Maroon", "Bottle Green", "Off-white", "Peach", "Navy", "Rani Pink")
SIZES = ("Size", ("S", "M", "L", "XL", "XXL"))
WEIGHTS = ("Weight", ("100 g", "250 g", "500 g", "1 kg"))
PHONES = ("Redmi Note 13", "Galaxy M34", "iPhone 15", "Vivo Y200", "Realme 12", "OnePlus Nord CE4")

KINDS = (
    StoreKind(
        suffixes=("Fashion", "Collections", "Boutique", "Saree Centre", "Creations"),
        categories=(
            CategorySpec(
                "Kurtas",
                ("Cotton Kurta", "Chikankari Kurta", "Linen Kurta", "Anarkali Kurti", "Pathani Kurta"),
                COLOURS,
                (399, 2499),
                SIZES,
            ),
            CategorySpec(
                "Sarees",
                (
                    "Banarasi Silk Saree",
                    "Cotton Saree",
                    "Kanjivaram Saree",
                    "Chiffon Saree",
                    "Bandhani Saree",
                ),
                COLOURS,
                (799, 8999),
            ),
            CategorySpec(
                "Dupattas", ("Phulkari Dupatta", "Bandhani Dupatta", "Chanderi Dupatta"), COLOURS, (299, 1299)
            ),
            CategorySpec(
                "Footwear",
                ("Kolhapuri Chappal", "Mojari", "Jutti", "Leather Sandal"),
                ("Tan", "Black", "Golden", "Brown"),
                (299, 1499),
                ("Size", ("6", "7", "8", "9", "10")),
            ),
            CategorySpec(
                "Jewellery",
                ("Oxidised Jhumka", "Kundan Necklace", "Glass Bangle Set", "Temple Earrings", "Anklet Pair"),
                ("Silver-tone", "Gold-plated", "Antique", "Pearl"),
                (149, 2999),
            ),
            CategorySpec(
                "Kids wear",
                ("Kurta Pyjama Set", "Lehenga Choli", "Frock", "Dhoti Kurta"),
                COLOURS,
                (349, 1499),
                ("Age", ("2-3 years", "4-5 years", "6-7 years")),
            ),
        ),
        blurbs=("Soft, breathable fabric.", "Hand-finished in our workshop.", "Free alteration on request."),
    ),
    StoreKind(
        suffixes=("Kirana Store", "General Stores", "Masala Bhandar", "Provisions", "Sweets & Namkeen"),
        categories=(
            CategorySpec(
                "Masalas",
                ("Garam Masala", "Sambar Powder", "Chai Masala", "Kashmiri Chilli Powder", "Goda Masala"),
                ("Homemade", "Stone-ground", "Organic", "Fresh"),
                (49, 449),
                WEIGHTS,
            ),
            CategorySpec(
                "Snacks",
                ("Bhakarwadi", "Chakli", "Banana Chips", "Khakhra", "Namkeen Mix", "Aloo Bhujia"),
                ("Crispy", "Homemade", "Spicy", "Classic"),
                (59, 299),
                WEIGHTS,
            ),
            CategorySpec(
                "Pickles",
                ("Mango Pickle", "Lemon Pickle", "Mixed Vegetable Pickle", "Garlic Pickle"),
                ("Andhra", "Punjabi", "Homemade", "Grandma's"),
                (99, 399),
            ),
            CategorySpec(
                "Sweets",
                ("Besan Ladoo", "Kaju Katli", "Mysore Pak", "Soan Papdi", "Peda"),
                ("Pure Ghee", "Festive", "Fresh", "Sugar-free"),
                (149, 899),
                WEIGHTS,
            ),
            CategorySpec(
                "Dry fruits",
                ("Almonds", "Cashews", "Raisins", "Pistachios", "Dates", "Anjeer"),
                ("Premium", "Jumbo", "Roasted", "Kashmiri"),
                (199, 1499),
                WEIGHTS,
            ),
            CategorySpec(
                "Tea & coffee",
                ("Assam Tea", "Darjeeling Tea", "Filter Coffee Powder", "Masala Chai Blend", "Green Tea"),
                ("Premium", "Estate", "Strong", "Classic"),
                (149, 799),
            ),
        ),
        blurbs=("Packed fresh every week.", "No preservatives.", "Made in small batches."),
    ),
    StoreKind(
        suffixes=("Mobile Point", "Mobile Care", "Telecom", "Electronics", "Mobile Zone"),
        categories=(
            CategorySpec(
                "Phone covers",
                ("Matte Black", "Transparent", "Printed Floral", "Leather Flip", "Shockproof"),
                PHONES,
                (99, 699),
                pattern="{item} Phone Cover for {modifier}",
            ),
            CategorySpec(
                "Chargers & cables",
                ("Type-C Cable", "33W Fast Charger", "Car Charger", "Lightning Cable", "Micro-USB Cable"),
                ("1 m", "2 m", "Braided", "Dual-port"),
                (99, 999),
                pattern="{item} ({modifier})",
            ),
            CategorySpec(
                "Earphones",
                ("Wired Earphones", "Bluetooth Neckband", "TWS Earbuds", "Headphones"),
                ("Bass Boost", "Sports", "Classic", "Pro"),
                (199, 2499),
                ("Colour", ("Black", "White", "Blue")),
                pattern="{item} {modifier}",
            ),
            CategorySpec(
                "Screen guards",
                ("Tempered Glass", "Privacy Screen Guard", "Camera Lens Protector"),
                PHONES,
                (49, 399),
                pattern="{item} for {modifier}",
            ),
            CategorySpec(
                "Power banks",
                ("10000 mAh Power Bank", "20000 mAh Power Bank", "Slim Power Bank"),
                ("Black", "White", "Blue"),
                (599, 1999),
            ),
            CategorySpec(
                "Smart watches",
                ("Smart Watch", "Fitness Band", "Smart Watch Strap"),
                ("Black", "Pink", "Grey"),
                (299, 3999),
            ),
        ),
        blurbs=("6 months' warranty.", "Original accessories, sealed box.", "Fitting free at our shop."),
    ),
    StoreKind(
        suffixes=("Handicrafts", "Emporium", "Art House", "Crafts", "Gift Gallery"),
        categories=(
            CategorySpec(
                "Home decor",
                ("Macramé Wall Hanging", "Block-print Cushion Cover", "Jute Table Runner", "Bamboo Lamp"),
                ("Handmade", "Boho", "Jaipuri", "Rustic"),
                (199, 1999),
            ),
            CategorySpec(
                "Brass & copper",
                ("Brass Diya", "Copper Water Bottle", "Brass Urli", "Copper Tumbler Set", "Pooja Thali"),
                ("Handcrafted", "Engraved", "Antique", "Classic"),
                (249, 2999),
            ),
            CategorySpec(
                "Paintings",
                ("Madhubani Painting", "Warli Painting", "Pattachitra", "Gond Art Print", "Kalamkari Panel"),
                ("Framed", "Unframed", "Canvas", "Hand-painted"),
                (499, 7999),
                ("Size", ("A4", "A3", "A2")),
                pattern="{item} ({modifier})",
            ),
            CategorySpec(
                "Textiles",
                ("Kantha Stitch Throw", "Dhurrie Rug", "Ikat Bedsheet", "Ajrakh Stole"),
                ("Indigo", "Rust", "Ivory", "Multicolour"),
                (399, 3999),
            ),
            CategorySpec(
                "Pottery",
                ("Terracotta Vase", "Khurja Ceramic Mug", "Blue Pottery Plate", "Clay Kulhad Set"),
                ("Hand-painted", "Glazed", "Rustic", "Classic"),
                (149, 1499),
            ),
            CategorySpec(
                "Gift hampers",
                ("Diwali Gift Hamper", "Rakhi Gift Box", "Return Gift Set"),
                ("Small", "Deluxe", "Premium"),
                (399, 2999),
                pattern="{item} ({modifier})",
            ),
        ),
        blurbs=(
            "Made by artisans we know by name.",
            "Each piece is a little different.",
            "Gift wrap on request.",
        ),
    ),
)

FIRST_NAMES = (
    "Asha", "Ramesh", "Sunita", "Imran", "Lakshmi", "Vikram", "Fatima", "Suresh", "Meena", "Arjun",
    "Kavita", "Joseph", "Harpreet", "Anil", "Priya", "Deepak", "Rekha", "Farhan", "Geeta", "Manoj",
)  # fmt: skip
SURNAMES = (
    "Sharma", "Gupta", "Patel", "Iyer", "Reddy", "Khan", "Das", "Nair", "Singh", "Joshi",
    "Mehta", "Banerjee", "Kulkarni", "Pillai", "Chauhan", "Agarwal", "Fernandes", "Bhatt",
)  # fmt: skip
HONORIFICS = ("Shree", "New", "Sri", "Jai", "Royal")
PATRONS = ("Laxmi", "Ganesh", "Balaji", "Annapurna", "Sai", "Krishna", "Durga", "Murugan")
CITIES = (
    "pune", "jaipur", "indore", "surat", "kochi", "lucknow", "nagpur", "mysuru",
    "vadodara", "guwahati", "bhopal", "madurai", "ludhiana", "nashik", "patna",
)  # fmt: skip
SHARED_BLURBS = (
    "Cash on delivery available.",
    "Ships across India in 3–5 days.",
    "Order on WhatsApp for bulk rates.",
)


# --- Events ---------------------------------------------------------------------------------------


# --- Unique values --------------------------------------------------------------------------------


def _claim(
    candidates: list[Iterator[str]], seen: set[str], taken: Callable[[list[str]], Iterable[str]]
) -> list[str]:
    """Pick, for each candidate stream, its first value not used in this run nor already in the DB.

    One query per round; a value found taken is remembered and that stream moves on to its next.
    """
    chosen = [""] * len(candidates)
    pending = list(range(len(candidates)))
    while pending:
        for index in pending:
            chosen[index] = next(value for value in candidates[index] if value not in seen)
            seen.add(chosen[index])
        clashes = set(taken([chosen[index] for index in pending]))
        pending = [index for index in pending if chosen[index] in clashes]
    return chosen


def _phones(rng: random.Random) -> Iterator[str]:
    while True:
        yield f"+91{rng.choice('789')}{rng.randrange(10**9):09d}"


def _slugs(name: str, rng: random.Random) -> Iterator[str]:
    base = slugify(name)[:30].strip("-")
    cities = list(CITIES)
    rng.shuffle(cities)
    for candidate in (base, *(f"{base}-{city}" for city in cities)):
        if slug_problem(candidate) is None:
            yield candidate
    while True:
        candidate = f"{base}-{rng.randrange(2, 100_000)}"
        if slug_problem(candidate) is None:
            yield candidate


def _existing_phones(phones: list[str]) -> Iterable[str]:
    return User.objects.filter(phone__in=phones).values_list("phone", flat=True)


def _existing_slugs(slugs: list[str]) -> Iterable[str]:
    return Store.objects.filter(slug__in=slugs).values_list("slug", flat=True)


# --- Bulk load ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedResult:
    stores: int
    products: int
    variants: int
    seconds: float


def _money(value: float) -> Decimal:
    """A shop's kind of price: whole rupees ending in 9 (or 5 under a hundred)."""
    rupees = int(value)
    rupees = rupees - rupees % 10 + 9 if rupees >= 100 else max(rupees - rupees % 5, 5)
    return Decimal(rupees).quantize(Decimal("0.01"))


def _stock(rng: random.Random) -> int | None:
    roll = rng.random()
    if roll < 0.15:
        return None  # unlimited
    if roll < 0.25:
        return 0
    return rng.choice((rng.randint(1, 10), rng.randint(10, 200)))


class _Loader:
    """Builds and writes one batch of stores at a time; holds what must stay unique across batches."""

    def __init__(self, *, products_per_store: int, rng: random.Random):
        self.products_per_store = products_per_store
        self.rng = rng
        self.seen_phones: set[str] = {DEMO_PHONE}
        self.seen_slugs: set[str] = {DEMO_SLUG}
        self.password = make_password(None)  # unusable: seeded merchants log in by OTP only
        self.variants = 0

    def _store_name(self, kind: StoreKind) -> tuple[str, str]:
        rng = self.rng
        owner = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        suffix = rng.choice(kind.suffixes)
        if rng.random() < 0.5:
            name = f"{owner.split()[1]} {suffix}"
        else:
            name = f"{rng.choice(HONORIFICS)} {rng.choice(PATRONS)} {suffix}"
        return owner, name

    def write_batch(self, count: int) -> None:
        rng = self.rng
        plans = [(kind, *self._store_name(kind)) for kind in (rng.choice(KINDS) for _ in range(count))]
        phones = _claim([_phones(rng)] * count, self.seen_phones, _existing_phones)
        slugs = _claim([_slugs(name, rng) for _kind, _owner, name in plans], self.seen_slugs, _existing_slugs)

        with transaction.atomic():
            owners = User.objects.bulk_create(
                User(phone=phone, name=owner, password=self.password)
                for phone, (_kind, owner, _name) in zip(phones, plans, strict=True)
            )
            stores = Store.objects.bulk_create(
                Store(owner=user, name=name, slug=slug, whatsapp=user.phone, currency="INR")
                for user, slug, (_kind, _owner, name) in zip(owners, slugs, plans, strict=True)
            )
            shelves = self._categories(stores, [kind for kind, _owner, _name in plans])
            products, options = self._products(stores, shelves, [kind for kind, _owner, _name in plans])
            self._variants(products, options)
            OutboxEvent.objects.bulk_create(
                outbox_event(
                    aggregatetype=services.CATALOG,
                    event_type=IMPORTED,
                    store_id=store.pk,
                    data={
                        "store": store_data(store),
                        "categories": len(shelves[store.pk]),
                        "products": self.products_per_store,
                        "source": "seed",
                    },
                )
                for store in stores
            )

    def _categories(
        self, stores: list[Store], kinds: list[StoreKind]
    ) -> dict[int, list[tuple[Category, CategorySpec]]]:
        picked = []
        for store, kind in zip(stores, kinds, strict=True):
            specs = self.rng.sample(kind.categories, self.rng.randint(3, min(6, len(kind.categories))))
            picked.extend((store, position, spec) for position, spec in enumerate(specs))
        rows = Category.objects.bulk_create(
            Category(store=store, name=spec.name, position=position) for store, position, spec in picked
        )
        shelves: dict[int, list[tuple[Category, CategorySpec]]] = {store.pk: [] for store in stores}
        for row, (store, _position, spec) in zip(rows, picked, strict=True):
            shelves[store.pk].append((row, spec))
        return shelves

    def _products(
        self,
        stores: list[Store],
        shelves: dict[int, list[tuple[Category, CategorySpec]]],
        kinds: list[StoreKind],
    ) -> tuple[list[Product], list[tuple[str, tuple[str, ...]] | None]]:
        rng = self.rng
        products: list[Product] = []
        options: list[tuple[str, tuple[str, ...]] | None] = []
        for store, kind in zip(stores, kinds, strict=True):
            blurbs = kind.blurbs + SHARED_BLURBS
            for index in range(1, self.products_per_store + 1):
                category, spec = rng.choice(shelves[store.pk])
                name = spec.pattern.format(item=rng.choice(spec.items), modifier=rng.choice(spec.modifiers))
                price = _money(rng.uniform(*spec.price_range))
                compare_at = _money(float(price) * rng.uniform(1.15, 1.6)) if rng.random() < 0.25 else None
                products.append(
                    Product(
                        store=store,
                        category=category,
                        name=name,
                        description=f"{name}. {rng.choice(blurbs)} {rng.choice(SHARED_BLURBS)}",
                        price=price,
                        compare_at_price=compare_at if compare_at and compare_at > price else None,
                        sku=f"{spec.name[:3].upper()}-{index:04d}" if rng.random() < 0.7 else "",
                        stock=_stock(rng),
                        is_active=rng.random() > 0.04,
                    )
                )
                options.append(spec.option if spec.option and rng.random() < 0.12 else None)
        return Product.objects.bulk_create(products), options

    def _variants(self, products: list[Product], options: list[tuple[str, tuple[str, ...]] | None]) -> None:
        rng = self.rng
        rows = []
        for product, option in zip(products, options, strict=True):
            if option is None:
                continue
            option_name, values = option
            start = rng.randrange(len(values) - 1)
            for position, value in enumerate(values[start : start + rng.randint(2, 3)]):
                rows.append(
                    ProductVariant(
                        store_id=product.store_id,
                        product=product,
                        options={option_name: value},
                        price=product.price + 20 * position * (1 + int(product.price) // 500),
                        sku=f"{product.sku}-{slugify(value).upper()}" if product.sku else "",
                        stock=_stock(rng),
                        position=position,
                    )
                )
        ProductVariant.objects.bulk_create(rows)
        self.variants += len(rows)


def seed_stores(
    *, stores: int, products: int, seed: int | None = None, on_progress: Callable[[int], None] | None = None
) -> SeedResult:
    """Bulk-load `stores` shops with `products` products each; one transaction per batch of stores.

    Phones and slugs already in the database are skipped, so repeated runs (even with the same
    seed) only ever add shops. `on_progress(n)` is told after each batch of n stores commits.
    """
    if stores < 1 or products < 1:
        raise ValueError("stores and products must be positive")
    started = time.perf_counter()
    loader = _Loader(products_per_store=products, rng=random.Random(seed))
    per_batch = max(1, min(200, PRODUCTS_PER_BATCH // products))
    done = 0
    while done < stores:
        count = min(per_batch, stores - done)
        loader.write_batch(count)
        done += count
        if on_progress:
            on_progress(count)
    return SeedResult(
        stores=stores,
        products=stores * products,
        variants=loader.variants,
        seconds=time.perf_counter() - started,
    )


# --- Demo store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoProduct:
    name: str
    category: str
    price: str
    colour: str
    description: str = ""
    compare_at: str | None = None
    stock: int | None = None
    is_active: bool = True
    variants: tuple[tuple[str, str, str], ...] = ()  # (option name, value, price)


DEMO_CATEGORIES = ("Masalas & pickles", "Snacks & sweets", "Handmade crafts", "Clothing")
DEMO_PRODUCTS = (
    DemoProduct(
        "Garam Masala",
        "Masalas & pickles",
        "90.00",
        "#b5542d",
        "Roasted and stone-ground at home from whole spices, every Sunday.",
        stock=40,
        variants=(("Weight", "100 g", "90.00"), ("Weight", "250 g", "199.00"), ("Weight", "500 g", "369.00")),
    ),
    DemoProduct(
        "Sambar Powder", "Masalas & pickles", "120.00", "#c9812b", "My mother's Udupi recipe.", stock=25
    ),
    DemoProduct(
        "Mango Pickle",
        "Masalas & pickles",
        "249.00",
        "#d9a521",
        "Raw mango in cold-pressed mustard oil. 500 g jar.",
        compare_at="299.00",
        stock=18,
    ),
    DemoProduct(
        "Lemon Pickle",
        "Masalas & pickles",
        "199.00",
        "#c7b72a",
        "Sweet and sour, sun-cured for a month.",
        stock=0,
    ),
    DemoProduct(
        "Besan Ladoo", "Snacks & sweets", "349.00", "#e0a43a", "Box of 12, made in pure ghee.", stock=12
    ),
    DemoProduct("Bhakarwadi", "Snacks & sweets", "140.00", "#9c5b2e", "Crisp Pune-style spirals, 250 g."),
    DemoProduct(
        "Banana Chips",
        "Snacks & sweets",
        "120.00",
        "#d6b43c",
        "Fried in coconut oil, Kerala style, 200 g.",
        compare_at="150.00",
    ),
    DemoProduct(
        "Diwali Gift Hamper",
        "Snacks & sweets",
        "999.00",
        "#8e2c48",
        "Ladoo, chakli and a brass diya in a jute bag. Back in October.",
        is_active=False,
    ),
    DemoProduct(
        "Hand-painted Diya Set",
        "Handmade crafts",
        "299.00",
        "#c24f1e",
        "Six terracotta diyas.",
        compare_at="399.00",
    ),
    DemoProduct(
        "Macramé Wall Hanging", "Handmade crafts", "899.00", "#8a7f6a", "Cotton cord, 60 cm.", stock=3
    ),
    DemoProduct(
        "Block-print Cotton Kurta",
        "Clothing",
        "799.00",
        "#2f5d8a",
        "Hand block-printed indigo cotton.",
        stock=20,
        variants=(
            ("Size", "S", "799.00"),
            ("Size", "M", "799.00"),
            ("Size", "L", "849.00"),
            ("Size", "XL", "849.00"),
        ),
    ),
    DemoProduct(
        "Embroidered Dupatta", "Clothing", "549.00", "#a33a6b", "Phulkari embroidery on chiffon.", stock=6
    ),
)


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.replace("-", " ").split()[:2]).upper()


def demo_photo(name: str, colour: str, size: int = 800) -> SimpleUploadedFile:
    """A square PNG: the product's initials in white on a solid colour, as a stand-in photo."""
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size * 2 // 5)
    text = _initials(name)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((size - right - left) / 2, (size - bottom - top) / 2), text, font=font, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile(f"{slugify(name)}.png", buffer.getvalue(), content_type="image/png")


def seed_demo() -> tuple[Store, bool]:
    """Create the demo merchant and store through the services; returns (store, created).

    Does nothing if a store with the demo slug exists. Raises ValidationError if the demo phone
    already owns another store.
    """
    existing = Store.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return existing, False
    written: list[str] = []
    try:
        with transaction.atomic():
            owner = User.objects.filter(phone=DEMO_PHONE).first() or User.objects.create_user(
                DEMO_PHONE, name="Demo Shopkeeper"
            )
            store = services.create_store(
                owner=owner,
                name="Asha's Kitchen & Crafts",
                slug=DEMO_SLUG,
                whatsapp=DEMO_PHONE,
                currency="INR",
                upi_id="ashas-kitchen@upi",
            )
            categories = {name: services.create_category(store=store, name=name) for name in DEMO_CATEGORIES}
            for item in DEMO_PRODUCTS:
                product = services.create_product(
                    store=store,
                    name=item.name,
                    description=item.description,
                    price=Decimal(item.price),
                    compare_at_price=Decimal(item.compare_at) if item.compare_at else None,
                    stock=item.stock,
                    category=categories[item.category],
                    is_active=item.is_active,
                    variants=[
                        services.VariantInput(options={option: value}, price=Decimal(price), stock=item.stock)
                        for option, value, price in item.variants
                    ],
                    new_images=[demo_photo(item.name, item.colour)],
                )
                written.extend(
                    path
                    for image in product.images.all()
                    for path in (image.original, image.small, image.large)
                )
    except BaseException:
        # The rows rolled back; their files would otherwise be orphans.
        images.delete_files(written)
        raise
    return store, True
