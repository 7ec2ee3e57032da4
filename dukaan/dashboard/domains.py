"""Store → Domain: the shopkeeper's own domain for the store (docs/domains.md). Add it, create the DNS
records shown, press "Verify now"; from then on the store is served there, over HTTPS, and its links
and QR code point there. Remove it to go back to the platform link."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dukaan.accounts.roles import Access
from dukaan.catalog.domains import (
    add_domain,
    platform_host,
    record_name,
    record_value,
    remove_domain,
    store_domain,
    verify_domain,
)

from .views import _add_errors, store_required


class DomainForm(forms.Form):
    domain = forms.CharField(
        max_length=253,
        label=gettext_lazy("Domain"),
        help_text=gettext_lazy("A domain or subdomain you bought, like shop.example.in."),
        widget=forms.TextInput(attrs={"placeholder": "shop.example.in", "autocapitalize": "none"}),
    )


def _page(request, form: DomainForm, *, problem: ValidationError | None = None, status: int = 200):
    """The page; `problem`, from verifying or removing, is shown above the domain."""
    found = store_domain(request.store)
    context = {
        "store": request.store,
        "form": form,
        "found": found,
        "platform": platform_host(),
        "problems": problem.messages if problem else [],
    }
    if found is not None:
        context["txt_name"], context["txt_value"] = record_name(found.domain), record_value(found)
    return render(request, "dashboard/store_domain.html", context, status=status)


@store_required(Access.SETTINGS)
def store_domain_page(request):
    form = DomainForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, form, status=400)
        try:
            added = add_domain(store=request.store, domain=form.cleaned_data["domain"])
        except ValidationError as error:
            _add_errors(form, error)
            return _page(request, form, status=400)
        messages.success(
            request,
            _("%(domain)s added. Create the two DNS records below, then verify.") % {"domain": added.domain},
        )
        return redirect("dashboard:store_domain")
    return _page(request, form)


@require_POST
@store_required(Access.SETTINGS)
def store_domain_verify(request):
    try:
        found = verify_domain(store=request.store)
    except ValidationError as error:
        return _page(request, DomainForm(), problem=error, status=400)
    messages.success(
        request,
        _("%(domain)s is verified: your store is at https://%(domain)s/ now.") % {"domain": found.domain},
    )
    return redirect("dashboard:store_domain")


@require_POST
@store_required(Access.SETTINGS)
def store_domain_remove(request):
    try:
        remove_domain(store=request.store)
    except ValidationError as error:
        return _page(request, DomainForm(), problem=error, status=400)
    messages.success(request, _("Domain removed. Your store is at its Dukaan link again."))
    return redirect("dashboard:store_domain")
