"""Forms of the merchant dashboard: they validate input; services do the writing."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import LoginRefused, normalize_phone
from dukaan.catalog import images
from dukaan.catalog.models import Category, Product, Store
from dukaan.catalog.rules import (
    parse_money,
    parse_options,
    slug_problem,
    validate_compare_at,
    validate_price,
    validate_stock,
    validate_text,
)
from dukaan.catalog.services import MAX_IMAGES_PER_PRODUCT, BulkEdit, VariantInput
from dukaan.infra.integers import MAX_ID

IMAGE_TYPES = "image/jpeg,image/png,image/webp,image/gif"
# Django's own form errors, marked here so that this app's Hindi catalogue, which Django reads ahead of
# its own, says them in plain shop Hindi: Django's reads stiffly ("यह क्षेत्र अपेक्षित हैं").
DJANGO_FORM_ERRORS = (
    gettext_noop("This field is required."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid date/time."),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("The submitted file is empty."),
)


def _image_errors(upload) -> list[str]:
    try:
        images.validate_image(upload)
    except ValidationError as error:
        return [f"{upload.name}: {' '.join(error.messages)}"]
    return []


class ImageField(forms.FileField):
    """One image file, checked by its content rather than its name."""

    widget = forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES})

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and (errors := _image_errors(upload)):
            raise ValidationError(errors)
        return upload or None


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several image files in one input; each is checked by its content."""

    widget = MultipleImageInput(attrs={"accept": IMAGE_TYPES})

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > MAX_IMAGES_PER_PRODUCT:
            raise ValidationError(_("Upload at most %(count)d images.") % {"count": MAX_IMAGES_PER_PRODUCT})
        errors = [message for upload in files for message in _image_errors(upload)]
        if errors:
            raise ValidationError(errors)
        return files


class MoneyField(forms.DecimalField):
    """An amount, read by the API's rule (catalog.rules.parse_money): "1e3", "1_000" or "١٠٠٠" is refused."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_money(str(value).strip())


class StoreForm(forms.ModelForm):
    logo = ImageField(
        required=False,
        label=gettext_lazy("Logo"),
        help_text=gettext_lazy("A square image looks best. JPEG, PNG or WebP."),
    )

    class Meta:
        model = Store
        fields = ["name", "slug", "whatsapp", "currency", "language", "upi_id"]
        labels = {
            "name": gettext_lazy("Name"),
            "slug": gettext_lazy("Store link"),
            "whatsapp": gettext_lazy("WhatsApp number"),
            "currency": gettext_lazy("Currency"),
            "language": gettext_lazy("Buyers' language"),
            "upi_id": gettext_lazy("UPI ID"),
        }
        help_texts = {
            "slug": gettext_lazy(
                "Your share link will be /s/<this>/. Lowercase letters, digits and hyphens."
            ),
            "whatsapp": gettext_lazy("E.164, for example +919812345678"),
            "upi_id": gettext_lazy(
                "For example asha@okaxis, so buyers can pay you by UPI. Empty: cash on delivery only."
            ),
        }
        widgets = {"whatsapp": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        problem = slug_problem(slug)
        if problem:
            raise ValidationError(problem)
        return slug

    def clean_whatsapp(self):
        try:
            return normalize_phone(self.cleaned_data["whatsapp"])
        except LoginRefused as error:
            raise ValidationError(str(error)) from error

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A form sent without it (an older page, the first store) keeps the store's language.
        self.fields["language"].required = False

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.instance.language

    def validate_unique(self):
        """Slug availability is the service's to check, with a suggestion."""


class ProductForm(forms.ModelForm):
    new_images = MultipleImageField(
        required=False, label=gettext_lazy("Add images"), help_text=gettext_lazy("Up to 8 photos.")
    )

    class Meta:
        model = Product
        fields = ["name", "description", "price", "compare_at_price", "sku", "stock", "category", "is_active"]
        widgets = {
            "price": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
            "compare_at_price": forms.NumberInput(
                attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}
            ),
            "stock": forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}),
            "description": forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
        }
        labels = {
            "name": gettext_lazy("Name"),
            "description": gettext_lazy("Description"),
            "price": gettext_lazy("Price"),
            "compare_at_price": gettext_lazy("Compare-at price"),
            "sku": "SKU",
            "stock": gettext_lazy("Stock"),
            "category": gettext_lazy("Category"),
            "is_active": gettext_lazy("Visible in the store"),
        }
        help_texts = {
            "compare_at_price": gettext_lazy(
                "The original price, shown struck through when higher than the price."
            ),
            "stock": gettext_lazy("Empty means unlimited."),
        }
        error_messages = {
            "stock": {"min_value": gettext_lazy("Stock cannot be negative. Use 0 for out of stock.")}
        }
        field_classes = {"price": MoneyField, "compare_at_price": MoneyField}

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(store=store)
        self.fields["category"].empty_label = _("No category")

    def clean(self):
        data = super().clean()
        try:
            validate_compare_at(data.get("price"), data.get("compare_at_price"))
        except ValidationError as error:
            self.add_error(None, error)
        return data

    def validate_unique(self):
        """SKU clashes are caught by the service inside its transaction."""


class VariantForm(forms.Form):
    id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    options = forms.CharField(
        max_length=200,
        label=gettext_lazy("Options"),
        help_text=gettext_lazy("For example “Size: M, Colour: Red”"),
    )
    price = MoneyField(
        max_digits=12, decimal_places=2, validators=[validate_price], label=gettext_lazy("Price")
    )
    sku = forms.CharField(max_length=64, required=False, label="SKU")
    stock = forms.IntegerField(
        required=False,
        validators=[validate_stock],
        label=gettext_lazy("Stock"),
        help_text=gettext_lazy("Empty = unlimited"),
    )

    def clean_options(self):
        return parse_options(self.cleaned_data["options"])

    def to_input(self) -> VariantInput:
        data = self.cleaned_data
        return VariantInput(
            id=data.get("id"),
            options=data["options"],
            price=data["price"],
            sku=data["sku"],
            stock=data["stock"],
        )


VariantFormSet = forms.formset_factory(VariantForm, extra=2, can_delete=True, max_num=50, validate_max=True)


def variant_initial(product: Product) -> list[dict]:
    return [
        {"id": v.pk, "options": v.options_text, "price": v.price, "sku": v.sku, "stock": v.stock}
        for v in product.variants.all()
    ]


def variant_inputs(formset) -> list[VariantInput]:
    """The variants a valid formset keeps: filled rows not marked for deletion."""
    return [
        form.to_input()
        for form in formset.forms
        if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class CategoryForm(forms.Form):
    # Checked here too: the category views read any error from the service as a name already in use.
    name = forms.CharField(max_length=60, validators=[validate_text], label=gettext_lazy("Name"))


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy("What will use it, e.g. “POS” or “stock sync”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("It may"),
        # A callable, so each form shows the descriptions in the language of its request.
        choices=lambda: [(scope.value, f"{scope} — {scope.description}") for scope in Scope],
        initial=[Scope.CATALOG_READ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Tick at least one thing the token may do.")},
        help_text=gettext_lazy(
            "Give it only what the program needs. Scopes cannot be changed later: make a new token."
        ),
    )

    def __init__(self, *args, allowed=frozenset(Scope), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the scopes the member's role may give are offered; the service refuses the others.
        self.fields["scopes"].widget.choices = [c for c in self.fields["scopes"].choices if c[0] in allowed]


class SynonymsForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Synonyms"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 12, "placeholder": "kurti, kurta, tunic\nmobile, phone, smartphone"}
        ),
        help_text=gettext_lazy(
            "One group per line: single words that mean the same to your buyers, separated by commas."
        ),
    )


def parse_bulk_edits(post, names: dict[int, str]) -> tuple[list[BulkEdit], list[str]]:
    """Read the bulk edit table: each row has price_<id> and stock_<id> (empty stock = unlimited).

    `names` maps the ids of the merchant's own products to their names; other ids are ignored.
    """
    edits, errors = [], []
    for product_id, row in names.items():
        raw_price = post.get(f"price_{product_id}", "").strip()
        raw_stock = post.get(f"stock_{product_id}", "").strip()
        try:
            price = parse_money(raw_price)
            validate_price(price)
            stock = int(raw_stock) if raw_stock else None
            validate_stock(stock)
        except ValueError:
            errors.append(
                _("%(name)s: enter a price like 199.00 and a whole number of items (or leave stock empty).")
                % {"name": row}
            )
            continue
        except ValidationError as error:
            errors.append(f"{row}: {' '.join(error.messages)}")
            continue
        edits.append(BulkEdit(product_id=product_id, price=price, stock=stock, stock_unlimited=stock is None))
    return edits, errors
