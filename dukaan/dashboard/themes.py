"""The Theme page (Store → Theme): the store's theme, brand colour, home-page banner and announcement
bar, with a live preview of the store's home in the unsaved choice (docs/themes.md)."""

from dataclasses import replace

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from dukaan.accounts.roles import Access
from dukaan.catalog.selectors import store_look
from dukaan.catalog.services import update_store_theme
from dukaan.catalog.snapshot import ListingPage, build_store_catalog, listing_page
from dukaan.catalog.themes import (
    MAX_ANNOUNCEMENT,
    THEMES,
    StoreLook,
    parse_colour,
    validate_announcement_link,
)
from dukaan.infra.not_found import NotHere

from .forms import ImageField
from .views import _add_errors, store_required

PREVIEW_PRODUCTS = 12  # the first products of the store's home: enough to judge a theme by


class LookForm(forms.Form):
    """What the preview takes; the theme page adds the banner."""

    theme = forms.ChoiceField(
        choices=[
            (theme.key, format_lazy("{}: {}", theme.label, theme.description)) for theme in THEMES.values()
        ],
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": gettext_lazy("Choose one of the themes shown (%(value)s is not one).")
        },
    )
    colour = forms.CharField(
        label=gettext_lazy("Brand colour"),
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "# and six hex digits, like #12372a; empty: the theme's own. Text on it is white or black, "
            "whichever reads better."
        ),
    )
    announcement = forms.CharField(
        label=gettext_lazy("Announcement bar"),
        required=False,
        max_length=MAX_ANNOUNCEMENT,
        help_text=format_lazy(
            gettext_lazy("A line on top of every page, up to {count} characters; empty: no bar."),
            count=MAX_ANNOUNCEMENT,
        ),
    )
    announcement_link = forms.CharField(
        label=gettext_lazy("Announcement link"),
        required=False,
        max_length=200,
        validators=[validate_announcement_link],
        help_text=gettext_lazy("Optional: where the bar leads, https://… or a page of your store, /s/…"),
    )

    def clean_colour(self) -> str:
        return parse_colour(self.cleaned_data["colour"])


class ThemeForm(LookForm):
    banner = ImageField(
        label=gettext_lazy("Banner"),
        required=False,
        help_text=gettext_lazy("A wide photo on top of your home page (about 3:1). JPEG, PNG or WebP."),
    )
    remove_banner = forms.BooleanField(label=gettext_lazy("Remove the banner"), required=False)


def _look_fields(look: StoreLook) -> dict[str, str]:
    return {name: getattr(look, name) for name in ("theme", "colour", "announcement", "announcement_link")}


@store_required(Access.SETTINGS)
def store_theme(request):
    store = request.store
    saved = store_look(store.pk)
    form = ThemeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_store_theme(
                store=store,
                theme=data["theme"],
                colour=data["colour"],
                announcement=data["announcement"],
                announcement_link=data["announcement_link"],
                banner=data["banner"],
                remove_banner=data["remove_banner"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Theme saved. Buyers see it from now on."))
            return redirect("dashboard:store_theme")
    if not form.is_bound:
        form.initial = _look_fields(saved)
    context = {"store": store, "form": form, "saved": saved}
    # A refused change is a 400 with the form and its messages; nothing was saved.
    return render(request, "dashboard/store_theme.html", context, status=400 if form.errors else 200)


@require_GET
@store_required(Access.SETTINGS)
@xframe_options_sameorigin  # shown in the theme page's frame, and nowhere else
@cache_control(private=True, no_store=True)
def store_theme_preview(request):
    """The merchant's own store home as it would look with the theme, colour and announcement in the
    query (unsaved); the saved banner. Only to its owner, kept by no cache."""
    store = request.store
    saved = store_look(store.pk)
    # What the query leaves out is the saved choice: with no query, the store as buyers see it.
    form = LookForm({**_look_fields(saved), **request.GET.dict()})
    if not form.is_valid():
        problems = " ".join(message for errors in form.errors.values() for message in errors)
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    catalog = build_store_catalog(store.pk, ListingPage(None, 1, PREVIEW_PRODUCTS))
    if catalog is None:  # the store went away after the login was checked
        raise NotHere(_("There is no store to preview."))
    look = replace(
        catalog.look,
        theme=data["theme"],
        colour=data["colour"],
        announcement=" ".join(data["announcement"].split()),
        announcement_link=data["announcement_link"],
    )
    catalog = replace(catalog, look=look)
    page = listing_page(catalog.product_count, 1, PREVIEW_PRODUCTS)
    page.object_list = catalog.products
    seo = {
        "title": _("Preview · %(store)s") % {"store": store.name},
        "og_title": store.name,
        "url": store.share_url,
        "noindex": True,
    }
    context = {
        "store": catalog,
        "look": look,
        "page": page,
        "seo": seo,
        "cart_count": 0,
        "whatsapp_digits": catalog.whatsapp_digits,
    }
    return render(request, "storefront/store_home.html", context)
