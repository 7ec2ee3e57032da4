"""The audit log in the reader's language: an entry keeps data (the field's key, the values, who made
the change) and is put into words when it is read, on the dashboard's page or in the owner's SMS.

Each package whose changes the log keeps declares its fields once (`audited`, in its AppConfig.ready):
the words for the field and, where the stored values are keys (an order status, a role), their words.
Other values (a price, a stock count, a masked UPI ID, a store's name) are shown as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from dukaan.infra.logs import masked_phone

from .roles import Role

if TYPE_CHECKING:
    from .models import ApiToken, AuditEntry, User

# Who made a change (AuditEntry.actor_kind); "" is an entry written before kinds, shown as it was stored.
MEMBER = "member"  # actor: the masked phone; actor_detail: their role (a Role value)
TOKEN = "token"  # actor: the token's name; actor_detail: its prefix
OPERATOR = "operator"  # Dukaan's operators: commands and scripts, no person or token we know of

# A payment detail's value when there is none (accounts.services.masked).
NONE = "(none)"
NO_VALUE: Mapping[str, Promise] = {NONE: gettext_lazy("(none)")}


# A token in words. A payment's or refund's `by` keeps it in English (accounts.services.token_actor), and
# by_text puts it into the reader's language.
TOKEN_WORDS = gettext_noop("the API token ‘%(name)s’ (%(prefix)s…)")
_STORED_TOKEN = re.compile(r"^the API token ‘(?P<name>.*)’ \((?P<prefix>[^)]*)…\)$")


def by_text(by: str) -> str:
    """A stored `by` (a phone, or token_actor's English) in the reader's language."""
    token = _STORED_TOKEN.match(by)
    return gettext(TOKEN_WORDS) % token.groupdict() if token else by


@dataclass(frozen=True)
class Actor:
    """Who made a change, as data: `kind` says which words go around `who` and `detail` when shown."""

    kind: str
    who: str = ""
    detail: str = ""

    @classmethod
    def member(cls, user: User, role: Role) -> Actor:
        return cls(MEMBER, masked_phone(user.phone), str(role))

    @classmethod
    def token(cls, token: ApiToken) -> Actor:
        return cls(TOKEN, token.name, token.prefix)

    def columns(self) -> dict[str, str]:
        """AuditEntry's columns for who made the change."""
        return {"actor_kind": self.kind, "actor": self.who[:160], "actor_detail": self.detail[:20]}


OPERATORS = Actor(OPERATOR)


@dataclass(frozen=True)
class Field:
    label: Promise  # may hold %(subject)s: the entry's subject (an order's number, a product's name)
    values: Mapping[str, Promise]


_FIELDS: dict[str, Field] = {}


def audited(field: str, label: Promise, values: Mapping[str, Promise] | None = None) -> None:
    """Declare a field the audit log keeps: its words, and the words of the values that are keys."""
    _FIELDS[field] = Field(label, values or {})


def actor_text(entry: AuditEntry) -> str:
    if entry.actor_kind == MEMBER:
        return f"{entry.actor} ({Role(entry.actor_detail).label})"
    if entry.actor_kind == TOKEN:
        return gettext(TOKEN_WORDS) % {"name": entry.actor, "prefix": entry.actor_detail}
    if entry.actor_kind == OPERATOR:
        return gettext("Dukaan's operators")
    return entry.actor


def what_text(entry: AuditEntry) -> str:
    """What changed, e.g. "Price of Basmati rice", "Order #12 status"."""
    field = _FIELDS.get(entry.field)
    if field is None:
        return entry.subject or entry.field
    return str(field.label) % {"subject": entry.subject}


def value_text(entry: AuditEntry, value: str) -> str:
    field = _FIELDS.get(entry.field)
    word = field.values.get(value) if field else None
    return value if word is None else str(word)


@dataclass(frozen=True)
class Line:
    """An entry as its reader reads it (in the language active when it is made)."""

    entry: AuditEntry
    what: str
    old: str
    new: str
    by: str


def line(entry: AuditEntry) -> Line:
    return Line(
        entry,
        what_text(entry),
        value_text(entry, entry.old_value),
        value_text(entry, entry.new_value),
        actor_text(entry),
    )
