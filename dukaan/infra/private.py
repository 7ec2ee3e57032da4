"""Answers to someone signed in are kept by no cache, neither a shared one nor the browser's.

Dashboard pages and merchant API answers show buyers' names, phones and addresses. An answer that
says nothing about caching may be kept by a proxy, and by the browser on disk, where Back shows it
again after logging out of a shared phone. So an answer without a Cache-Control of its own, to a
request carrying a login session or an Authorization header, is marked `private, no-store`. Views
that choose their caching (public store pages, the buyer's cart and order pages) keep their choice.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control


class NoStoreWhenSignedInMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if request.META.get("HTTP_AUTHORIZATION") or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
