"""URLs of the accounts app: the landing page, logging in and out, and the language menu."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("login/", views.login, name="login"),
    path("login/verify/", views.verify, name="verify"),
    path("logout/", views.logout, name="logout"),
    path("language/", views.language, name="language"),
]
