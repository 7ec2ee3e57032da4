"""A store's own search synonyms: words its buyers use for the same thing ("kurti, kurta, tunic")."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext

from dukaan.catalog.models import Store

from .analysis import parse_synonym_group

MAX_GROUPS = 200
MAX_TEXT_LENGTH = 10_000
MAX_PROBLEMS_SHOWN = 5

Groups = tuple[tuple[str, ...], ...]


def parse_synonyms(text: str) -> Groups:
    """The groups in the text: one per line, words separated by commas (analysis.parse_synonym_group).

    Raises ValidationError naming every line that is not a group of two or more different single
    words, or when there are more than MAX_GROUPS groups.
    """
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            gettext("That is %(count)s characters; synonyms can take at most %(most)s. Remove some lines.")
            % {"count": f"{len(text):,}", "most": f"{MAX_TEXT_LENGTH:,}"}
        )
    groups, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip(" ,\t"):
            continue
        try:
            groups.append(parse_synonym_group(line))
        except ValueError as error:
            problems.append(gettext("Line %(number)s: %(error)s") % {"number": number, "error": error})
    if len(groups) > MAX_GROUPS:
        problems.append(
            gettext(
                "There are %(count)s groups of synonyms; at most %(most)s are allowed. Remove some lines."
            )
            % {"count": len(groups), "most": MAX_GROUPS}
        )
    if problems:
        more = len(problems) - MAX_PROBLEMS_SHOWN
        rest = [gettext("… and %(count)s more like these.") % {"count": more}] if more > 0 else []
        shown = problems[:MAX_PROBLEMS_SHOWN] + rest
        raise ValidationError(shown)
    return tuple(groups)


def format_synonyms(groups: Groups) -> str:
    return "\n".join(", ".join(group) for group in groups)


class StoreSynonyms(models.Model):
    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="search_synonyms")
    # One group per line, words separated by commas, as parse_synonyms() accepts and format_synonyms()
    # writes; the service saves only text that parses.
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "store synonyms"

    def __str__(self) -> str:
        return f"Synonyms of store {self.store_id}"

    @property
    def groups(self) -> Groups:
        return parse_synonyms(self.text)
