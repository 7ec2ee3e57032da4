"""The staff's events: a phone invited to a store, and a store handed to a new owner.

They go to the aggregate type `store` (topic dukaan.store, as catalog.events.STORE, which this app may
not import), so no new topic is needed; the notifier texts the people they name.
"""

from typing import TypedDict

from dukaan.events.contract import declare

STORE = "store"


class StaffInvited(TypedDict):
    user_id: int
    role: str  # a roles.Role value


class StoreHandedOver(TypedDict):
    from_user_id: int  # the old owner, now an Admin
    to_user_id: int  # the new owner


STAFF_INVITED = declare("staff.invited", aggregatetype=STORE, payload=StaffInvited)
STORE_HANDED_OVER = declare("store.handed_over", aggregatetype=STORE, payload=StoreHandedOver)
