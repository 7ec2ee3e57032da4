"""A generated catalog of Indian small-shop products and shopper queries whose relevance follows from it.

Everything is seeded, so the same code gives the same products, queries and labels on every machine.
Each product keeps the attributes it was made from (kind, brand, model, colour, material, style,
size, the phone an accessory fits); each query keeps the intent it was made from, and `grade()`
compares the two: Exact, Partial or Irrelevant, as in the WANDS product-search dataset, with gains
1, 0.5 and 0. No label is hand-picked.
The rules are written out in docs/benchmarks/search.md.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from dukaan.search.analysis import stem
from dukaan.search.backend import ProductDocument

SEED = 7
PRODUCTS_PER_STORE = 1_000
LABELLED_STORES = 10  # the stores the labelled queries are asked in: the 10k catalog
QUERIES_PER_KIND = 40
CATALOG_EPOCH = 1_735_689_600  # 2025-01-01 UTC; products were added over the year before the bench


# --- What products are made of --------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    key: str  # the word a shopper types for it, singular: "kurti", "pressure cooker"
    category: str
    words: tuple[str, ...]  # what shops call it in product names, one picked per product
    prices: tuple[int, int]  # rupees
    brands: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()  # fabric, metal, grain
    styles: tuple[str, ...] = ()  # pattern, variety, cut
    sizes: tuple[str, ...] = ()  # weight, volume, capacity, power
    audiences: tuple[str, ...] = ()  # "Men's", "Women's"
    notes: tuple[str, ...] = ()  # description sentences; {placeholders} are the product's attributes
    variant_labels: str = ""
    related: tuple[str, ...] = ()  # kinds a shopper asking for this one would also take (grade 1)
    fits_phones: bool = False  # an accessory made for one phone model
    plural: str = ""  # "kurtis"; empty when the key is already plural or has no natural plural
    devanagari: str = ""  # the word a shopkeeper writing Hindi uses in the name of one product in ten


PHONE_MODELS = {
    "Samsung": ("Galaxy M14", "Galaxy A15", "Galaxy F54", "Galaxy S23 FE"),
    "Redmi": ("Redmi Note 13", "Redmi 13C", "Redmi A3"),
    "Realme": ("Narzo 60", "Realme C55", "Realme 11 Pro"),
    "Vivo": ("Vivo Y28", "Vivo T2x", "Vivo V29"),
    "Oppo": ("Oppo A78", "Oppo Reno 10"),
    "OnePlus": ("Nord CE 3", "OnePlus Nord 3", "OnePlus 12R"),
    "Apple": ("iPhone 13", "iPhone 14", "iPhone 15"),
    "Motorola": ("Moto G54", "Moto Edge 40"),
    "Nokia": ("Nokia G42", "Nokia 105"),
}
CLOTHES_SIZES = "Size: S, M, L, XL, XXL"
SHOE_SIZES = "Size: UK 6, UK 7, UK 8, UK 9, UK 10"
BASIC_COLOURS = ("Black", "White", "Blue", "Navy Blue", "Grey", "Red", "Green")
BRIGHT_COLOURS = ("Red", "Maroon", "Pink", "Peach", "Yellow", "Mustard", "Green", "Blue", "Navy Blue")
BRIGHT_COLOURS += ("Purple", "Orange", "Black", "White", "Off White", "Beige")
HOME_COLOURS = ("White", "Beige", "Grey", "Blue", "Navy Blue", "Green", "Red", "Maroon", "Yellow", "Black")
WOOD_COLOURS = ("Brown", "Walnut", "Honey", "White", "Black")
HOME_STYLES = ("Coastal", "Rustic", "Modern", "Vintage")

KINDS = (
    # Phones and what goes with them
    Kind(
        "phone",
        "Mobiles",
        ("", "", "Smartphone", "Mobile Phone", "5G Smartphone"),
        (6_999, 79_999),
        brands=tuple(PHONE_MODELS),
        colours=("Black", "Blue", "Green", "Silver", "Purple", "Gold"),
        sizes=("64 GB", "128 GB", "256 GB"),
        notes=(
            "{brand} smartphone with a 6.6 inch display and 5000 mAh battery. 1 year brand warranty.",
            "Android mobile, dual SIM, fast charging. Box has charger and cable.",
            "Sealed pack, GST bill. Exchange offer on old mobiles.",
        ),
        plural="phones",
    ),
    Kind(
        "cover",
        "Mobile Accessories",
        ("Back Cover", "Back Case", "Silicone Cover", "Flip Cover"),
        (149, 599),
        colours=("Black", "Transparent", "Blue", "Red", "Pink", "Green"),
        notes=(
            "Shockproof cover made for the {fits}. Raised edges protect the camera.",
            "Soft silicone case, exact cutouts for the {fits}.",
        ),
        fits_phones=True,
        plural="covers",
    ),
    Kind(
        "screen guard",
        "Mobile Accessories",
        ("Tempered Glass", "Screen Guard", "Screen Protector"),
        (99, 399),
        notes=("9H hardness edge to edge tempered glass for the {fits}.", "Bubble-free guard for {fits}."),
        fits_phones=True,
        plural="screen guards",
    ),
    Kind(
        "charger",
        "Mobile Accessories",
        ("Fast Charger", "Charger", "Wall Adapter"),
        (299, 1_999),
        brands=("Samsung", "Realme", "OnePlus", "Ambrane", "Portronics", "Apple"),
        colours=("White", "Black"),
        sizes=("18W", "25W", "33W", "65W"),
        notes=(
            "Type-C fast charger, works with Samsung, Redmi, Realme, Vivo and Oppo phones.",
            "{brand} charger with cable. Safe charging for all mobiles.",
        ),
        related=("cable", "power bank"),
        plural="chargers",
    ),
    Kind(
        "cable",
        "Mobile Accessories",
        ("Data Cable", "Charging Cable", "USB Cable"),
        (99, 699),
        brands=("Ambrane", "Portronics", "boAt", "Samsung"),
        colours=("White", "Black", "Red"),
        styles=("Type-C", "Micro USB", "Lightning"),
        sizes=("1 m", "1.5 m", "2 m"),
        notes=("Braided cable for fast charging and data transfer.", "Tough cable, 10000+ bends tested."),
        related=("charger",),
        plural="cables",
    ),
    Kind(
        "earbuds",
        "Audio",
        ("TWS Earbuds", "Wireless Earbuds", "Bluetooth Earbuds"),
        (799, 4_999),
        brands=("boAt", "Noise", "Realme", "OnePlus", "JBL", "Boult"),
        colours=("Black", "White", "Blue", "Grey"),
        notes=(
            "Truly wireless buds with 40 hours playtime and ENC mic for calls.",
            "Bluetooth 5.3, low latency gaming mode, IPX5 sweat resistance.",
        ),
        related=("earphones", "headphones"),
    ),
    Kind(
        "earphones",
        "Audio",
        ("Wired Earphones", "Earphones", "Handsfree"),
        (199, 1_299),
        brands=("boAt", "JBL", "Sony", "Realme", "Boult"),
        colours=("Black", "White", "Red", "Blue"),
        notes=(
            "In-ear earphones with mic, 3.5 mm jack.",
            "Deep bass wired earphones with a tangle-free cable.",
        ),
        related=("earbuds", "headphones"),
    ),
    Kind(
        "headphones",
        "Audio",
        ("Bluetooth Headphones", "Wireless Headphones", "Over-Ear Headphones"),
        (999, 9_999),
        brands=("boAt", "JBL", "Sony", "Noise"),
        colours=("Black", "Blue", "White", "Grey"),
        notes=("Over-ear headphones, soft cushions, 30 hours battery.", "Foldable headphones with mic."),
        related=("earbuds", "earphones"),
    ),
    Kind(
        "power bank",
        "Mobile Accessories",
        ("Power Bank",),
        (699, 2_999),
        brands=("Mi", "Ambrane", "Portronics", "Realme", "boAt"),
        colours=("Black", "White", "Blue"),
        sizes=("10000 mAh", "20000 mAh"),
        notes=(
            "Carry extra charge for your phone, two USB ports.",
            "Slim power bank with 22.5W fast charging.",
        ),
        related=("charger",),
        plural="power banks",
    ),
    # Ethnic wear
    Kind(
        "kurti",
        "Women's Ethnic Wear",
        ("Kurti", "Kurti", "Straight Kurti", "A-Line Kurti"),
        (349, 1_999),
        devanagari="कुर्ती",
        brands=("Biba", "Aurelia", "Libas", "Rangriti", ""),
        colours=BRIGHT_COLOURS,
        materials=("Cotton", "Rayon", "Georgette", "Khadi", "Chanderi"),
        styles=("Printed", "Embroidered", "Plain", "Bandhani", "Block Print"),
        audiences=("Women's",),
        notes=(
            "{material} kurti for daily and office wear. Pair it with leggings and a dupatta.",
            "Soft {material_lower} fabric, {colour_lower} colour, hand wash.",
            "Jaipuri kurti, three-quarter sleeves, side slits.",
        ),
        variant_labels=CLOTHES_SIZES,
        related=("kurta",),
        plural="kurtis",
    ),
    Kind(
        "kurta",
        "Men's Ethnic Wear",
        ("Kurta", "Kurta", "Long Kurta", "Short Kurta"),
        (499, 2_999),
        devanagari="कुर्ता",
        brands=("Fabindia", "Manyavar", "Khadi India", ""),
        colours=("White", "Off White", "Cream", "Black", "Navy Blue", "Maroon", "Mustard", "Green", "Beige"),
        materials=("Cotton", "Linen", "Silk", "Khadi"),
        styles=("Plain", "Printed", "Chikankari", "Embroidered"),
        audiences=("Men's", "Women's"),
        notes=(
            "{material} kurta for festivals and weddings. Goes with pyjama or jeans.",
            "Regular fit {material_lower} kurta, full sleeves, mandarin collar.",
        ),
        variant_labels=CLOTHES_SIZES,
        related=("kurti",),
        plural="kurtas",
    ),
    Kind(
        "saree",
        "Sarees",
        ("Saree", "Saree", "Saree with Blouse Piece", "Sari"),
        (599, 14_999),
        devanagari="साड़ी",
        brands=("", "", "Nalli", "Mysore Silk"),
        colours=BRIGHT_COLOURS,
        materials=("Silk", "Cotton", "Georgette", "Chiffon", "Organza"),
        styles=("Banarasi", "Kanjivaram", "Chanderi", "Bandhani", "Printed", "Zari Work"),
        audiences=("Women's",),
        notes=(
            "{style} {material_lower} saree, 5.5 m with a 0.8 m blouse piece.",
            "Wedding and festival wear. Dry clean only.",
            "Handloom saree woven by artisans, {colour_lower} with a contrast border.",
        ),
        plural="sarees",
    ),
    Kind(
        "dupatta",
        "Women's Ethnic Wear",
        ("Dupatta", "Dupatta", "Stole"),
        (199, 1_499),
        devanagari="दुपट्टा",
        colours=BRIGHT_COLOURS,
        materials=("Cotton", "Chiffon", "Silk", "Georgette", "Net"),
        styles=("Plain", "Phulkari", "Bandhani", "Printed", "Gota Patti"),
        audiences=("Women's",),
        notes=(
            "{style} dupatta, 2.25 m, goes with any kurti.",
            "Light {material_lower} chunni for daily wear.",
        ),
        plural="dupattas",
    ),
    Kind(
        "leggings",
        "Women's Ethnic Wear",
        ("Leggings", "Churidar Leggings", "Ankle Leggings"),
        (199, 599),
        brands=("Lux Lyra", "Go Colors", "Twin Birds", ""),
        colours=BRIGHT_COLOURS,
        materials=("Cotton Lycra", "Viscose"),
        audiences=("Women's",),
        notes=("Stretchable leggings, wear with kurtis.", "Four-way stretch, does not fade."),
        variant_labels=CLOTHES_SIZES,
    ),
    # Footwear
    Kind(
        "slippers",
        "Footwear",
        ("Slippers", "Chappal", "Flip Flops", "Slippers"),
        (149, 999),
        devanagari="चप्पल",
        brands=("Bata", "Paragon", "Relaxo", "Sparx", "Khadim's"),
        colours=("Black", "Blue", "Grey", "Brown", "Pink", "Red", "Navy Blue"),
        audiences=("Men's", "Women's"),
        notes=("Soft rubber slippers for home and daily use.", "Anti-skid sole, light and washable."),
        variant_labels=SHOE_SIZES,
        related=("sandals",),
    ),
    Kind(
        "sandals",
        "Footwear",
        ("Sandals", "Floaters", "Sandals"),
        (399, 1_999),
        brands=("Bata", "Sparx", "Paragon", "Liberty", "Khadim's"),
        colours=("Black", "Brown", "Tan", "Grey", "Navy Blue"),
        audiences=("Men's", "Women's"),
        notes=("Comfortable sandals with a velcro strap.", "Cushioned footbed for all-day walking."),
        variant_labels=SHOE_SIZES,
        related=("slippers",),
    ),
    Kind(
        "shoes",
        "Footwear",
        ("Shoes", "Shoes", "Sneakers"),
        (499, 4_999),
        brands=("Bata", "Campus", "Sparx", "Liberty", "Red Tape", "Asian"),
        colours=("Black", "White", "Brown", "Tan", "Grey", "Navy Blue", "Red"),
        materials=("Leather", "Mesh", "Canvas", "Synthetic"),
        styles=("Formal", "Running", "Casual", "Sports", "Walking"),
        audiences=("Men's", "Women's"),
        notes=(
            "Lace-up shoes with a cushioned insole.",
            "Light {style_lower} shoes for school, office and gym.",
        ),
        variant_labels=SHOE_SIZES,
        related=("sandals",),
    ),
    Kind(
        "jutti",
        "Footwear",
        ("Jutti", "Mojari", "Punjabi Jutti"),
        (399, 1_499),
        colours=("Gold", "Maroon", "Black", "Pink", "Beige"),
        styles=("Embroidered", "Plain", "Mirror Work"),
        audiences=("Men's", "Women's"),
        notes=("Handmade {style_lower} jutti for weddings.", "Traditional footwear with a soft padded sole."),
        variant_labels=SHOE_SIZES,
        plural="juttis",
    ),
    # Groceries
    Kind(
        "atta",
        "Atta, Rice & Dal",
        ("Atta", "Atta", "Whole Wheat Atta", "Chakki Atta"),
        (55, 549),
        devanagari="आटा",
        brands=("Aashirvaad", "Pillsbury", "Fortune", "Patanjali"),
        styles=("Shudh Chakki", "Multigrain", "Select", "Sharbati"),
        sizes=("1 kg", "5 kg", "10 kg"),
        notes=("100% whole wheat flour, soft rotis every time.", "Gehun ka atta, stone ground, no maida."),
        related=("maida",),
    ),
    Kind(
        "maida",
        "Atta, Rice & Dal",
        ("Maida", "Refined Flour"),
        (40, 199),
        brands=("Pillsbury", "Fortune", "Rajdhani"),
        sizes=("500 g", "1 kg"),
        notes=("Fine maida for bhature, naan and baking.",),
        related=("atta",),
    ),
    Kind(
        "rice",
        "Atta, Rice & Dal",
        ("Rice", "Rice"),
        (80, 1_299),
        devanagari="चावल",
        brands=("India Gate", "Daawat", "Kohinoor", "Fortune", ""),
        styles=("Basmati", "Sona Masoori", "Kolam", "Brown", "Ponni"),
        sizes=("1 kg", "5 kg", "10 kg"),
        notes=("Long grain rice, aged for aroma.", "Everyday rice for biryani, pulao and plain chawal."),
    ),
    Kind(
        "dal",
        "Atta, Rice & Dal",
        ("Dal", "Dal"),
        (90, 399),
        devanagari="दाल",
        brands=("Tata Sampann", "Fortune", "24 Mantra", ""),
        styles=("Toor", "Moong", "Chana", "Masoor", "Urad"),
        sizes=("500 g", "1 kg"),
        notes=("Unpolished dal, rich in protein.", "Cleaned and sorted pulses, cooks fast."),
    ),
    Kind(
        "oil",
        "Oil & Ghee",
        ("Oil", "Oil", "Cooking Oil"),
        (120, 1_099),
        devanagari="तेल",
        brands=("Fortune", "Saffola", "Dhara", "Engine", "Gemini"),
        styles=("Sunflower", "Mustard", "Groundnut", "Rice Bran", "Soyabean"),
        sizes=("1 L", "2 L", "5 L"),
        notes=("Refined cooking oil, light on the stomach.", "Kachi ghani tel, strong aroma."),
        related=("ghee",),
    ),
    Kind(
        "ghee",
        "Oil & Ghee",
        ("Ghee", "Pure Ghee", "Desi Ghee", "Cow Ghee"),
        (299, 1_499),
        devanagari="घी",
        brands=("Amul", "Patanjali", "Gowardhan", "Nandini"),
        sizes=("500 ml", "1 L"),
        notes=("Made from fresh cream, rich danedar texture.", "Pure desi ghee for cooking and pooja."),
        related=("oil",),
    ),
    Kind(
        "sugar",
        "Staples",
        ("Sugar", "Sugar"),
        (45, 299),
        devanagari="चीनी",
        brands=("Madhur", "Dhampure", "Uttam", ""),
        styles=("", "Refined", "Sulphurless"),
        sizes=("1 kg", "5 kg"),
        notes=("Clean crystal sugar for chai and sweets.",),
    ),
    Kind(
        "salt",
        "Staples",
        ("Salt", "Iodised Salt"),
        (20, 99),
        devanagari="नमक",
        brands=("Tata", "Aashirvaad", "Catch"),
        styles=("", "Rock", "Black"),
        sizes=("1 kg",),
        notes=("Vacuum evaporated iodised namak.", "Free-flowing salt."),
    ),
    Kind(
        "tea",
        "Beverages",
        ("Tea", "Tea", "Chai Patti", "Leaf Tea"),
        (90, 599),
        devanagari="चाय पत्ती",
        brands=("Tata Tea", "Red Label", "Wagh Bakri", "Taj Mahal"),
        styles=("Premium", "Gold", "Masala", "Green"),
        sizes=("250 g", "500 g", "1 kg"),
        notes=("Strong, rich chai every morning.", "Assam leaves blended for kadak chai."),
    ),
    Kind(
        "masala",
        "Spices",
        ("Masala",),
        (40, 199),
        devanagari="मसाला",
        brands=("MDH", "Everest", "Catch", "Badshah"),
        styles=("Garam", "Chicken", "Chole", "Sambar", "Pav Bhaji", "Chaat", "Kitchen King"),
        sizes=("50 g", "100 g", "200 g"),
        notes=("Blend of whole spices, ground fresh.", "Adds taste to sabzi, dal and curries."),
        related=("turmeric", "chilli powder"),
    ),
    Kind(
        "turmeric",
        "Spices",
        ("Turmeric Powder", "Haldi Powder", "Turmeric Powder"),
        (30, 199),
        devanagari="हल्दी पाउडर",
        brands=("MDH", "Everest", "Catch", "Tata Sampann"),
        sizes=("100 g", "200 g", "500 g"),
        notes=("Bright yellow haldi with high curcumin.", "Pure turmeric, no added colour."),
        related=("masala",),
    ),
    Kind(
        "chilli powder",
        "Spices",
        ("Red Chilli Powder", "Chilli Powder", "Lal Mirch Powder"),
        (35, 249),
        devanagari="लाल मिर्च पाउडर",
        brands=("MDH", "Everest", "Catch", "Badshah"),
        styles=("", "Kashmiri"),
        sizes=("100 g", "200 g", "500 g"),
        notes=("Hot and bright red mirchi powder.",),
        related=("masala",),
    ),
    Kind(
        "biscuits",
        "Snacks",
        ("Biscuits", "Cookies"),
        (10, 199),
        brands=("Parle", "Britannia", "Sunfeast", "Unibic"),
        styles=("Glucose", "Marie", "Cream", "Butter", "Digestive"),
        sizes=("100 g", "250 g", "800 g"),
        notes=("Tea-time biscuits, family pack.",),
        related=("namkeen",),
    ),
    Kind(
        "namkeen",
        "Snacks",
        ("Namkeen", "Namkeen", "Mixture"),
        (20, 249),
        brands=("Haldiram's", "Bikaji", "Balaji"),
        styles=("Aloo Bhujia", "Moong Dal", "Khatta Meetha", "Navratan", "Bhujia Sev"),
        sizes=("200 g", "400 g", "1 kg"),
        notes=("Crunchy namkeen, made in Bikaner.", "Spicy snack for tea time."),
        related=("biscuits",),
    ),
    # Kitchenware
    Kind(
        "pressure cooker",
        "Kitchen",
        ("Pressure Cooker", "Pressure Cooker", "Cooker"),
        (899, 3_999),
        brands=("Prestige", "Hawkins", "Pigeon", "Butterfly"),
        materials=("Aluminium", "Stainless Steel", "Hard Anodised"),
        sizes=("2 L", "3 L", "5 L"),
        notes=("Inner lid cooker with a safety valve. Works on gas and induction.", "5 year warranty."),
        plural="pressure cookers",
    ),
    Kind(
        "kadai",
        "Kitchen",
        ("Kadai", "Kadhai", "Kadai"),
        (399, 1_999),
        brands=("Prestige", "Hawkins", "Pigeon", "Vinod"),
        materials=("Non-Stick", "Cast Iron", "Stainless Steel", "Aluminium"),
        sizes=("20 cm", "24 cm", "28 cm"),
        notes=("Deep kadai with a glass lid, for frying and sabzi.", "Even heating, easy to clean."),
        related=("tawa",),
        plural="kadais",
    ),
    Kind(
        "tawa",
        "Kitchen",
        ("Tawa", "Dosa Tawa", "Roti Tawa"),
        (299, 1_499),
        brands=("Prestige", "Hawkins", "Pigeon", "Vinod"),
        materials=("Non-Stick", "Cast Iron", "Iron"),
        sizes=("25 cm", "28 cm", "30 cm"),
        notes=("Flat tawa for roti, paratha and dosa.", "Heavy base, no warping."),
        related=("kadai",),
        plural="tawas",
    ),
    Kind(
        "tiffin",
        "Kitchen",
        ("Tiffin Box", "Lunch Box", "Tiffin"),
        (199, 1_299),
        brands=("Milton", "Cello", "Signoraware", "Borosil"),
        colours=("Blue", "Red", "Green", "Pink", "Grey", "Black"),
        materials=("Stainless Steel", "Plastic", "Insulated"),
        sizes=("2 Containers", "3 Containers", "4 Containers"),
        notes=("Leak-proof tiffin for office and school.", "Keeps food hot for hours, steel dabba inside."),
        related=("water bottle",),
        plural="tiffins",
    ),
    Kind(
        "water bottle",
        "Kitchen",
        ("Water Bottle", "Bottle", "Flask"),
        (149, 1_199),
        brands=("Milton", "Cello", "Borosil", "Signoraware"),
        colours=("Blue", "Black", "Silver", "Red", "Green", "Pink"),
        materials=("Stainless Steel", "Copper", "Plastic", "Glass"),
        sizes=("500 ml", "750 ml", "1 L"),
        notes=("Hot and cold for 24 hours.", "BPA-free bottle for school and gym."),
        related=("tiffin",),
        plural="water bottles",
    ),
    Kind(
        "mixer grinder",
        "Kitchen Appliances",
        ("Mixer Grinder", "Mixer Grinder", "Mixie"),
        (1_799, 6_999),
        brands=("Bajaj", "Philips", "Prestige", "Butterfly", "Preethi", "Sujata"),
        colours=("White", "Black", "Red", "Blue"),
        sizes=("500 W", "750 W", "1000 W"),
        notes=(
            "Three jars for chutney, wet grinding and dry masala.",
            "Powerful motor with overload protection.",
        ),
        plural="mixer grinders",
    ),
    # Home and furniture: several products a type, differing in colour, material and style, with
    # words one letter from each other's (bed/red, dining/living, wall/well, lamp/camp, marble/table).
    Kind(
        "sofa",
        "Furniture",
        ("Sofa", "3 Seater Sofa", "Sofa Set", "Loveseat Sofa"),
        (14_999, 89_999),
        brands=("Wakefit", "Durian", "Urban Ladder", ""),
        colours=HOME_COLOURS,
        materials=("Linen", "Velvet", "Cotton", "Leatherette"),
        styles=HOME_STYLES,
        notes=(
            "{style} {material_lower} sofa on solid wood legs. Goes well with our coffee tables.",
            "Seats three, high-density foam, {colour_lower} upholstery.",
            "Living room sofa with removable cushion covers.",
        ),
        related=("chair",),
        plural="sofas",
    ),
    Kind(
        "bed",
        "Furniture",
        ("Bed", "King Size Bed", "Queen Size Bed", "Double Bed"),
        (12_999, 69_999),
        brands=("Wakefit", "Durian", "Urban Ladder", ""),
        colours=WOOD_COLOURS,
        materials=("Teak", "Sheesham", "Engineered Wood", "Metal"),
        styles=HOME_STYLES,
        notes=(
            "Sturdy {material_lower} bed with box storage. Goes well with our bedside lamps.",
            "{style} bed, {colour_lower} finish, mattress not included.",
        ),
        plural="beds",
    ),
    Kind(
        "dining table",
        "Furniture",
        ("Dining Table", "4 Seater Dining Table", "6 Seater Dining Table", "Dining Table Set"),
        (9_999, 59_999),
        brands=("Durian", "Urban Ladder", "Nilkamal", ""),
        colours=WOOD_COLOURS,
        materials=("Teak", "Sheesham", "Marble", "Glass"),
        styles=HOME_STYLES,
        notes=(
            "{material} top dining table for family meals. Pairs well with our chairs.",
            "{style} dining table, {colour_lower} finish, easy to wipe clean.",
        ),
        plural="dining tables",
    ),
    Kind(
        "coffee table",
        "Furniture",
        ("Coffee Table", "Centre Table", "Living Room Table"),
        (2_999, 24_999),
        brands=("Durian", "Urban Ladder", "Nilkamal", ""),
        colours=WOOD_COLOURS,
        materials=("Teak", "Sheesham", "Marble", "Glass"),
        styles=HOME_STYLES,
        notes=(
            "Low {material_lower} table for the living room, with a shelf below.",
            "{style} centre table, {colour_lower} finish.",
        ),
        plural="coffee tables",
    ),
    Kind(
        "wall clock",
        "Home Decor",
        ("Wall Clock", "Wall Clock", "Pendulum Clock"),
        (499, 4_999),
        brands=("Ajanta", "Titan", "Random", ""),
        colours=HOME_COLOURS,
        materials=("Wooden", "Metal", "Plastic"),
        styles=HOME_STYLES,
        notes=("Silent sweep movement, no ticking.", "{style} clock, {colour_lower} dial, easy to hang."),
        plural="wall clocks",
    ),
    Kind(
        "table lamp",
        "Lighting",
        ("Table Lamp", "Bedside Lamp", "Desk Lamp"),
        (599, 5_999),
        brands=("Philips", "Wipro", "Homesake", ""),
        colours=HOME_COLOURS,
        materials=("Wooden", "Metal", "Ceramic", "Marble"),
        styles=HOME_STYLES,
        notes=(
            "Warm light for reading in bed. Bulb not included.",
            "{style} {material_lower} base with a fabric shade.",
        ),
        plural="table lamps",
    ),
    Kind(
        "chair",
        "Furniture",
        ("Chair", "Armchair", "Accent Chair", "Dining Chair"),
        (1_999, 19_999),
        brands=("Nilkamal", "Durian", "Urban Ladder", ""),
        colours=HOME_COLOURS,
        materials=("Teak", "Sheesham", "Velvet", "Cane"),
        styles=HOME_STYLES,
        notes=(
            "{style} chair with a cushioned seat. Pairs well with our dining tables.",
            "Comfortable {material_lower} chair for the living room or the balcony.",
        ),
        related=("sofa", "camp chair"),
        plural="chairs",
    ),
    Kind(
        "camp chair",
        "Outdoor",
        ("Camp Chair", "Folding Camp Chair"),
        (799, 2_999),
        brands=("Decathlon", "Wildcraft", ""),
        colours=("Black", "Green", "Blue", "Grey"),
        materials=("Metal", "Aluminium"),
        notes=("Folds flat, carry it to a camp or a picnic. Cup holder in the arm.",),
        related=("chair",),
        plural="camp chairs",
    ),
    Kind(
        "curtain",
        "Home Furnishing",
        ("Curtain", "Door Curtain", "Window Curtain", "Curtains"),
        (399, 2_999),
        brands=("D'Decor", "Spaces", "Home Centre", ""),
        colours=HOME_COLOURS,
        materials=("Linen", "Velvet", "Cotton", "Polyester"),
        styles=HOME_STYLES,
        sizes=("5 ft", "7 ft", "9 ft"),
        notes=(
            "Blackout {material_lower} curtain for the bedroom and the living room.",
            "{style} curtain, goes well with our sofas and bedsheets.",
        ),
        plural="curtains",
    ),
    Kind(
        "bedsheet",
        "Home Furnishing",
        ("Bedsheet", "Double Bedsheet", "Bedsheet with Pillow Covers"),
        (399, 2_499),
        brands=("Bombay Dyeing", "Spaces", "D'Decor", ""),
        colours=HOME_COLOURS,
        materials=("Cotton", "Linen", "Microfibre"),
        styles=("Floral", "Jaipuri", "Modern", "Vintage"),
        notes=(
            "{material} bedsheet for a double bed, with two pillow covers.",
            "{style} print, {colour_lower}, does not fade in the wash.",
        ),
        plural="bedsheets",
    ),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}

# What each kind of shop sells; stores take these in turn, so every sixth store is alike.
STORE_PROFILES = (
    ("mobile shop", ("phone", "cover", "screen guard", "charger", "cable", "earbuds", "earphones",
                     "headphones", "power bank")),
    ("fashion", ("kurti", "kurta", "saree", "dupatta", "leggings", "slippers", "sandals", "shoes", "jutti")),
    ("kirana", ("atta", "maida", "rice", "dal", "oil", "ghee", "sugar", "salt", "tea", "masala",
                "turmeric", "chilli powder", "biscuits", "namkeen")),
    ("kitchen", ("pressure cooker", "kadai", "tawa", "tiffin", "water bottle", "mixer grinder")),
    ("home", ("sofa", "bed", "dining table", "coffee table", "wall clock", "table lamp", "chair",
              "camp chair", "curtain", "bedsheet")),
    ("bazaar", tuple(kind.key for kind in KINDS)),
)  # fmt: skip

COLOUR_FAMILIES = (
    ("Red", "Maroon"),
    ("Blue", "Navy Blue"),
    ("Green",),
    ("Yellow", "Mustard", "Gold", "Honey"),
    ("Pink", "Peach"),
    ("White", "Off White", "Cream", "Beige", "Transparent"),
    ("Black",),
    ("Grey", "Silver"),
    ("Brown", "Tan", "Walnut"),
    ("Purple",),
    ("Orange",),
)
COLOUR_FAMILY = {colour: family for family in COLOUR_FAMILIES for colour in family}


@dataclass(frozen=True)
class Product:
    """One generated product: its document and the attributes it was made from."""

    document: ProductDocument
    kind: str
    brand: str = ""
    model: str = ""  # phones: "Galaxy M14"
    fits: tuple[str, str] = ("", "")  # accessories: the (brand, model) of the phone it fits
    colour: str = ""
    material: str = ""
    style: str = ""
    size: str = ""
    audience: str = ""


@dataclass(frozen=True)
class Store:
    id: int
    name: str
    profile: str
    products: list[Product]

    def documents(self) -> list[ProductDocument]:
        return [product.document for product in self.products]


def phone_name(brand: str, model: str) -> str:
    """How shops write a phone: "Samsung Galaxy M14", "Apple iPhone 15", but "Redmi Note 13" alone."""
    return model if model.split()[0] == brand else f"{brand} {model}"


def make_product(rng: random.Random, kind: Kind, product_id: int, store_id: int, category_id: int) -> Product:
    def pick(options: tuple[str, ...]) -> str:
        return rng.choice(options) if options else ""

    word = pick(kind.words)
    if kind.devanagari and product_id % 10 == 0:  # by id, not rng: the other products stay as they were
        word = kind.devanagari
    attributes = dict(
        brand=pick(kind.brands),
        colour=pick(kind.colours),
        material=pick(kind.materials),
        style=pick(kind.styles),
        size=pick(kind.sizes),
        audience=pick(kind.audiences),
    )
    model, fits = "", ("", "")
    if kind.key == "phone":
        model = rng.choice(PHONE_MODELS[attributes["brand"]])
        fives = " 5G" if "5G" not in word and rng.random() < 0.4 else ""
        name = f"{phone_name(attributes['brand'], model)}{fives} {word}".strip()
        name += f" ({attributes['colour']}, {attributes['size']})"
    elif kind.fits_phones:
        fits = (fit_brand := rng.choice(tuple(PHONE_MODELS)), rng.choice(PHONE_MODELS[fit_brand]))
        name = f"{word} for {phone_name(*fits)}"
        if attributes["colour"]:
            name += f" ({attributes['colour']})"
    else:
        parts = [attributes[part] for part in ("brand", "audience", "style", "material")] + [word]
        name = " ".join(part for part in parts if part)
        if attributes["size"]:
            name += f" {attributes['size']}"
        if attributes["colour"]:
            name += f" ({attributes['colour']})"
    fill = {key: value for key, value in attributes.items()}
    fill |= {f"{key}_lower": value.lower() for key, value in attributes.items()}
    fill["fits"] = phone_name(*fits) if kind.fits_phones else ""
    description = rng.choice(kind.notes).format(**fill) if kind.notes else ""
    low, high = kind.prices
    rupees = rng.randint(low, high)
    price = Decimal(rupees - rupees % 10 + 9 if rupees > 100 else rupees)
    document = ProductDocument(
        id=product_id,
        store_id=store_id,
        version=1,
        name=name,
        description=description,
        category_id=category_id,
        category_name=kind.category,
        price=price,
        in_stock=rng.random() < 0.9,
        created_at=float(CATALOG_EPOCH - rng.randint(0, 365 * 86_400)),
        variant_labels=kind.variant_labels,
    )
    return Product(document=document, kind=kind.key, model=model, fits=fits, **attributes)


def make_store(number: int) -> Store:
    """Store `number` (from 0): the same products whatever else is generated."""
    rng = random.Random(f"{SEED}-store-{number}")
    profile, kind_keys = STORE_PROFILES[number % len(STORE_PROFILES)]
    store_id = number + 1
    kinds = [KINDS_BY_KEY[key] for key in kind_keys]
    categories = sorted({kind.category for kind in kinds})
    category_ids = {name: store_id * 100 + index for index, name in enumerate(categories)}
    first_id = number * PRODUCTS_PER_STORE + 1
    products = []
    for offset in range(PRODUCTS_PER_STORE):
        kind = kinds[offset % len(kinds)] if offset < len(kinds) else rng.choice(kinds)
        products.append(make_product(rng, kind, first_id + offset, store_id, category_ids[kind.category]))
    return Store(id=store_id, name=f"{profile.title()} {number + 1}", profile=profile, products=products)


def stores(count: int) -> Iterator[Store]:
    for number in range(count):
        yield make_store(number)


# --- What shoppers ask for ------------------------------------------------------------------------


@dataclass(frozen=True)
class Intent:
    """What a query means, in the products' own attributes; empty fields ask for nothing."""

    kinds: tuple[str, ...] = ()
    brand: str = ""
    model: str = ""  # a phone model or the start of one: "iPhone" is every iPhone
    colour: str = ""
    material: str = ""
    style: str = ""
    size: str = ""
    audience: str = ""


ATTRIBUTES = ("brand", "colour", "material", "style", "size", "audience")


def matches_model(asked: str, model: str) -> bool:
    return bool(model) and (model == asked or model.startswith(asked + " "))


def matches_brand(asked: str, brand: str) -> bool:
    """A brand and its sub-brands: "Tata" is Tata, Tata Tea and Tata Sampann."""
    return bool(brand) and (brand == asked or brand.startswith(asked + " "))


EXACT, PARTIAL, IRRELEVANT = 1.0, 0.5, 0.0  # the WANDS labels, as gains


def near(name: str, asked: str, value: str) -> bool:
    """Another size, or a colour of the same family (maroon for red), stands in for what was asked."""
    if name == "size":
        return bool(value)
    return name == "colour" and COLOUR_FAMILY.get(value, ()) == COLOUR_FAMILY[asked]


def grade(intent: Intent, product: Product) -> float:
    """EXACT, PARTIAL or IRRELEVANT (the rules are in docs/benchmarks/search.md)."""
    if intent.model:
        if matches_model(intent.model, product.model):
            return EXACT
        return PARTIAL if matches_model(intent.model, product.fits[1]) else IRRELEVANT
    if not intent.kinds:  # a brand alone
        if matches_brand(intent.brand, product.brand):
            return EXACT
        return PARTIAL if matches_brand(intent.brand, product.fits[0]) else IRRELEVANT
    related = {other for kind in intent.kinds for other in KINDS_BY_KEY[kind].related}
    asked = {name: value for name in ATTRIBUTES if (value := getattr(intent, name))}
    exact = {
        name: matches_brand(value, product.brand) if name == "brand" else getattr(product, name) == value
        for name, value in asked.items()
    }
    if product.kind not in intent.kinds:
        return PARTIAL if product.kind in related and all(exact.values()) else IRRELEVANT
    if all(exact.values()):
        return EXACT
    # The right kind with some of what was asked: at least one attribute, or a near one.
    if any(ok or near(name, asked[name], getattr(product, name)) for name, ok in exact.items()):
        return PARTIAL
    return IRRELEVANT


QUERY_KINDS = (
    "type",
    "plural",
    "brand",
    "brand type",
    "model",
    "colour type",
    "attribute type",
    "multi attribute",
    "near word",
    "size",
    "synonym",
    "hindi",
    "devanagari",
    "partial",
)


@dataclass(frozen=True)
class Query:
    text: str
    kind: str  # one of QUERY_KINDS
    intent: Intent
    store_id: int
    grades: dict[int, float] = field(default_factory=dict)  # product id -> EXACT or PARTIAL
    typo_of: str = ""  # the clean query's text when this is its typo variant


# Hindi (and Hinglish) words shoppers type, with what they mean in the catalog's attributes.
HINDI_WORDS = {
    "chawal": Intent(kinds=("rice",)),
    "basmati chawal": Intent(kinds=("rice",), style="Basmati"),
    "cheeni": Intent(kinds=("sugar",)),
    "namak": Intent(kinds=("salt",)),
    "chai patti": Intent(kinds=("tea",)),
    "sarson tel": Intent(kinds=("oil",), style="Mustard"),
    "gehun atta": Intent(kinds=("atta",)),
    "haldi": Intent(kinds=("turmeric",)),
    "lal mirch": Intent(kinds=("chilli powder",)),
    "arhar dal": Intent(kinds=("dal",), style="Toor"),
    "desi ghee": Intent(kinds=("ghee",)),
    "joote": Intent(kinds=("shoes",)),
    "chappal": Intent(kinds=("slippers",)),
    "kadhai": Intent(kinds=("kadai",)),
    "dabba": Intent(kinds=("tiffin",)),
    "lal saree": Intent(kinds=("saree",), colour="Red"),
    "peeli saree": Intent(kinds=("saree",), colour="Yellow"),
    "safed kurta": Intent(kinds=("kurta",), colour="White"),
    "kala kurta": Intent(kinds=("kurta",), colour="Black"),
    "neela kurta": Intent(kinds=("kurta",), colour="Blue"),
    "hara dupatta": Intent(kinds=("dupatta",), colour="Green"),
    "gulabi kurti": Intent(kinds=("kurti",), colour="Pink"),
    "resham saree": Intent(kinds=("saree",), material="Silk"),
    "sooti kurti": Intent(kinds=("kurti",), material="Cotton"),
    "chunni": Intent(kinds=("dupatta",)),
}


# Hindi words in Devanagari script, as a shopper with a Hindi keyboard types them.
DEVANAGARI_WORDS = {
    "साड़ी": Intent(kinds=("saree",)),
    "कुर्ता": Intent(kinds=("kurta",)),
    "कुर्ती": Intent(kinds=("kurti",)),
    "दुपट्टा": Intent(kinds=("dupatta",)),
    "चप्पल": Intent(kinds=("slippers",)),
    "जूते": Intent(kinds=("shoes",)),
    "लाल साड़ी": Intent(kinds=("saree",), colour="Red"),
    "रेशमी साड़ी": Intent(kinds=("saree",), material="Silk"),
    "सफ़ेद कुर्ता": Intent(kinds=("kurta",), colour="White"),
    "काला कुर्ता": Intent(kinds=("kurta",), colour="Black"),
    "गुलाबी कुर्ती": Intent(kinds=("kurti",), colour="Pink"),
    "चावल": Intent(kinds=("rice",)),
    "बासमती चावल": Intent(kinds=("rice",), style="Basmati"),
    "हल्दी": Intent(kinds=("turmeric",)),
    "चीनी": Intent(kinds=("sugar",)),
    "मसाला": Intent(kinds=("masala",)),
    "गरम मसाला": Intent(kinds=("masala",), style="Garam"),
    "सरसों तेल": Intent(kinds=("oil",), style="Mustard"),
    "लाल मिर्च": Intent(kinds=("chilli powder",)),
    "देसी घी": Intent(kinds=("ghee",)),
    "कढ़ाई": Intent(kinds=("kadai",)),
    "टिफ़िन": Intent(kinds=("tiffin",)),
    "पलंग": Intent(kinds=("bed",)),
    "सोफ़ा": Intent(kinds=("sofa",)),
    "कुर्सी": Intent(kinds=("chair",)),
    "पर्दा": Intent(kinds=("curtain",)),
    "चादर": Intent(kinds=("bedsheet",)),
    "दीवार घड़ी": Intent(kinds=("wall clock",)),
}

# Queries whose words are one or two letters from other words of the catalog (bed/red, dining/living,
# wall/well, lamp/camp, marble/table): a typo rule that matches real words to real words fails them.
NEAR_WORDS = {
    "teak bed": Intent(kinds=("bed",), material="Teak"),
    "red bedsheet": Intent(kinds=("bedsheet",), colour="Red"),
    "red curtain": Intent(kinds=("curtain",), colour="Red"),
    "dining table": Intent(kinds=("dining table",)),
    "teak dining table": Intent(kinds=("dining table",), material="Teak"),
    "living room table": Intent(kinds=("coffee table",)),
    "wall clock": Intent(kinds=("wall clock",)),
    "table lamp": Intent(kinds=("table lamp",)),
    "lamp": Intent(kinds=("table lamp",)),
    "camp chair": Intent(kinds=("camp chair",)),
    "marble table": Intent(kinds=("dining table", "coffee table"), material="Marble"),
    "marble coffee table": Intent(kinds=("coffee table",), material="Marble"),
}

AUDIENCE_WORDS = {"ladies": "Women's", "gents": "Men's"}


def kinds_meant(key: str, synonym_groups) -> tuple[str, ...]:
    """The kind and every kind the shipped synonym list makes it mean ("kurta" is "kurti" too)."""

    def stems(kind_key: str) -> set[str]:
        return {stem(word) for word in kind_key.split()[:1]}

    meant = [key]
    for group in synonym_groups:
        group_stems = {stem(word) for word in group}
        if stems(key) & group_stems:
            meant += [other.key for other in KINDS if other.key != key and stems(other.key) & group_stems]
    return tuple(meant)


def kinds_meant_all(keys: tuple[str, ...], synonym_groups) -> tuple[str, ...]:
    return tuple(dict.fromkeys(meant for key in keys for meant in kinds_meant(key, synonym_groups)))


def multi_attribute(kind: Kind, kinds: tuple[str, ...], rng: random.Random) -> list[tuple[str, Intent]]:
    """Three queries of each of colour + material + type, style + material + type and style + colour +
    material + type, the attributes picked at random: many name a combination the store does not
    have, which only its Partial products answer."""
    made = []
    for names in (("colour", "material"), ("style", "material"), ("style", "colour", "material")):
        options = {name: getattr(kind, f"{name}s") for name in names}
        if all(options.values()):
            for _ in range(3):
                picked = {name: rng.choice(values) for name, values in options.items()}
                words = [picked[name] for name in ("style", "colour", "material") if name in picked]
                made.append((" ".join([*words, kind.key]), Intent(kinds=kinds, **picked)))
    return made


def plan_queries(synonym_groups) -> list[tuple[str, str, Intent, str]]:
    """Every query as (text, kind, intent, the kind of store it is asked in), before labelling.

    synonym_groups is the shipped synonym list (analysis.GLOBAL_SYNONYMS). Kinds whose words it
    makes synonyms ("kurta", "kurti") are asked for together, and a "synonym" query is another word
    of a group that holds a kind's own word, so the labels agree with what ships.
    """
    planned: list[tuple[str, str, Intent, str]] = []

    def add(text: str, kind: str, intent: Intent) -> None:
        profile = next(name for name, keys in STORE_PROFILES if set(intent.kinds) <= set(keys))
        planned.append((text.lower(), kind, intent, profile))

    for text, intent in NEAR_WORDS.items():
        add(text, "near word", replace(intent, kinds=kinds_meant_all(intent.kinds, synonym_groups)))
    for kind in KINDS:
        kinds = kinds_meant(kind.key, synonym_groups)
        add(kind.key, "type", Intent(kinds=kinds))
        if kind.plural:
            add(kind.plural, "plural", Intent(kinds=kinds))
        for brand in kind.brands[:2]:
            if len(brand) >= 4 and kind.key not in brand.lower():
                add(f"{brand} {kind.key}", "brand type", Intent(kinds=kinds, brand=brand))
        for colour in kind.colours[:3]:
            add(f"{colour} {kind.key}", "colour type", Intent(kinds=kinds, colour=colour))
        for material in kind.materials[:2]:
            add(f"{material} {kind.key}", "attribute type", Intent(kinds=kinds, material=material))
        for style in [style for style in kind.styles if style][:2]:
            add(f"{style} {kind.key}", "attribute type", Intent(kinds=kinds, style=style))
        if len(kind.sizes) > 1 and not kind.colours:
            add(f"{kind.key} {kind.sizes[-1]}", "size", Intent(kinds=kinds, size=kind.sizes[-1]))
        for word, audience in AUDIENCE_WORDS.items():
            if len(kind.audiences) > 1:
                add(f"{word} {kind.key}", "synonym", Intent(kinds=kinds, audience=audience))

    brands = dict.fromkeys(brand for kind in KINDS for brand in kind.brands if len(brand) >= 4)
    for brand in brands:
        planned.append((brand.lower(), "brand", Intent(brand=brand), "bazaar"))
    for brand, models in PHONE_MODELS.items():
        for model in models[:2]:
            planned.append((model.lower(), "model", Intent(model=model), "mobile shop"))
        if brand == "Apple":
            planned.append(("iphone", "model", Intent(model="iPhone"), "mobile shop"))

    rng = random.Random(f"{SEED}-queries")
    for kind in KINDS:
        kinds = kinds_meant(kind.key, synonym_groups)
        for text, intent in multi_attribute(kind, kinds, rng):
            add(text, "multi attribute", intent)
    for table, query_kind in ((HINDI_WORDS, "hindi"), (DEVANAGARI_WORDS, "devanagari")):
        for text, intent in table.items():
            add(text, query_kind, replace(intent, kinds=kinds_meant_all(intent.kinds, synonym_groups)))
    for kind in KINDS:
        own = {word.lower() for word in kind.key.split()}
        for group in synonym_groups:
            if own & set(group) or kind.key.rstrip("s") in group:
                for word in group:
                    if word not in own and word != kind.key.rstrip("s"):
                        add(word, "synonym", Intent(kinds=kinds_meant(kind.key, synonym_groups)))

    for text, kind, intent, profile in list(planned):
        if kind in ("brand", "type", "model") and len(last := text.split()[-1]) >= 5:
            typed = text[: len(text) - len(last)] + last[: max(4, round(len(last) * 0.6))]
            if typed != text:
                planned.append((typed, "partial", intent, profile))
    # The same text twice (a Hindi word that is also a shipped synonym) counts once, as the first.
    unique = {}
    for entry in planned:
        if any(len(word) >= 4 for word in entry[0].split()):  # a typo variant needs such a word
            unique.setdefault(entry[0], entry)
    by_kind: dict[str, list] = {}
    for entry in unique.values():
        by_kind.setdefault(entry[1], []).append(entry)
    # At most QUERIES_PER_KIND of a kind, spread over the kind's list, so no kind outweighs the rest.
    return [
        entry
        for entries in by_kind.values()
        for entry in entries[:: max(1, math.ceil(len(entries) / QUERIES_PER_KIND))]
    ]


def labelled_queries(store_list: list[Store], synonym_groups) -> list[Query]:
    """The planned queries, each asked in a store of the right kind, with their graded products.

    A query with no Exact or Partial product in its store is left out: it would measure nothing. One
    with Partial products only stays: a strict search that finds nothing for it leaves a shopper
    empty-handed although the store has something close.
    """
    by_profile: dict[str, list[Store]] = {}
    for store in store_list:
        by_profile.setdefault(store.profile, []).append(store)
    queries = []
    for number, (text, kind, intent, profile) in enumerate(plan_queries(synonym_groups)):
        candidates = (
            by_profile[profile] + by_profile["bazaar"] if profile != "bazaar" else by_profile[profile]
        )
        store = candidates[number % len(candidates)]
        grades = {product.document.id: g for product in store.products if (g := grade(intent, product))}
        if grades:
            queries.append(Query(text, kind, intent, store.id, grades))
    return queries


# --- Typos ----------------------------------------------------------------------------------------

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def neighbours(letter: str) -> str:
    """The keys left and right of a letter on a QWERTY keyboard."""
    for row in KEYBOARD_ROWS:
        if letter in row:
            at = row.index(letter)
            return row[max(0, at - 1) : at] + row[at + 1 : at + 2]
    return ""


def typo(text: str) -> str:
    """One slip of the finger, the same for the same text: a dropped, doubled, swapped or replaced
    letter, in a word of 4+ letters, never its first letter. Devanagari has no QWERTY neighbours: a
    letter or sign of it is dropped, doubled or swapped (साडी for साड़ी)."""
    rng = random.Random(zlib.crc32(text.encode()))
    words = text.split()
    long_words = [index for index, word in enumerate(words) if len(word) >= 4 and word.isalpha()]
    long_words = long_words or [index for index, word in enumerate(words) if len(word) >= 4]
    at_word = rng.choice(long_words)
    word = words[at_word]
    while True:
        slip = rng.choice(
            ("drop", "double", "swap", "replace") if word.isascii() else ("drop", "double", "swap")
        )
        at = rng.randrange(1, len(word) - (slip == "swap"))
        if slip == "drop":
            changed = word[:at] + word[at + 1 :]
        elif slip == "double":
            changed = word[:at] + word[at] + word[at:]
        elif slip == "swap":
            changed = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            changed = word[:at] + rng.choice(neighbours(word[at]) or "e") + word[at + 1 :]
        if changed != word:
            return " ".join(words[:at_word] + [changed] + words[at_word + 1 :])


def with_typos(queries: list[Query]) -> list[Query]:
    """The typo variant of each query: same store, same labels."""
    return [replace(query, text=typo(query.text), typo_of=query.text) for query in queries]
