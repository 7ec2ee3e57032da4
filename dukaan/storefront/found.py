"""The store a store page answers for, looked up by its slug once a request (with its language and its
verified domain: selectors.store_for_slug), however many parts of the page ask: the way to the store's
own domain, the page, its links. views.follows_moved_store, around every store page, forgets it first."""

from contextvars import ContextVar

from django.utils.translation import gettext as _

from dukaan.catalog.selectors import StoreFound, store_for_slug
from dukaan.infra.not_found import NotHere

_looked_up: ContextVar[tuple[str, StoreFound | None] | None] = ContextVar("looked_up_store", default=None)


def found_store(slug: str) -> StoreFound | None:
    found = _looked_up.get()
    if found is None or found[0] != slug:
        found = (slug, store_for_slug(slug))
        _looked_up.set(found)
    return found[1]


def found_store_or_404(slug: str) -> StoreFound:
    found = found_store(slug)
    if found is None:
        raise NotHere(_("There is no store at this link."))
    return found


def forget_found_store() -> None:
    _looked_up.set(None)
