"""What the demo shop sells: its categories, products, collections, bundle and customer reviews.

Money is in euro cents. Products are keyed by name (their slug); a product's ``details`` become the
bullet list of its Markdown description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (name, parent name, position, description)
CATEGORIES = [
    ("Home", None, 0, "Everyday things for the kitchen and the living room, made to last."),
    ("Kitchen", "Home", 0, "Stoneware, linen and wood for cooking, brewing and the table."),
    ("Living", "Home", 1, "Throws, cushions, candles and planters for slow evenings."),
    ("Apparel", None, 1, "Organic cotton basics, cut and sewn in small runs."),
    ("T-shirts", "Apparel", 0, "Soft, heavy organic cotton tees that keep their shape."),
    ("Hoodies", "Apparel", 1, "Brushed-back fleece hoodies and sweatshirts."),
    ("Stationery", None, 2, "Notebooks, pens and paper goods for people who still write things down."),
]
SIZES = ["S", "M", "L", "XL"]
COLOURS = {
    "Oat": "#d8c8a8",
    "Charcoal": "#3a3d42",
    "Forest": "#2f5d4a",
    "Navy": "#1f2a44",
    "Clay": "#b5654a",
    "White": "#f4f1ea",
}
XL_SURCHARGE = 200
SKU_PREFIX = {"Kitchen": "KIT", "Living": "LIV", "T-shirts": "TEE", "Hoodies": "HOD", "Stationery": "STA"}


@dataclass(frozen=True)
class Item:
    category: str
    name: str
    price: int
    stock: int
    tags: str
    blurb: str
    details: tuple[str, ...]
    was: int | None = None
    grams: int | None = None
    status: str = "active"
    digital: bool = False
    colours: tuple[str, ...] = ()
    colour_pictures: bool = False  # one picture per colour, linked to its variants
    lifestyle: bool = False  # a second, "lifestyle" picture


def _item(
    category: str, name: str, price: int, stock: int, tags: str, blurb: str, details: str, **more: Any
) -> Item:
    return Item(category, name, price, stock, tags, blurb, tuple(details.split("; ")), **more)


# fmt: off
PRODUCTS = [
    _item("Kitchen", "Stoneware Mug", 1800, 64, "bestseller, coffee, gift",
          "A generous mug thrown in Portugal, glazed in a speckled oat finish that feels warm in the hand.",
          "Holds 350 ml; Dishwasher and microwave safe; Each glaze is slightly different", grams=380,
          lifestyle=True),
    _item("Kitchen", "Ceramic Pour-Over Dripper", 2900, 22, "coffee, gift",
          "Brews one clean, bright cup at a time. Fits most mugs and takes standard size 02 filters.",
          "Matte white stoneware; Three-hole base for an even flow; Filters not included", grams=420),
    _item("Kitchen", "Enamel Coffee Pot", 3900, 9, "coffee, camping, summer",
          "A classic enamel pot for the stove, the campfire or the garden table.",
          "1.2 litres; Works on gas, electric and induction; Hand wash only", was=4900, grams=650),
    _item("Kitchen", "Linen Tea Towel Set", 2400, 40, "linen, gift",
          "Two stonewashed linen towels that dry glasses without lint and get softer with every wash.",
          "Set of two, 50 x 70 cm; 100% European flax; Hanging loop", grams=220),
    _item("Kitchen", "Olive Wood Spoon Set", 2200, 0, "gift, wood",
          "Three spoons carved from the pruned branches of olive trees, each with its own grain.",
          "Stirring spoon, spatula and tasting spoon; Oil now and then; Not for the dishwasher", grams=180),
    _item("Kitchen", "Glass Storage Jar", 1400, 85, "pantry",
          "A clear borosilicate jar with an airtight oak lid for beans, oats and pasta.",
          "1 litre; Silicone seal; Lid wipes clean", grams=540),
    _item("Kitchen", "Cast Iron Skillet", 5900, 12, "bestseller, camping",
          "A 26 cm skillet, seasoned and ready to sear, bake and fry for the next fifty years.",
          "26 cm; Pre-seasoned with flax oil; Oven and campfire safe", grams=2600),
    _item("Kitchen", "Beeswax Food Wraps", 1600, 55, "zero-waste, summer, picnic",
          "Cotton wraps coated in beeswax, tree resin and jojoba oil: cling film you can wash and reuse.",
          "Small, medium and large; Lasts about a year; Rinse in cool water", was=1900, grams=90),
    _item("Kitchen", "Bamboo Cutting Board", 3200, 18, "wood",
          "A heavy end-grain board that is kind to knives, with a juice groove on one side.",
          "40 x 28 cm; Non-slip feet; Oil monthly", grams=1800),
    _item("Kitchen", "Hand-thrown Serving Bowl", 4800, 3, "gift, limited",
          "A wide bowl for salads and pasta, thrown by hand in small batches. Only a few left.",
          "28 cm across; Food safe glaze; Signed on the base", grams=1400),
    _item("Living", "Merino Wool Throw", 11900, 7, "wool, gift, autumn",
          "A soft, heavy throw woven from undyed merino on a century-old loom in Wales.",
          "130 x 180 cm; 100% merino wool; Dry clean or hand wash", was=13900, grams=1200, lifestyle=True),
    _item("Living", "Linen Cushion Cover", 3400, 30, "linen, summer",
          "A washed linen cover with a hidden zip, in a shade that goes with everything.",
          "50 x 50 cm; Insert not included; Machine wash at 40", grams=260),
    _item("Living", "Fig and Cedar Soy Candle", 2600, 48, "bestseller, gift, candle",
          "Green fig, cedarwood and a hint of black pepper, poured by hand into a reusable amber jar.",
          "Burns for about 45 hours; Cotton wick; Vegan soy wax", grams=420),
    _item("Living", "Rattan Plant Basket", 3800, 14, "plants, summer",
          "A hand-woven basket that turns a plastic nursery pot into something you want to look at.",
          "Fits pots up to 24 cm; Natural rattan; Liner included", grams=600),
    _item("Living", "Speckled Bud Vase", 2200, 26, "gift, flowers",
          "A small vase for a single stem, a few sprigs of rosemary or the first tulips of spring.",
          "14 cm tall; Watertight; Speckled white glaze", grams=310),
    _item("Living", "Woven Jute Rug", 14900, 4, "rug",
          "A flat-woven jute rug with a cotton border, hard-wearing enough for a hallway.",
          "120 x 180 cm; Reversible; Vacuum without the brush", grams=5200),
    _item("Living", "Brass Candle Holder", 2900, 0, "candle, gift",
          "A solid brass holder for dinner candles that takes on a warm patina with time.",
          "Fits standard 2.2 cm candles; Solid brass; Polish or leave to age", grams=350),
    _item("Living", "Oak Floating Shelf", 6900, 11, "wood",
          "A solid oak shelf with hidden brackets, oiled to bring out the grain.",
          "80 x 20 cm; Holds 15 kg; Fixings included", grams=3100),
    _item("Living", "Terracotta Planter", 2400, 35, "plants, summer, sale",
          "An unglazed terracotta pot with a saucer that lets roots breathe.",
          "18 cm; Drainage hole; Frost resistant", was=2900, grams=1300),
    _item("Living", "Waffle Cotton Blanket", 8900, 9, "summer, cotton",
          "A light waffle-weave blanket for summer nights, picnics and the end of the sofa.",
          "140 x 200 cm; Organic cotton; Machine washable", grams=1100),
    _item("T-shirts", "Organic Cotton Tee", 2900, 0, "organic, bestseller, summer",
          "Our everyday tee: 180 g organic cotton, a relaxed fit and a collar that stays flat.",
          "100% organic cotton; Pre-shrunk; Made in Portugal", grams=190,
          colours=("Oat", "Charcoal", "Forest"), colour_pictures=True),
    _item("T-shirts", "Heavyweight Pocket Tee", 3400, 0, "organic",
          "A boxy 240 g tee with a chest pocket, built for workshops and weekends.",
          "100% organic cotton; Boxy fit; Double-stitched hems", grams=260,
          colours=("White", "Navy", "Clay")),
    _item("T-shirts", "Striped Breton Tee", 3900, 0, "summer, sale",
          "The sailor stripe, knitted in a tight jersey that keeps its shape after every wash.",
          "Organic cotton jersey; Boat neck; Three-quarter sleeves", was=4500, grams=230,
          colours=("Navy", "Clay")),
    _item("T-shirts", "Long Sleeve Tee", 3600, 0, "organic, autumn",
          "Everything we like about our tee, with long sleeves and ribbed cuffs for cooler days.",
          "100% organic cotton; Ribbed cuffs; Regular fit", grams=240, colours=("Oat", "Charcoal")),
    _item("T-shirts", "Slow Mornings Graphic Tee", 3200, 0, "coffee, new",
          "A hand-drawn coffee pot, screen printed with water-based inks on our organic tee.",
          "100% organic cotton; Water-based print; Regular fit", grams=200, colours=("White", "Oat")),
    _item("Hoodies", "Classic Hoodie", 6900, 0, "bestseller, organic",
          "A brushed-back fleece hoodie with a double-layer hood and a kangaroo pocket.",
          "380 g organic cotton fleece; Flat drawcords; Ribbed cuffs and hem", grams=620,
          colours=("Charcoal", "Forest", "Oat"), colour_pictures=True),
    _item("Hoodies", "Zip Hoodie", 7900, 0, "organic",
          "The classic hoodie with a full-length metal zip and side pockets.",
          "380 g organic cotton fleece; YKK metal zip; Regular fit", grams=680, colours=("Navy", "Charcoal")),
    _item("Hoodies", "Crewneck Sweatshirt", 5900, 0, "sale, autumn",
          "A clean crewneck in loopback cotton, easy to layer over a tee.",
          "350 g loopback cotton; Raglan sleeves; Ribbed trims", was=6900, grams=540,
          colours=("Oat", "Clay", "Forest")),
    _item("Hoodies", "Heavyweight Hoodie", 8900, 0, "new",
          "Our heaviest fleece yet: 480 g, a boxy cut and dropped shoulders.",
          "480 g organic cotton fleece; Boxy fit; Made in Portugal", grams=780,
          colours=("Charcoal", "Navy")),
    _item("Stationery", "Dot Grid Notebook A5", 1800, 120, "bestseller, notebook",
          "192 pages of smooth 100 g paper with a faint dot grid for notes, lists and sketches.",
          "A5, lay-flat binding; Numbered pages; Fountain pen friendly", grams=320),
    _item("Stationery", "Printable Weekly Planner", 900, 0, "digital, planner, new",
          "A calm, undated weekly planner as a PDF: print the pages you need, as often as you like.",
          "A4 and US Letter PDFs; 60 pages, undated; Instant download", digital=True),
    _item("Stationery", "Brass Ballpoint Pen", 3400, 16, "gift",
          "A weighty brass pen that takes standard refills and will outlast every plastic one.",
          "Solid brass; Takes Parker-style refills; Black ink included", grams=45),
    _item("Stationery", "Recycled Notecards", 1200, 60, "gift, paper",
          "Ten folded cards on recycled cotton paper with kraft envelopes, blank inside.",
          "Set of 10; A6 folded; Envelopes included", grams=150),
    _item("Stationery", "Washi Tape Trio", 900, 0, "paper",
          "Three rolls of Japanese paper tape in muted colours for journals and gift wrap.",
          "3 rolls, 15 mm x 10 m; Tears by hand; Repositionable", grams=60),
    _item("Stationery", "Linen-bound Journal", 2800, 24, "notebook, gift, linen",
          "A lined journal bound in linen, with a ribbon marker and a pocket at the back.",
          "A5, 240 pages; Lined; Ribbon marker", grams=420),
    _item("Stationery", "2026 Desk Calendar", 2200, 31, "planner, sale",
          "Twelve risograph prints on an easel stand, one for each month of 2026.",
          "A5 landscape; Oak easel; Recycled paper", was=2600, grams=380),
    _item("Stationery", "Kraft Gift Wrap Roll", 800, 75, "gift, paper",
          "A long roll of sturdy kraft paper that makes every parcel look considered.",
          "50 cm x 10 m; Recyclable; Pairs with our washi tape", grams=400),
    _item("Stationery", "Cedar Pencil Set", 1100, 44, "paper",
          "Six graphite pencils in cedar wood, from a hard 2H to a soft 4B.",
          "Set of 6; 2H to 4B; Sharpener included", grams=70),
    _item("Stationery", "Wax Seal Kit", 3200, 8, "gift, letter-writing",
          "A brass stamp, three sticks of sealing wax and a melting spoon for letters worth sending.",
          "Brass stamp with a wooden handle; 3 wax sticks; Spoon and tea light", grams=260),
    _item("Stationery", "A4 Sketchbook", 1900, 27, "sketching",
          "Heavy 160 g cartridge paper that takes pencil, ink and light washes.",
          "A4, 80 pages; 160 g paper; Stitched binding", grams=700),
    _item("Living", "Marble Coaster Set", 2800, 0, "gift",
          "Four honed marble coasters with cork backs. Coming this autumn.",
          "Set of 4; 10 cm; Cork backing", grams=900, status="draft"),
    _item("Apparel", "Canvas Market Tote", 2400, 0, "summer",
          "A sturdy canvas tote with long handles and an inside pocket. Coming soon.",
          "Organic cotton canvas; 40 x 38 cm; Inside pocket", grams=300, status="draft"),
]
# fmt: on

SMART_COLLECTION = ("Summer Edit", "Light linen, picnic things and sunny colours for long days outside.")
# Summer things in stock under €100 (all conditions).
SMART_RULES = [
    {"field": "tag", "op": "eq", "value": "summer"},
    {"field": "in_stock", "op": "eq", "value": True},
    {"field": "price", "op": "lte", "value": 10000},
]
MANUAL_COLLECTION = ("Gift Guide", "Our favourite presents, chosen by the studio.")
GIFT_GUIDE = [
    "Stoneware Mug",
    "Fig and Cedar Soy Candle",
    "Linen-bound Journal",
    "Merino Wool Throw",
    "Brass Ballpoint Pen",
    "Wax Seal Kit",
    "Speckled Bud Vase",
    "Hand-thrown Serving Bowl",
]
BUNDLE = (
    "Slow Morning Coffee Set",
    "A dripper, two mugs and, if you like, a set of tea towels: 15% off together.",
)
BUNDLE_OFF = 1500  # basis points: 15% off the items together
BUNDLE_ITEMS = [  # (product, quantity, optional)
    ("Ceramic Pour-Over Dripper", 1, False),
    ("Stoneware Mug", 2, False),
    ("Linen Tea Towel Set", 1, True),
]
# (product, kind, suggested products in order)
RELATED = [
    ("Stoneware Mug", "frequently_bought_together", ["Ceramic Pour-Over Dripper", "Linen Tea Towel Set"]),
    ("Ceramic Pour-Over Dripper", "frequently_bought_together", ["Stoneware Mug"]),
    ("Ceramic Pour-Over Dripper", "accessory", ["Glass Storage Jar"]),
    ("Enamel Coffee Pot", "cross_sell", ["Stoneware Mug", "Cast Iron Skillet"]),
    ("Organic Cotton Tee", "up_sell", ["Heavyweight Pocket Tee"]),
    ("Organic Cotton Tee", "cross_sell", ["Long Sleeve Tee", "Striped Breton Tee"]),
    ("Classic Hoodie", "up_sell", ["Heavyweight Hoodie"]),
]
# (product, customer email, rating, title, body, status)
# fmt: off
REVIEWS = [
    ("Stoneware Mug", "chloe@example.com", 5, "My everyday mug",
     "The glaze is lovely and it keeps coffee warm for ages. Bought a second one.", "approved"),
    ("Stoneware Mug", "ben@example.com", 5, "Perfect size",
     "Big enough for a proper flat white.", "approved"),
    ("Stoneware Mug", "mia@example.com", 4, "Beautiful, a bit heavy",
     "Gorgeous speckles; heavier than I expected, which I've come to like.", "approved"),
    ("Organic Cotton Tee", "ben@example.com", 5, "Best basic tee",
     "Thick, soft and it hasn't shrunk after ten washes.", "approved"),
    ("Organic Cotton Tee", "mia@example.com", 4, "Runs slightly large",
     "Great quality. I'd size down if you like a closer fit.", "approved"),
    ("Fig and Cedar Soy Candle", "chloe@example.com", 5, "Smells like a holiday",
     "Fills the room without being overpowering, and it burns evenly.", "approved"),
    ("Fig and Cedar Soy Candle", "mia@example.com", 5, "",
     "Third one I've bought. That says it all.", "approved"),
    ("Classic Hoodie", "chloe@example.com", 4, "Cosy",
     "Really warm; the sleeves are a touch long on me.", "approved"),
    ("Classic Hoodie", "ben@example.com", 5, "Worth it",
     "Heavy, well made and the forest green is beautiful.", "approved"),
    ("Dot Grid Notebook A5", "mia@example.com", 5, "No bleed-through",
     "My fountain pens love this paper. Lies completely flat.", "approved"),
    ("Merino Wool Throw", "chloe@example.com", 5, "Heirloom quality", "Soft, heavy and not itchy at all.",
     "approved"),
    ("Cast Iron Skillet", "ben@example.com", 4, "Great sear",
     "Came well seasoned. Heavy, as it should be.", "approved"),
    ("Printable Weekly Planner", "chloe@example.com", 3, "Nice layout",
     "Clean and calm design. I wish it had a monthly overview too.", "approved"),
    ("Enamel Coffee Pot", "mia@example.com", 2, "Lid rattles",
     "Looks great but the lid rattles when it boils.", "pending"),
    ("Linen Tea Towel Set", "chloe@example.com", 4, "Soft after one wash",
     "Thirsty and soft. The clay one faded a little in the first wash.", "pending"),
]
# fmt: on
# (customer email, product, {attribute: value} of the saved variant or None for the product)
WISHLIST = [
    ("chloe@example.com", "Merino Wool Throw", None),
    ("chloe@example.com", "Classic Hoodie", {"Size": "M", "Colour": "Forest"}),
    ("chloe@example.com", "Hand-thrown Serving Bowl", None),
]
