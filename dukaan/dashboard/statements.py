"""The "Match UPI payments" page: paste or upload a bank or UPI app statement, and the orders it pays
are marked paid; the page lists what became of every credit line."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from dukaan.accounts.roles import Access
from dukaan.accounts.services import dashboard_actor
from dukaan.payments.services import match_statement
from dukaan.payments.statements import StatementRefused, check_size, decode_statement

from .views import store_required


class StatementForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Paste statement lines"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "05-12-2026 UPI/CR/623456789012/RAVI KUMAR/…/REF D7K2M9PX 549.37 Cr",
            }
        ),
        help_text=gettext_lazy(
            "Copy the lines from your bank's or UPI app's statement: each with its date and amount."
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("Or upload the statement"),
        required=False,
        help_text=gettext_lazy("The CSV your bank exports (Excel: Save As → CSV), at most 2 MB."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("text", "").strip() and not data.get("file"):
            raise forms.ValidationError(gettext_lazy("Paste the statement's lines, or choose its file."))
        return data

    def statement_text(self) -> str:
        """The pasted text, or the uploaded file's text; StatementRefused when it cannot be read."""
        upload = self.cleaned_data["file"]
        if upload is None:
            return self.cleaned_data["text"]
        check_size(upload.size)  # before reading it
        return decode_statement(upload.read())


@store_required(Access.ORDER_MONEY)
def match_upi_payments(request):
    form = StatementForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = match_statement(
                store=request.store, text=form.statement_text(), by=dashboard_actor(request.user)
            )
        except StatementRefused as error:
            form.add_error(None, error.message)
        else:
            form = StatementForm()  # the report is the answer; the next statement starts from empty boxes
    return render(
        request, "dashboard/statements/match.html", {"store": request.store, "form": form, "report": report}
    )
