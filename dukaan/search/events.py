"""The search app's events: a store's own synonyms changed."""

from typing import TypedDict

from dukaan.catalog.events import CATALOG
from dukaan.events.contract import declare


class SynonymsChanged(TypedDict):
    groups: int  # how many groups the store has now


# On the catalog's topic, in order with the store's other catalog changes: the storefront drops the
# store's pages so no search page keeps answering with the old synonyms. The index itself does not
# change (synonyms are applied to each query as it is asked).
SYNONYMS_CHANGED = declare("store.synonyms_changed", aggregatetype=CATALOG, payload=SynonymsChanged)
