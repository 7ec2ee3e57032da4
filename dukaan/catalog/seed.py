"""Sample data: a fast bulk load of many shops for benchmarks, and one demo store built by hand.

The bulk load draws shops (`Planner`) with a skew of sizes (`store_sizes`), writes them batch by
batch (bulk_create here; COPY on PostgreSQL in bulk.py) and announces each store with one
`catalog.imported` event so projections rebuild it. The demo store goes through the catalog
services like a merchant's own edits, so it exercises and emits exactly what real use does.
"""

from __future__ import annotations

import dataclasses
import io
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Required, TypedDict, Unpack

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from dukaan.accounts.models import User
from dukaan.events.models import OutboxEvent
from dukaan.events.outbox import outbox_event

from . import images, services
from .events import CATALOG_IMPORTED, CatalogImported, StoreData
from .models import Category, Product, ProductImage, ProductVariant, Store
from .rules import slug_problem
from .selectors import store_data

DEMO_SLUG = "demo"
DEMO_PHONE = "+919999999999"

# What other apps add to the demo store (its delivery fee, a coupon), registered from their apps.py:
# the catalog comes below them and cannot call them itself.
_demo_steps: list[Callable[[Store], None]] = []


def add_demo_step(step: Callable[[Store], None]) -> None:
    _demo_steps.append(step)


PRODUCTS_PER_BATCH = (
    5_000  # rows per transaction: big enough to be fast, small enough to not hold the lock long
)
HUGE_STORE = 50_000  # the most products store_sizes gives one shop (unless the mean is larger)
PHOTO_SHARE = 0.85  # seeded products with a picture
POOL_COLOURS = ("#b5542d", "#2f5d8a", "#8e2c48", "#3f7d4e", "#c9812b", "#5b4a8a", "#a33a6b", "#2d7f86")


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
    images: int
    seconds: float


def _zipf_runs(k: float, stores: int, cap: int) -> list[tuple[int, int]]:
    """(size, how many shops) runs of sizes floor(k / rank + 0.5), clamped to 1..cap, rank 1..stores.

    Sizes only fall with the rank, so a run ends at the last rank that still rounds to its size:
    a few thousand runs for a million shops, which keeps the search for k in store_sizes cheap.
    """
    runs = []
    rank = 1
    while rank <= stores:
        size = min(cap, max(1, int(k / rank + 0.5)))
        last = stores if size == 1 else min(stores, max(rank, int(k / (size - 0.5))))
        runs.append((size, last - rank + 1))
        rank = last + 1
    return runs


def store_sizes(stores: int, mean: int, rng: random.Random) -> list[int]:
    """How many products each of `stores` shops gets: Zipf-like, adding up to exactly stores × mean.

    The shop of rank r gets round(K / r) products, at least 1 and at most HUGE_STORE (or the mean,
    if larger), with K the largest value whose total does not exceed stores × mean; what is left
    over goes one product each to the top ranks. Ranks are then shuffled with `rng`, so --seed
    repeats them. At 1,000,000 × 10: 83 shops of 10,000+ products (17 of 50,000), median 2, 85 %
    of shops with 1–5.
    """
    cap = max(HUGE_STORE, mean)
    total = stores * mean
    low, high = 0.0, float(total)
    for _ in range(60):  # bisection on K: the total only grows with it
        middle = (low + high) / 2
        if sum(size * count for size, count in _zipf_runs(middle, stores, cap)) <= total:
            low = middle
        else:
            high = middle
    sizes = [size for size, count in _zipf_runs(low, stores, cap) for size in [size] * count]
    rank = 0
    for _ in range(total - sum(sizes)):
        while sizes[rank] >= cap:
            rank += 1
        sizes[rank] += 1
        rank += 1
    rng.shuffle(sizes)
    return sizes


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


@dataclass(slots=True)
class VariantPlan:
    options: dict
    price: Decimal
    sku: str
    stock: int | None
    position: int


@dataclass(slots=True)
class ProductPlan:
    shelf: int  # index into the store's categories
    name: str
    description: str
    price: Decimal
    compare_at_price: Decimal | None
    sku: str
    stock: int | None
    is_active: bool
    photo: bool  # shown with its category's picture from the image pool
    variants: list[VariantPlan]


@dataclass(slots=True)
class StorePlan:
    """One shop to write: the same plan goes to bulk_create (SQLite) or COPY (PostgreSQL)."""

    owner: str
    phone: str
    name: str
    slug: str
    shelves: list[CategorySpec]
    products: list[ProductPlan]


class Planner:
    """Draws shops batch by batch; holds what must stay unique across batches."""

    def __init__(self, *, rng: random.Random):
        self.rng = rng
        self.seen_phones: set[str] = {DEMO_PHONE}
        self.seen_slugs: set[str] = {DEMO_SLUG}

    def _store_name(self, kind: StoreKind) -> tuple[str, str]:
        rng = self.rng
        owner = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        suffix = rng.choice(kind.suffixes)
        if rng.random() < 0.5:
            name = f"{owner.split()[1]} {suffix}"
        else:
            name = f"{rng.choice(HONORIFICS)} {rng.choice(PATRONS)} {suffix}"
        return owner, name

    def plan(self, sizes: list[int]) -> list[StorePlan]:
        """One shop per entry of `sizes`, with that many products; phones and slugs not yet taken."""
        rng = self.rng
        kinds = [rng.choice(KINDS) for _ in sizes]
        names = [self._store_name(kind) for kind in kinds]
        phones = _claim([_phones(rng)] * len(sizes), self.seen_phones, _existing_phones)
        slugs = _claim([_slugs(name, rng) for _owner, name in names], self.seen_slugs, _existing_slugs)
        plans = []
        for kind, (owner, name), phone, slug, size in zip(kinds, names, phones, slugs, sizes, strict=True):
            shelves = rng.sample(kind.categories, rng.randint(3, min(6, len(kind.categories))))
            blurbs = kind.blurbs + SHARED_BLURBS
            products = [self._product(shelves, blurbs, index) for index in range(1, size + 1)]
            plans.append(StorePlan(owner, phone, name, slug, shelves, products))
        return plans

    def _product(self, shelves: list[CategorySpec], blurbs: tuple[str, ...], index: int) -> ProductPlan:
        rng = self.rng
        shelf = rng.randrange(len(shelves))
        spec = shelves[shelf]
        name = spec.pattern.format(item=rng.choice(spec.items), modifier=rng.choice(spec.modifiers))
        price = _money(rng.uniform(*spec.price_range))
        compare_at = _money(float(price) * rng.uniform(1.15, 1.6)) if rng.random() < 0.25 else None
        sku = f"{spec.name[:3].upper()}-{index:04d}" if rng.random() < 0.7 else ""
        variants = []
        if spec.option and rng.random() < 0.12:
            option_name, values = spec.option
            start = rng.randrange(len(values) - 1)
            for position, value in enumerate(values[start : start + rng.randint(2, 3)]):
                variants.append(
                    VariantPlan(
                        options={option_name: value},
                        price=price + 20 * position * (1 + int(price) // 500),
                        sku=f"{sku}-{slugify(value).upper()}" if sku else "",
                        stock=_stock(rng),
                        position=position,
                    )
                )
        return ProductPlan(
            shelf=shelf,
            name=name,
            description=f"{name}. {rng.choice(blurbs)} {rng.choice(SHARED_BLURBS)}",
            price=price,
            compare_at_price=compare_at if compare_at and compare_at > price else None,
            sku=sku,
            stock=_stock(rng),
            is_active=rng.random() > 0.04,
            photo=rng.random() < PHOTO_SHARE,
            variants=variants,
        )


def image_pool() -> dict[str, images.StoredImage]:
    """One stored picture per category name (its initials on a colour), shared by the seeded
    products of that category: a million products, a few dozen files."""
    names = sorted({spec.name for kind in KINDS for spec in kind.categories})
    return {
        name: images.store_image(
            demo_photo(name, POOL_COLOURS[i % len(POOL_COLOURS)], 480),
            folder=images.SHARED_FOLDER.rstrip("/"),
        )
        for i, name in enumerate(names)
    }


def imported_event(store_id: int, plan: StorePlan, store: StoreData) -> OutboxEvent:
    return outbox_event(
        CATALOG_IMPORTED,
        store_id=store_id,
        data=CatalogImported(
            store=store,
            categories=len(plan.shelves),
            products=len(plan.products),
            source="seed",
        ),
    )


def batches(sizes: list[int], products_per_batch: int, stores_per_batch: int) -> Iterator[list[int]]:
    """Consecutive runs of `sizes` of about products_per_batch products (a huge shop alone)."""
    batch: list[int] = []
    products = 0
    for size in sizes:
        batch.append(size)
        products += size
        if products >= products_per_batch or len(batch) >= stores_per_batch:
            yield batch
            batch, products = [], 0
    if batch:
        yield batch


def _write_batch(plans: list[StorePlan], pool: dict[str, images.StoredImage], *, password: str, events: bool):
    """bulk_create one batch of planned shops in one transaction; returns (categories, variants, images)."""
    with transaction.atomic():
        owners = User.objects.bulk_create(
            User(phone=plan.phone, name=plan.owner, password=password) for plan in plans
        )
        stores = Store.objects.bulk_create(
            Store(owner=user, name=plan.name, slug=plan.slug, whatsapp=plan.phone, currency="INR")
            for user, plan in zip(owners, plans, strict=True)
        )
        categories = Category.objects.bulk_create(
            Category(store=store, name=spec.name, position=position)
            for store, plan in zip(stores, plans, strict=True)
            for position, spec in enumerate(plan.shelves)
        )
        shelves_of, start = [], 0
        for plan in plans:
            shelves_of.append(categories[start : start + len(plan.shelves)])
            start += len(plan.shelves)
        planned = [
            (store, shelves, product)
            for store, shelves, plan in zip(stores, shelves_of, plans, strict=True)
            for product in plan.products
        ]
        products = Product.objects.bulk_create(
            Product(
                store=store,
                category=shelves[product.shelf],
                name=product.name,
                description=product.description,
                price=product.price,
                compare_at_price=product.compare_at_price,
                sku=product.sku,
                stock=product.stock,
                is_active=product.is_active,
            )
            for store, shelves, product in planned
        )
        variants = ProductVariant.objects.bulk_create(
            ProductVariant(store=row.store, product=row, **dataclasses.asdict(variant))
            for row, (_store, _shelves, product) in zip(products, planned, strict=True)
            for variant in product.variants
        )
        photos = ProductImage.objects.bulk_create(
            ProductImage(
                store=row.store, product=row, **dataclasses.asdict(pool[shelves[product.shelf].name])
            )
            for row, (_store, shelves, product) in zip(products, planned, strict=True)
            if product.photo
        )
        if events:
            OutboxEvent.objects.bulk_create(
                imported_event(store.pk, plan, store_data(store))
                for store, plan in zip(stores, plans, strict=True)
            )
    return len(categories), len(variants), len(photos)


class LoadOptions(TypedDict, total=False):
    """What to load, as seed_stores and bulk.copy_stores take it (load_stores says the defaults)."""

    stores: Required[int]
    products: Required[int]
    seed: int | None
    events: bool
    on_progress: Callable[[int, int], None] | None


def seed_stores(**options: Unpack[LoadOptions]) -> SeedResult:
    """Bulk-load `stores` shops, `products` products each on average (see store_sizes), with
    bulk_create, one transaction per batch; with `events`, one `catalog.imported` event per shop.

    Phones and slugs already in the database are skipped, so repeated runs (even with the same
    seed) only ever add shops. `on_progress(stores, rows)` is told after each batch commits.
    """
    return load_stores(_write_batch, batch=(PRODUCTS_PER_BATCH, 200), **options)


def load_stores(
    write_batch: Callable[..., tuple[int, int, int]],
    *,
    batch: tuple[int, int],
    stores: int,
    products: int,
    seed: int | None = None,
    events: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Plan the shops and hand them to `write_batch` in batches of at most `batch` (products, shops);
    `write_batch(plans, pool, password=, events=)` returns the (categories, variants, images) it wrote."""
    if stores < 1 or products < 1:
        raise ValueError("stores and products must be positive")
    started = time.perf_counter()
    rng = random.Random(seed)
    planner = Planner(rng=rng)
    pool = image_pool()
    password = make_password(None)  # unusable: seeded merchants log in by OTP only
    variants = photos = 0
    for sizes in batches(store_sizes(stores, products, rng), *batch):
        plans = planner.plan(sizes)
        categories, batch_variants, batch_photos = write_batch(plans, pool, password=password, events=events)
        variants += batch_variants
        photos += batch_photos
        if on_progress:
            rows = 2 * len(plans) + categories + sum(sizes) + batch_variants + batch_photos
            on_progress(len(plans), rows)
    return SeedResult(
        stores=stores,
        products=stores * products,
        variants=variants,
        images=photos,
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
            for step in _demo_steps:
                step(store)
    except BaseException:
        # The rows rolled back; their files would otherwise be orphans.
        images.delete_files(written)
        raise
    return store, True
