"""The Policies page: the store's returns, shipping, privacy and terms texts, each shown to buyers at
/s/<slug>/policies/<kind>/. A box shows the starting text until the shopkeeper writes their own."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dukaan.accounts.roles import Access
from dukaan.catalog.policies import KINDS, MAX_LENGTH, TITLES, policy_text
from dukaan.catalog.selectors import store_policies
from dukaan.catalog.services import update_store_policies

from .views import _add_errors, store_required


class PoliciesForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in KINDS:
            self.fields[kind] = forms.CharField(
                label=TITLES[kind],
                required=False,
                max_length=MAX_LENGTH,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 10}),
                error_messages={
                    "max_length": _(
                        "Keep this policy under %(limit)s characters "
                        "(it has %%(show_value)s): shorten it, then save again."
                    )
                    % {"limit": f"{MAX_LENGTH:,}"}
                },
                help_text=_("Empty the box and save to go back to the starting text."),
            )


@store_required(Access.SETTINGS)
def store_policies_page(request):
    store = request.store
    form = PoliciesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            update_store_policies(store=store, texts=form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Policies saved. Buyers see them from now on."))
            return redirect("dashboard:store_policies")
    if not form.is_bound:
        saved = store_policies(store.pk)
        form.initial = {kind: policy_text(kind, saved[kind], store.name) for kind in KINDS}
    return render(request, "dashboard/store_policies.html", {"store": store, "form": form})
