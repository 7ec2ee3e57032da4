"""What an app hands infra from its apps.py is checked when it is handed, with a message that names it."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse

from dukaan.accounts.models import User
from dukaan.infra import registry


def test_declaring_a_field_the_model_lacks_stops_start_up_and_names_it():
    with pytest.raises(ImproperlyConfigured, match="accounts.User has no field 'mobile'"):
        registry.add_personal_fields(User, mobile=registry.Personal.PHONE)
    assert "mobile" not in registry.personal_fields["accounts.User"]


def test_a_second_renderer_for_the_same_path_is_refused(monkeypatch):
    monkeypatch.setattr(registry, "_unavailable_renderers", {})

    def first(request, message):
        return HttpResponse(message, status=503)

    registry.add_unavailable_renderer("/shop-api/", first)
    registry.add_unavailable_renderer("/shop-api/", first)  # ready() run again: the same one is fine
    with pytest.raises(ImproperlyConfigured, match="Two renderers of the unavailable page for '/shop-api/'"):
        registry.add_unavailable_renderer("/shop-api/", lambda request, message: HttpResponse(status=503))
    assert registry.unavailable_renderer("/shop-api/v1/orders") is first
    assert registry.unavailable_renderer("/s/demo/") is None
