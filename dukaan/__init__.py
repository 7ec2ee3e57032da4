"""dukaan: a store from a phone number, one share link, orders."""
