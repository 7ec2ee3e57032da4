"""The text analysis every search engine and the database fallback share."""

from collections import defaultdict

import pytest

from dukaan.search.analysis import (
    GLOBAL_SYNONYMS,
    alternatives,
    highlight,
    max_typos,
    parse_synonym_group,
    stem,
    typo_distance,
    words,
)


def test_words_are_casefolded_without_accents_and_split_on_anything_else():
    assert words("Café-Chairs, SET of 2 (Teak)") == ["cafe", "chairs", "set", "of", "2", "teak"]
    assert words("Straße") == ["strasse"]
    assert words("  -- !! ") == []


@pytest.mark.parametrize(
    "devanagari, latin",
    [
        ("साड़ी", "sari"),  # ड़ is r; ī as i
        ("कुर्ता", "kurta"),
        ("चावल", "chawal"),  # no final "a"; च is ch, व is w
        ("चप्पल", "chappal"),
        ("हल्दी", "haldi"),
        ("लाल", "lal"),
        ("दाल", "dal"),
        ("छाता", "chhata"),  # छ is chh
        ("शक्कर", "shakkar"),  # श is sh
        ("नमकीन", "namkin"),  # no unsaid "a" inside the word either
        ("अदरक", "adrak"),
        ("पंखा", "pankha"),  # anusvara is n ...
        ("कंबल", "kambal"),  # ... and m before p, b, m
        ("चाँदी", "chandi"),  # chandrabindu too
        ("इत्र", "itra"),  # a final "a" after a cluster ending in र is said
        ("ज्ञान", "gyan"),
        ("फ़ोन", "fon"),
    ],
)
def test_devanagari_words_are_spelt_as_shoppers_type_hindi_in_latin_letters(devanagari, latin):
    assert words(devanagari) == [latin]


def test_a_devanagari_word_then_matches_latin_words_through_synonyms():
    assert words("लाल सूती साड़ी") == ["lal", "suti", "sari"]
    assert {"saree", "sari"} <= alternatives(words("साड़ी")[0])
    assert "rice" in alternatives(words("चावल")[0])
    assert "red" in alternatives(words("लाल")[0])


def test_latin_and_mixed_text_keep_their_latin_letters():
    assert words("Red Cotton Saree, 5.5 m") == ["red", "cotton", "saree", "5", "5", "m"]
    assert words("LED-बल्ब 9W") == ["led", "balb", "9w"]
    assert words("5किलो") == ["5kilo"]


def test_plurals_and_word_forms_share_a_stem():
    assert stem("kurtas") == stem("kurta")
    assert stem("batteries") == stem("battery")
    assert stem("chappals") == stem("chappal")
    assert stem("running") == stem("run")
    assert stem("samsung") != stem("samsonite")


def test_typos_allowed_none_up_to_three_letters_one_from_four_two_from_eight():
    assert [max_typos(word) for word in ["tv", "dal", "kurta", "samsng", "sheesham"]] == [0, 0, 1, 1, 2]


def test_typo_distance_counts_a_swap_of_neighbours_as_one():
    assert typo_distance("samsng", "samsung") == 1
    assert typo_distance("smasung", "samsung") == 1
    assert typo_distance("kitten", "sitting") == 3
    assert typo_distance("", "tv") == 2


def test_the_global_list_has_the_shopping_words_people_use():
    assert len(GLOBAL_SYNONYMS) >= 40
    assert {"mobile", "phone", "smartphone"} <= alternatives("mobile")
    assert "slipper" in alternatives("chappal")
    assert "kurta" in alternatives("kurti")
    assert "sari" in alternatives("saree")


def test_alternatives_match_the_group_by_stem():
    assert "phone" in alternatives("mobiles")
    assert "chappal" in alternatives("slippers")


def test_a_word_without_synonyms_is_its_own_only_alternative():
    assert alternatives("samsung") == {"samsung"}


def test_store_synonyms_add_to_the_global_list():
    store_groups = (("tee", "tshirt"),)
    assert alternatives("tees", store_groups) == {"tees", "tee", "tshirt"}
    assert alternatives("mobile", store_groups) == alternatives("mobile")
    assert "tshirt" not in alternatives("tee")


def test_glasses_is_not_a_synonym_of_spectacles_since_a_glass_is_also_a_tumbler():
    assert "spectacles" not in alternatives("glass")
    assert "eyeglasses" in alternatives("spectacles")


def test_a_synonym_group_is_parsed_into_normalised_words():
    assert parse_synonym_group(" Mobile, PHONE ,mobile, Smartphone,") == ("mobile", "phone", "smartphone")


def test_a_synonym_group_must_be_single_words():
    with pytest.raises(ValueError, match="more than one word"):
        parse_synonym_group("tee, t shirt")


def test_a_synonym_group_needs_two_different_words():
    with pytest.raises(ValueError, match="at least two"):
        parse_synonym_group("tee, Tee,")


def test_no_word_of_the_global_list_is_in_two_groups():
    # Such a word would join the two groups: "glass" cannot mean both spectacles and a tumbler.
    groups_of_stem = defaultdict(set)
    for number, group in enumerate(GLOBAL_SYNONYMS):
        for word in group:
            groups_of_stem[stem(word)].add(number)
    assert {word_stem: groups for word_stem, groups in groups_of_stem.items() if len(groups) > 1} == {}


def test_highlight_marks_words_matched_by_stem_synonym_prefix_and_typo():
    assert highlight("Cotton Kurta", "kurtas") == "Cotton <mark>Kurta</mark>"
    assert highlight("Leather Slipper", "chappal") == "Leather <mark>Slipper</mark>"
    assert highlight("Samsung Galaxy M14", "sams") == "<mark>Samsung</mark> Galaxy M14"
    assert highlight("Samsung Galaxy M14", "samsng") == "<mark>Samsung</mark> Galaxy M14"


def test_highlight_uses_the_store_synonyms_it_is_given():
    assert highlight("Printed Tee", "tshirt", (("tee", "tshirt"),)) == "Printed <mark>Tee</mark>"
    assert highlight("Printed Tee", "tshirt") == "Printed Tee"


def test_only_the_last_query_word_matches_as_a_prefix():
    assert highlight("Samsung Galaxy", "sam galaxy") == "Samsung <mark>Galaxy</mark>"


def test_highlight_escapes_html_in_the_name():
    assert highlight("<b>Kurta</b> & co", "kurta") == "&lt;b&gt;<mark>Kurta</mark>&lt;/b&gt; &amp; co"
    assert highlight('Say "hi"', "") == "Say &quot;hi&quot;"


def test_highlight_marks_the_devanagari_words_of_a_name_as_written():
    name = "लाल सूती साड़ी"
    assert highlight(name, "red cotton saree") == "<mark>लाल</mark> <mark>सूती</mark> <mark>साड़ी</mark>"
    assert highlight(name, "साड़ी") == "लाल सूती <mark>साड़ी</mark>"
    assert highlight("Banarasi Silk Saree", "रेशमी साड़ी") == "Banarasi <mark>Silk</mark> <mark>Saree</mark>"


def test_highlight_keeps_the_name_as_written():
    assert highlight("CAFÉ Chair", "cafe") == "<mark>CAFÉ</mark> Chair"


def test_a_zero_width_joiner_inside_a_devanagari_word_keeps_it_one_word():
    assert words("क्\u200dष Kurta") == words("क्ष Kurta") == [words("क्ष")[0], "kurta"]
    assert words("\u200d") == []
