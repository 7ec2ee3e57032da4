"""What failures show: the debug page keeps passwords inside URLs hidden."""

import sys

from django.test import RequestFactory
from django.views.debug import technical_500_response

DATABASE_URL = "postgres://dukaan:db-pass-4821@10.0.0.5:5432/dukaan"
CACHE_URL = "redis://:cache-pass-9917@10.0.0.6:6379/0"
REPLICA_URL = "postgres://reader:replica-pass-3302@10.0.0.7:5432/dukaan"
PASSWORDS = ("db-pass-4821", "cache-pass-9917", "replica-pass-3302")


def test_the_debug_page_shows_where_the_databases_are_but_not_their_passwords(settings):
    settings.DEBUG = True
    settings.DATABASE_URL = DATABASE_URL
    settings.CACHE_URL = CACHE_URL
    settings.DATABASE_REPLICA_URLS = [REPLICA_URL]
    # runserver puts the whole environment into each request's META.
    request = RequestFactory().get("/media/x", DATABASE_URL=DATABASE_URL, CACHE_URL=CACHE_URL)
    try:
        connection_string = REPLICA_URL
        raise ValueError(f"could not reach {connection_string}")
    except ValueError:
        page = technical_500_response(request, *sys.exc_info()).content.decode()

    assert "DATABASE_URL" in page and "10.0.0.5:5432" in page and "10.0.0.6:6379" in page
    for password in PASSWORDS:
        assert password not in page
