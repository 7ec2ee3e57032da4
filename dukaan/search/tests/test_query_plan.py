"""How a query is planned: the typo rule, typos inside synonyms, tiers, what a product is for, and
"did you mean" (the pieces every engine adapter asks for; test_relevance.py checks the engines)."""

from dukaan.search.analysis import (
    did_you_mean,
    field_texts,
    minimum_should_match,
    plan_query,
    starts_within_typos,
    within_typos,
)
from dukaan.search.backend import ProductDocument


def test_a_typo_keeps_the_first_letter_and_the_number_of_edits_grows_with_the_word():
    assert within_typos("tabel", "table") and within_typos("samsng", "samsung")
    assert not within_typos("ramp", "lamp")  # first letter
    assert not within_typos("dining", "living") and not within_typos("marble", "table")
    assert not within_typos("bde", "bed")  # three letters: none
    assert within_typos("bannaresi", "banarasi") and not within_typos("shisham", "sheesham")


def test_the_last_word_may_be_the_start_of_a_word_with_a_typo():
    assert starts_within_typos("pohn", "phone") and starts_within_typos("sliop", "slipper")
    assert not starts_within_typos("pohn", "poster")


def test_a_typo_inside_a_synonym_brings_its_group():
    [plan] = plan_query("lunhbox")
    assert plan.near_synonyms == ("lunchbox",)
    assert plan.fuzzy_synonym_stems >= {"tiffin", "lunchbox"}
    [plan] = plan_query("gamchha", (("gamcha", "towel"),))  # the store's own groups too
    assert "towel" in plan.fuzzy_synonym_stems


def test_a_plan_knows_each_words_stems_and_which_word_is_last():
    first, last = plan_query("Mobiles kurt")
    assert (first.stem, last.stem, first.is_last, last.is_last) == ("mobil", "kurt", False, True)
    assert {"phone", "smartphon"} <= first.synonym_stems and "mobil" in first.exact_stems
    assert len(plan_query("a b c d e f g h i j")) == 8


def test_related_products_match_at_least_half_the_words():
    assert [minimum_should_match(n) for n in (2, 3, 4, 5)] == [1, 2, 2, 3]


def test_what_a_product_is_for_counts_as_its_description():
    def texts(name):
        return field_texts(
            ProductDocument(1, 1, 1, name, "Soft case", None, "Covers", 0, True, 0.0, "Colour: Red")
        )

    cover = texts("Flip Cover for Samsung Galaxy M14 (Blue)")
    assert cover["name"] == "Flip Cover (Blue)"
    assert "Samsung Galaxy M14" in cover["body"] and "Soft case" in cover["body"]
    assert texts("For Him Perfume")["name"] == "For Him Perfume"


def test_did_you_mean_corrects_from_the_names_found_else_from_the_synonyms():
    plans = plan_query("wodden bed tabel")
    assert did_you_mean(plans, {"wodden", "tabel"}, ["Wooden Bed", "Teak Table"]) == "wooden bed table"
    assert did_you_mean(plan_query("lunhbox"), {"lunhbox"}, ["Steel Tiffin"]) == "lunchbox"
    assert did_you_mean(plan_query("pohn"), {"pohn"}, ["Nokia Keypad Phone"]) == "phone"
    assert did_you_mean(plan_query("wooden bed"), set(), ["Wooden Bed"]) == ""
