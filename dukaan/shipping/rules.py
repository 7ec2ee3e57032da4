"""Delivery rules: PIN codes, zones, the delivery fee and cash on delivery. Pure: no database.

The order of the rules, which docs/delivery.md explains to shopkeepers: a blocked PIN is not
delivered to; otherwise the first zone holding the PIN gives the fee, else the flat fee; the fee is
waived when the goods reach `free_above`. Cash on delivery is offered up to `cod_max_order`; a COD
order waits `cod_confirm_hours` for the buyer to confirm it (or to pay `cod_advance` by UPI).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dukaan.catalog.rules import MAX_PRICE
from dukaan.infra.money import ZERO, to_paise

Money = Callable[[Decimal], str]

PIN_PATTERN = re.compile(r"^[1-8][0-9]{5}$")
PIN_PROBLEM = gettext_lazy("A PIN code is 6 digits; the first is 1 to 8, e.g. 560038.")
PREFIX_PATTERN = re.compile(r"^[1-8][0-9]{0,5}$")
RANGE_PATTERN = re.compile(r"^([0-9]+)\s*-\s*([0-9]+)$")
MAX_PIN_ENTRIES = 500
MAX_ZONES = 50
MAX_ZONE_NAME = 60
MAX_CONFIRM_HOURS = 72


@dataclass(frozen=True)
class PinRange:
    """PIN codes `first` to `last`, both included."""

    first: int
    last: int

    def __contains__(self, pin: int) -> bool:
        return self.first <= pin <= self.last

    def __str__(self) -> str:
        return f"{self.first}" if self.first == self.last else f"{self.first}–{self.last}"


def valid_pin(text: str) -> str:
    """The PIN code in `text`, spaces taken out ("560 038" → "560038"); ValueError if it is not one."""
    pin = "".join(text.split()) if isinstance(text, str) else ""
    if not PIN_PATTERN.fullmatch(pin):
        raise ValueError(str(PIN_PROBLEM))
    return pin


def _pin_range(entry: str) -> PinRange:
    if PREFIX_PATTERN.fullmatch(entry):
        return PinRange(int(entry.ljust(6, "0")), int(entry.ljust(6, "9")))
    matched = RANGE_PATTERN.fullmatch(entry)
    if matched and all(PIN_PATTERN.fullmatch(end) for end in matched.groups()):
        first, last = (int(end) for end in matched.groups())
        if first > last:
            raise ValueError(
                _("“%(entry)s”: a range goes from the lower PIN to the higher, e.g. %(example)s.")
                % {"entry": entry, "example": f"{last}-{first}"}
            )
        return PinRange(first, last)
    raise ValueError(
        _(
            "“%(entry)s” is not a PIN code (560038), a prefix (56 for every PIN starting 56) "
            "or a range (560001-560099). PIN codes start with 1 to 8."
        )
        % {"entry": entry}
    )


def parse_pins(text: str) -> tuple[PinRange, ...]:
    """The PIN codes, prefixes ("56": 560000–569999) and ranges ("560001-560099") in `text`,
    separated by commas or new lines; ValueError naming the first entry that is none of these."""
    entries = [entry.strip() for entry in re.split(r"[,\n]", text) if entry.strip()]
    if len(entries) > MAX_PIN_ENTRIES:
        raise ValueError(
            _("That is %(count)s entries; at most %(most)s. Use prefixes or ranges.")
            % {"count": len(entries), "most": MAX_PIN_ENTRIES}
        )
    return tuple(_pin_range(entry) for entry in entries)


@dataclass(frozen=True)
class Zone:
    name: str
    ranges: tuple[PinRange, ...]
    fee: Decimal


@dataclass(frozen=True)
class DeliveryTerms:
    flat_fee: Decimal
    free_above: Decimal | None
    zones: tuple[Zone, ...]
    blocked: tuple[PinRange, ...]
    cod_enabled: bool
    cod_fee: Decimal
    cod_max_order: Decimal | None
    cod_confirm_hours: int = 0  # 0: COD orders are placed without the buyer's confirmation
    cod_advance: Decimal = ZERO  # 0: nothing is paid before delivery

    @property
    def cod_needs_confirmation(self) -> bool:
        return self.cod_enabled and self.cod_confirm_hours > 0


# A store that set nothing: free delivery everywhere and cash on delivery, as before delivery settings.
DEFAULT_TERMS = DeliveryTerms(
    flat_fee=ZERO, free_above=None, zones=(), blocked=(), cod_enabled=True, cod_fee=ZERO, cod_max_order=None
)


@dataclass(frozen=True)
class DeliveryQuote:
    pin_code: str
    deliverable: bool
    fee: Decimal
    zone: str  # the zone's name, "" for the flat fee
    waived: bool  # free_above applied


def quote_delivery(terms: DeliveryTerms, pin_code: str, goods_value: Decimal) -> DeliveryQuote:
    """The delivery fee to `pin_code` for goods worth `goods_value` (after discounts).
    ValueError when `pin_code` is not a PIN code."""
    pin = valid_pin(pin_code)
    number = int(pin)
    if any(number in blocked for blocked in terms.blocked):
        return DeliveryQuote(pin_code=pin, deliverable=False, fee=ZERO, zone="", waived=False)
    zone = next((zone for zone in terms.zones if any(number in r for r in zone.ranges)), None)
    fee, name = (zone.fee, zone.name) if zone else (terms.flat_fee, "")
    waived = terms.free_above is not None and goods_value >= terms.free_above
    return DeliveryQuote(
        pin_code=pin, deliverable=True, fee=ZERO if waived else to_paise(fee), zone=name, waived=waived
    )


def delivery_message(quote: DeliveryQuote, money: Money) -> str:
    if not quote.deliverable:
        return _("Sorry, this shop does not deliver to %(pin)s") % {"pin": quote.pin_code}
    if quote.fee:
        return _("Delivers to %(pin)s · %(fee)s delivery") % {"pin": quote.pin_code, "fee": money(quote.fee)}
    return _("Delivers to %(pin)s · free delivery") % {"pin": quote.pin_code}


@dataclass(frozen=True)
class CodQuote:
    allowed: bool
    fee: Decimal
    message: str  # why not, when not allowed


def quote_cod(terms: DeliveryTerms, goods_value: Decimal, money: Money) -> CodQuote:
    """Whether the buyer may pay cash on delivery for goods worth `goods_value`, and its fee."""
    if not terms.cod_enabled:
        return CodQuote(False, ZERO, _("This shop does not take cash on delivery; please pay another way."))
    if terms.cod_max_order is not None and goods_value > terms.cod_max_order:
        return CodQuote(
            False,
            ZERO,
            _("Cash on delivery is for orders up to %(amount)s; please pay another way for this one.")
            % {"amount": money(terms.cod_max_order)},
        )
    fee = to_paise(terms.cod_fee)
    message = _("Cash on delivery · %(fee)s fee") % {"fee": money(fee)} if fee else _("Cash on delivery")
    return CodQuote(True, fee, message)


# --- Checking what a shopkeeper sets ---------------------------------------------------------------


@dataclass(frozen=True)
class ZoneSetup:
    """A zone as the shopkeeper enters it: `pins` is the text, kept as typed."""

    name: str
    pins: str
    fee: Decimal


@dataclass(frozen=True)
class DeliverySetup:
    """Delivery settings as the shopkeeper enters them; zones in the order they apply."""

    flat_fee: Decimal
    free_above: Decimal | None
    cod_enabled: bool
    cod_fee: Decimal
    cod_max_order: Decimal | None
    blocked: str
    zones: tuple[ZoneSetup, ...]
    cod_confirm_hours: int = 0
    cod_advance: Decimal = ZERO


DEFAULT_SETUP = DeliverySetup(
    flat_fee=ZERO, free_above=None, cod_enabled=True, cod_fee=ZERO, cod_max_order=None, blocked="", zones=()
)


@dataclass(frozen=True)
class CheckedSetup:
    setup: DeliverySetup  # as entered, tidied: spaces around names and PIN lists taken out
    terms: DeliveryTerms
    notes: list[str]  # which zone wins where zones share PIN codes


def amount_problem(amount: Decimal, *, what: str, positive: bool = False) -> str | None:
    """What is wrong with an amount a shopkeeper typed, or None."""
    if not amount.is_finite():
        message = _("%(what)s must be an amount like 40 or 40.50.")
    elif amount < 0:
        message = _("%(what)s cannot be negative.")
    elif amount > MAX_PRICE:
        message = _("%(what)s must be at most %(most)s. Check for extra zeros.")
    elif amount != to_paise(amount):
        message = _("%(what)s can have at most two digits after the point, e.g. 40.50.")
    elif positive and amount == 0:
        message = _("%(what)s must be more than 0; leave it empty for no limit.")
    else:
        return None
    return message % {"what": what, "most": f"{MAX_PRICE:,.0f}"}


def _uncovered(ranges: Iterable[PinRange], cover: list[PinRange]) -> list[PinRange]:
    """The parts of `ranges` that no range of `cover` holds."""
    left = list(ranges)
    for taken in cover:
        rest = []
        for part in left:
            if taken.last < part.first or taken.first > part.last:
                rest.append(part)
                continue
            if part.first < taken.first:
                rest.append(PinRange(part.first, taken.first - 1))
            if part.last > taken.last:
                rest.append(PinRange(taken.last + 1, part.last))
        left = rest
    return left


def _shared(ranges: Iterable[PinRange], others: Iterable[PinRange]) -> PinRange | None:
    """The first stretch of PIN codes both hold, or None."""
    for part in ranges:
        for other in others:
            first, last = max(part.first, other.first), min(part.last, other.last)
            if first <= last:
                return PinRange(first, last)
    return None


def check_setup(setup: DeliverySetup) -> CheckedSetup:
    """The terms the setup gives and notes on overlapping zones; ValidationError naming every problem
    (fields "flat_fee", "blocked", "zones[0].pins", ...) when any value cannot be used."""
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str | None) -> None:
        if message:
            problems.setdefault(field, []).append(message)

    refuse("flat_fee", amount_problem(setup.flat_fee, what=_("The delivery fee")))
    if setup.free_above is not None:
        refuse("free_above", amount_problem(setup.free_above, what=_("Free delivery above"), positive=True))
    refuse("cod_fee", amount_problem(setup.cod_fee, what=_("The COD fee")))
    if setup.cod_max_order is not None:
        refuse("cod_max_order", amount_problem(setup.cod_max_order, what=_("The COD limit"), positive=True))
    refuse("cod_confirm_hours", _confirm_hours_problem(setup.cod_confirm_hours))
    refuse("cod_advance", amount_problem(setup.cod_advance, what=_("The COD advance")))
    if setup.cod_advance and not setup.cod_confirm_hours:
        refuse(
            "cod_advance",
            _("An advance needs a confirmation time: say how many hours an order waits for it to be paid."),
        )
    try:
        blocked = parse_pins(setup.blocked)
    except ValueError as error:
        refuse("blocked", str(error))
        blocked = ()
    if len(setup.zones) > MAX_ZONES:
        refuse(
            "zones",
            _("That is %(count)s zones; at most %(most)s. Use prefixes to join some.")
            % {"count": len(setup.zones), "most": MAX_ZONES},
        )

    zones: list[Zone] = []
    tidied: list[ZoneSetup] = []
    notes: list[str] = []
    names: set[str] = set()
    for index, entered in enumerate(setup.zones):
        field = f"zones[{index}]"
        name = " ".join(entered.name.split())
        if not name:
            refuse(f"{field}.name", _("Give the zone a name, e.g. Bengaluru."))
        elif len(name) > MAX_ZONE_NAME:
            refuse(
                f"{field}.name",
                _("A zone name can be at most %(count)s characters.") % {"count": MAX_ZONE_NAME},
            )
        elif name.casefold() in names:
            refuse(
                f"{field}.name",
                _("There are two zones named “%(name)s”; give each its own name.") % {"name": name},
            )
        names.add(name.casefold())
        refuse(
            f"{field}.fee", amount_problem(entered.fee, what=_("The fee of zone “%(name)s”") % {"name": name})
        )
        try:
            ranges = parse_pins(entered.pins)
        except ValueError as error:
            refuse(f"{field}.pins", str(error))
            continue
        if not ranges:
            refuse(
                f"{field}.pins",
                _("List the PIN codes of zone “%(name)s”, e.g. 560001-560099 or 56.") % {"name": name},
            )
            continue
        zone = Zone(name=name, ranges=ranges, fee=entered.fee)
        refuse(f"{field}.pins", _never_applies(zone, zones, blocked))
        for earlier in zones:
            shared = _shared(zone.ranges, earlier.ranges)
            # An earlier zone wholly inside this one is an exception carved out of it: no note needed.
            if shared is not None and _uncovered(earlier.ranges, list(zone.ranges)):
                notes.append(
                    _(
                        "Zones “%(earlier)s” and “%(zone)s” both hold %(shared)s: “%(earlier)s” comes first, "
                        "so its fee applies there."
                    )
                    % {"earlier": earlier.name, "zone": zone.name, "shared": shared}
                )
        zones.append(zone)
        tidied.append(ZoneSetup(name=name, pins=entered.pins.strip(), fee=entered.fee))
    if problems:
        raise ValidationError(problems)
    setup = replace(setup, blocked=setup.blocked.strip(), zones=tuple(tidied))
    return CheckedSetup(setup=setup, terms=terms_of(setup), notes=notes)


def terms_of(setup: DeliverySetup) -> DeliveryTerms:
    """The terms of a setup check_setup accepted: its PIN lists parsed."""
    return DeliveryTerms(
        flat_fee=setup.flat_fee,
        free_above=setup.free_above,
        zones=tuple(Zone(name=zone.name, ranges=parse_pins(zone.pins), fee=zone.fee) for zone in setup.zones),
        blocked=parse_pins(setup.blocked),
        cod_enabled=setup.cod_enabled,
        cod_fee=setup.cod_fee,
        cod_max_order=setup.cod_max_order,
        cod_confirm_hours=setup.cod_confirm_hours,
        cod_advance=setup.cod_advance,
    )


def _confirm_hours_problem(hours: int) -> str | None:
    if hours != 0 and not 1 <= hours <= MAX_CONFIRM_HOURS:
        return _(
            "Give the hours a COD order waits for the buyer's confirmation as 1 to %(most)s, "
            "or 0 for no confirmation."
        ) % {"most": MAX_CONFIRM_HOURS}
    return None


def _never_applies(zone: Zone, earlier: list[Zone], blocked: tuple[PinRange, ...]) -> str | None:
    """Why `zone` would never give its fee (every PIN of it is blocked or in an earlier zone), or None."""
    if _uncovered(zone.ranges, list(blocked) + [r for other in earlier for r in other.ranges]):
        return None
    first = zone.ranges[0].first
    if any(first in r for r in blocked):
        return _("Zone “%(zone)s” never applies: %(pin)s is among the PIN codes you do not deliver to.") % {
            "zone": zone.name,
            "pin": first,
        }
    winner = next(other for other in earlier if any(first in r for r in other.ranges))
    return _(
        "Zone “%(zone)s” never applies: %(pin)s is already in zone “%(winner)s”, which comes first. "
        "Move “%(zone)s” above “%(winner)s”, or remove it."
    ) % {"zone": zone.name, "pin": first, "winner": winner.name}
