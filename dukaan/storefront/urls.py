"""Public store pages, at the share link /s/<slug>/."""

from django.urls import path

from . import views

app_name = "storefront"
urlpatterns = [
    path("<slug:slug>/", views.store_home, name="store_home"),
]
