"""The 404 page: in the reader's language, with what a person can do next.

Django's own says "The requested resource was not found on this server", in English, and drops the
message the view raised. A view that knows why a link leads nowhere raises `NotHere` with a message for
the person who followed it ("There is no order at this link. Check the link in your message from the
store."), translated when raised; the page shows it. Any other 404 (an address no URL pattern matches,
a `get_object_or_404`, whose message names our models) shows the page's general words only.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponseNotFound
from django.template.loader import render_to_string


class NotHere(Http404):
    """A 404 whose message (already translated) the page shows to the person who followed the link."""


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponseNotFound:
    message = str(exception) if isinstance(exception, NotHere) else ""
    return HttpResponseNotFound(render_to_string("404.html", {"message": message}, request))
