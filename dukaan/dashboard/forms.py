"""Forms of the merchant dashboard: they validate input; services do the writing."""

from django import forms
from django.core.exceptions import ValidationError

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
            raise ValidationError(f"Upload at most {MAX_IMAGES_PER_PRODUCT} images.")
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
    logo = ImageField(required=False, help_text="A square image looks best. JPEG, PNG or WebP.")

    class Meta:
        model = Store
        fields = ["name", "slug", "whatsapp", "currency", "upi_id"]
        labels = {"slug": "Store link"}
        help_texts = {"slug": "Your share link will be /s/<this>/. Lowercase letters, digits and hyphens."}
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

    def validate_unique(self):
        """Slug availability is the service's to check, with a suggestion."""


class ProductForm(forms.ModelForm):
    new_images = MultipleImageField(required=False, label="Add images", help_text="Up to 8 photos.")

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
        error_messages = {"stock": {"min_value": "Stock cannot be negative. Use 0 for out of stock."}}
        field_classes = {"price": MoneyField, "compare_at_price": MoneyField}

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(store=store)
        self.fields["category"].empty_label = "No category"

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
    options = forms.CharField(max_length=200, help_text="For example “Size: M, Colour: Red”")
    price = MoneyField(max_digits=12, decimal_places=2, validators=[validate_price])
    sku = forms.CharField(max_length=64, required=False, label="SKU")
    stock = forms.IntegerField(required=False, validators=[validate_stock], help_text="Empty = unlimited")

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
    name = forms.CharField(max_length=60, validators=[validate_text])


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="What will use it, e.g. “POS” or “stock sync”.")
    scopes = forms.MultipleChoiceField(
        label="It may",
        choices=[(scope.value, f"{scope} — {scope.description}") for scope in Scope],
        initial=[Scope.CATALOG_READ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one thing the token may do."},
        help_text="Give it only what the program needs. Scopes cannot be changed later: make a new token.",
    )

    def __init__(self, *args, allowed=frozenset(Scope), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the scopes the member's role may give are offered; the service refuses the others.
        self.fields["scopes"].widget.choices = [c for c in self.fields["scopes"].choices if c[0] in allowed]


class SynonymsForm(forms.Form):
    text = forms.CharField(
        label="Synonyms",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 12, "placeholder": "kurti, kurta, tunic\nmobile, phone, smartphone"}
        ),
        help_text="One group per line: single words that mean the same to your buyers, separated by commas.",
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
                f"{row}: enter a price like 199.00 and a whole number of items (or leave stock empty)."
            )
            continue
        except ValidationError as error:
            errors.append(f"{row}: {' '.join(error.messages)}")
            continue
        edits.append(BulkEdit(product_id=product_id, price=price, stock=stock, stock_unlimited=stock is None))
    return edits, errors
