"""Draw the dashboard's app icons (docs/pwa.md) into dukaan/dashboard/static/dashboard/.

`python tools/app_icons.py` writes them; they are checked in, so this runs only when the design changes.
A white shop front (striped awning, door) on the topbar's green. The plain icons have rounded corners;
the maskable one fills its square, with the shop inside the central circle a phone's mask always keeps.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path("dukaan/dashboard/static/dashboard")
GREEN, WHITE = "#12372a", "#ffffff"


def shop(draw: ImageDraw.ImageDraw, size: int, scale: float) -> None:
    """The shop front, `scale` of the icon wide, centred."""
    unit = size * scale / 10  # the drawing is 10 units wide
    left, top = (size - 10 * unit) / 2, (size - 9 * unit) / 2
    for stripe in range(5):  # the awning: five scallops, every other one white
        x = left + 2 * stripe * unit
        draw.rectangle((x, top, x + 2 * unit, top + 2 * unit), fill=WHITE if stripe % 2 == 0 else GREEN)
        draw.pieslice((x, top + unit, x + 2 * unit, top + 3 * unit), 0, 180, fill=WHITE)
    draw.rectangle(
        (left, top, left + 10 * unit, top + 2 * unit), outline=WHITE, width=max(1, round(unit / 4))
    )
    draw.rectangle((left + unit, top + 3 * unit, left + 9 * unit, top + 9 * unit), fill=WHITE)
    draw.rectangle((left + 4 * unit, top + 5 * unit, left + 6 * unit, top + 9 * unit), fill=GREEN)  # door


def icon(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, size, size), fill=GREEN)
    else:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=GREEN)
    # The maskable safe zone is the circle of 80 % of the side: a 10 x 9 drawing fits in 52 % of it.
    shop(draw, size, 0.52 if maskable else 0.66)
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
