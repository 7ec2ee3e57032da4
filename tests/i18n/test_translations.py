"""Hindi as well as English (docs/i18n.md): every string a person reads is marked for translation, the
Hindi catalogues translate every one of them, and a buyer's pages in Hindi hold no English sentence
but the shopkeeper's own words."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

from dukaan.infra.catalogues import mo_bytes, parse_po

ROOT = Path(__file__).resolve().parents[2]
# The folders whose templates and Python strings are checked, each with its own catalogue in
# <folder>/locale/hi/LC_MESSAGES/django.po. The lead adds the dashboard's and accounts' here.
COVERED = (
    "dukaan/storefront",
    "dukaan/orders",
    "dukaan/shipping",
    "dukaan/promotions",
    "dukaan/catalog",
    "dukaan/notifications",
    "dukaan/payments",
    "dukaan/templates",
    "dukaan/dashboard",
    "dukaan/accounts",
    "dukaan/invoices",
    "dukaan/taxes",
    "dukaan/infra",
    "dukaan/api",
    "dukaan/fulfilment",
    "dukaan/search",
)
# Words that are the same in both languages: the brand, and names buyers know in English letters.
SAME_IN_EVERY_LANGUAGE = {
    "Dukaan", "UPI", "GST", "PDF", "WhatsApp", "Razorpay", "COD", "SMS", "PIN",
    "Google", "Pay", "PhonePe", "Paytm", "SAVE10", "RTO", "CNAME", "TXT", "DNS", "HTTPS", "IP",
}  # fmt: skip
# Attributes a person reads or hears (a screen reader reads aria-label).
READ_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}
WORD = re.compile(r"[^\W\d_]+")
HOLE = "\x00"  # where a template tag or variable was: its output is translated or data


URL = re.compile(r"(?<!\w)(?:[a-z]+://|/)\S*")  # https://…, /s/…: addresses, the same in every language


def _english_words(text: str) -> list[str]:
    text = URL.sub(" ", text.replace(HOLE, " "))
    return [word for word in WORD.findall(text) if word not in SAME_IN_EVERY_LANGUAGE]


class _Unmarked(HTMLParser):
    """Text nodes and read attributes that still hold words once the template's own holes are out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skipping = 0  # inside <style> or <script>

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skipping += 1
        values = dict(attrs)
        shown = {name for name in READ_ATTRIBUTES if values.get(name)}
        if tag == "input" and values.get("type") in ("submit", "button"):  # an <option>'s value is not shown
            shown.add("value")
        for name in shown:
            if _english_words(values.get(name) or ""):
                self.found.append(f'<{tag} {name}="{values[name]}">')

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and _english_words(data):
            self.found.append(" ".join(data.replace(HOLE, "…").split()))


def unmarked_strings(source: str) -> list[str]:
    """What a template shows that is neither inside {% trans %}/{% blocktrans %} nor a variable (nor a
    {% comment %})."""
    html, inside = [], 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktrans", "blocktranslate", "comment"):
                inside += 1
            elif name in ("endblocktrans", "endblocktranslate", "endcomment"):
                inside -= 1
            html.append(" ")  # a tag may stand between a tag's attributes: {% if %} class="x"{% endif %}
        elif token.token_type == TokenType.VAR:
            html.append(HOLE)
        elif token.token_type == TokenType.TEXT:
            html.append(HOLE if inside else token.contents)
    parser = _Unmarked()
    parser.feed("".join(html))
    parser.close()
    return parser.found


def _templates() -> list[Path]:
    return sorted(
        path
        for folder in COVERED
        for path in (ROOT / folder).glob("**/*.html")
        if "/tests/" not in path.as_posix()
    )


@pytest.mark.parametrize("template", _templates(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_string_a_template_shows_is_marked_for_translation(template):
    assert unmarked_strings(template.read_text(encoding="utf-8")) == []


def test_the_template_check_finds_an_unmarked_word_and_passes_a_marked_one():
    assert unmarked_strings('<p title="Hello">{% trans "Hi" %} <b>Cart</b> {{ name }}</p>') == [
        '<p title="Hello">',
        "Cart",
    ]
    assert (
        unmarked_strings("{% load i18n %}<p>{% blocktrans %}Hi {{ name }}{% endblocktrans %} · ₹40</p>") == []
    )


def _makemessages(folder: str, into: Path) -> Path:
    """The folder's catalogue as `makemessages` leaves it after taking in the sources as they are now
    (a copy, so the tree is untouched): new strings show as untranslated, changed ones as fuzzy."""
    copy = into / Path(folder).name
    shutil.copytree(ROOT / folder, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__", "tests"))
    if not (copy / "locale").exists():
        (copy / "locale").mkdir()
    # The project's command, not `python -m django`: that would put the copy first on the path, where
    # an app's selectors.py or events.py hides the standard library's.
    command = Path(sys.executable).with_name("dukaan")
    subprocess.run(
        [command, "makemessages", "-l", "hi", "--no-location", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    return copy / "locale" / "hi" / "LC_MESSAGES" / "django.po"


PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|\{\{\d+\}\}|\{\w+\}")


@pytest.mark.parametrize("folder", COVERED)
def test_the_hindi_catalogue_translates_every_string_of_its_folder(folder, tmp_path):
    if shutil.which("xgettext") is None:
        pytest.fail("makemessages needs GNU gettext: apt-get install gettext (make sysdeps)")
    entries = [entry for entry in parse_po(_makemessages(folder, tmp_path).read_text("utf-8")) if entry.msgid]
    assert entries, f"{folder} has no string marked for translation"
    assert [entry.msgid for entry in entries if not entry.translated] == []
    for entry in entries:
        english = sorted(PLACEHOLDER.findall(entry.msgid))
        for hindi in entry.msgstr.values():
            assert sorted(PLACEHOLDER.findall(hindi)) == english, (entry.msgid, hindi)


def test_the_pure_python_compiler_writes_what_gettext_reads():
    import gettext
    import io

    po = (ROOT / "dukaan/storefront/locale/hi/LC_MESSAGES/django.po").read_text("utf-8")
    catalogue = gettext.GNUTranslations(io.BytesIO(mo_bytes(parse_po(po))))
    assert catalogue.gettext("Add to cart") == "कार्ट में डालें"
    assert catalogue.ngettext("%(counter)s result", "%(counter)s results", 5) == "%(counter)s नतीजे"
    assert catalogue.gettext("Not in any catalogue") == "Not in any catalogue"
