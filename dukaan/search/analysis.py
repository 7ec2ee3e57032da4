"""Text analysis shared by every search engine adapter and the database fallback, so all agree.

The matching rule every adapter follows: a query word matches a word of a product (its name,
category name, description or variant labels) in one of four ways:

- by stem: `stem(query word) == stem(product word)` ("kurtas" finds "Kurta");
- by synonym: the product word's stem is the stem of one of `alternatives(query word, …)`;
- by a typo, only when the word is *unknown* (no product of the store has its stem or a synonym's):
  the product word is within `max_typos(query word)` edits of it, first letter kept
  (`within_typos`), or is in a synonym group with a word that is (`WordPlan.fuzzy_synonym_stems`).
  A word the store knows is taken as the shopper typed it: "dining" never finds "living";
- as a prefix: the last query word may be the start of a product word (search as you type), and
  when unknown the start of one within its typos ("pohn" finds "phone").

Tiers: the products matching every word come first; when fewer than `RELATED_BELOW` do and the
query has two words or more, the products matching at least `minimum_should_match(n)` of them follow,
marked related. `plan_query()` says, per word, what each engine asks for.

Relevance: a match in the name counts more than one in the category name, which counts more than
one in the description or variant labels; a match by stem counts more than one by synonym, and that
more than a typo or prefix match. Words after "for" in a name say what the product fits, not what it
is ("Cover for Galaxy M14"), and count as description (`field_texts`).
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import snowballstemmer
from django.utils.translation import gettext

# Combining Diacritical Marks: what Latin letters' accents decompose into. Other combining marks
# (the vowel signs of Bengali or Tamil, for example) are part of their word and are kept.
_ACCENTS = range(0x300, 0x370)


# Zero-width (non-)joiners shape a half letter in Devanagari ("क्‍ष"): part of the word, not spelled.
_JOINERS = "\u200c\u200d"


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in _JOINERS or unicodedata.category(char).startswith("M")


_ASCII_WORD = re.compile("[A-Za-z0-9]+")


def _word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of letters, digits and combining marks in `text`."""
    if text.isascii():  # most names: the same runs, found by the regex engine instead of a loop
        return [found.span() for found in _ASCII_WORD.finditer(text)]
    spans = []
    start = None
    for index, char in enumerate(text):
        if _is_word_char(char):
            if start is None:
                start = index
        elif start is not None:
            spans.append((start, index))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if ord(char) not in _ACCENTS)


_NO_JOINERS = str.maketrans("", "", _JOINERS)


def _normalise(word: str) -> str:
    if word.isascii():
        return word.lower()  # what casefolding and removing accents come to for ASCII
    word = word.translate(_NO_JOINERS)
    word = _DEVANAGARI_RUN.sub(lambda run: latin_spelling(run[0]), word)
    return _without_accents(word)


def words(text: str) -> list[str]:
    """The words of `text`, casefolded, without accents and Devanagari in Latin letters:
    "Café-Chairs x2" -> ["cafe", "chairs", "x2"], "लाल साड़ी" -> ["lal", "sari"]."""
    return [word for word, _ in words_as_written(text)]


def words_as_written(text: str) -> list[tuple[str, str]]:
    """Each word of `text` as `words()` spells it, and as written, casefolded: [("sari", "साड़ी")]."""
    found = ((_normalise(text[start:end]), text[start:end].casefold()) for start, end in _word_spans(text))
    return [(word, written) for word, written in found if word]


# --- Devanagari in the Latin letters shoppers type (docs/search.md, "Hindi and Devanagari") ------------

_DEVANAGARI_RUN = re.compile("[\u0900-\u097f]+")
_VIRAMA = "\u094d"
_NUKTA = "\u093c"
# A bare consonant letter says "consonant + a"; a vowel sign or a virama after it replaces that "a".
_CONSONANTS = {chr(code) for code in [*range(0x915, 0x93A), *range(0x958, 0x960), *range(0x979, 0x980)]}
_VOWEL_SIGNS = {chr(code) for code in [*range(0x93A, 0x93C), *range(0x93E, 0x94D), *range(0x94E, 0x950)]}
_VOWEL_SIGNS |= {chr(code) for code in [*range(0x955, 0x958), 0x962, 0x963]}
_NASALS_AND_VISARGA = {"\u0900", "\u0901", "\u0902", "\u0903"}
# A final "a" is said after these clusters: मित्र mitra, सूर्य surya, not शर्ट shart.
_SOUNDED_AFTER_CLUSTER = {"र", "य", "व"}
# ISO 15919 letters respelled as Hindi is typed in Latin letters; jñ first: ज्ञ is "gy" (gyan).
_HINGLISH = {"jñ": "gy", "c": "ch", "ś": "sh", "ṣ": "sh", "r̥̄": "ri", "r̥": "ri", "v": "w", "'": ""}
_HINGLISH_LETTERS = re.compile("|".join(map(re.escape, _HINGLISH)))
# Anusvara (ṁ) and chandrabindu (m̐) are n, m before a labial: संतरा santra, कंबल kambal.
_NASAL_BEFORE_LABIAL = re.compile("(ṁ|m̐)(?=[pbm])")
_NASAL = re.compile("ṁ|m̐")


def _syllables(devanagari: str) -> list[list[str]]:
    """[consonant, vowel] for each letter of a Devanagari word: the consonant with its nukta, or ""
    for an independent vowel or other sign; the vowel is "" (the inherent "a"), a vowel sign, a
    virama, or the independent vowel; a nasal or visarga joins the vowel before it."""
    units: list[list[str]] = []
    for char in devanagari:
        if char in _CONSONANTS:
            units.append([char, ""])
        elif units and char == _NUKTA:
            units[-1][0] += char
        elif units and (char in _VOWEL_SIGNS or char == _VIRAMA):
            units[-1][1] = char
        elif units and char in _NASALS_AND_VISARGA:
            units[-1][1] += char
        else:
            units.append(["", char])
    return units


def _silent_schwas_dropped(devanagari: str) -> str:
    """The word with a virama where a Hindi speaker does not say the inherent "a": at the end
    (चावल chawal) and between a vowel-consonant and a consonant-vowel, right to left, as Hindi's
    schwa deletion goes (नमकीन namkin, अदरक adrak). Compounds may come out a little off
    (मूंगफली mungaphli)."""
    units = _syllables(devanagari)

    def schwa(unit: list[str]) -> bool:
        return bool(unit[0]) and unit[1] == ""

    last = len(units) - 1
    if last > 0 and schwa(units[last]):
        after_cluster = units[last - 1][1] == _VIRAMA and units[last][0] in _SOUNDED_AFTER_CLUSTER
        if not after_cluster:
            units[last][1] = _VIRAMA
    for index in range(last - 1, 0, -1):
        before, unit, after = units[index - 1], units[index], units[index + 1]
        if schwa(unit) and before[1] != _VIRAMA and after[0] and after[1] != _VIRAMA:
            unit[1] = _VIRAMA
    return "".join(consonant + vowel for consonant, vowel in units)


@lru_cache(maxsize=65536)
def latin_spelling(devanagari: str) -> str:
    """A Devanagari word in the Latin letters Indians type Hindi in: साड़ी -> "sari", चावल -> "chawal".

    indic-transliteration's ISO 15919 spelling, respelled: no silent "a", च ch, छ chh, श/ष sh, व w,
    long vowels as short (ī -> i: "peela" is a synonym of पीला "pila"), ड़ r, anusvara n (m before
    p, b, m). docs/hindi-search-glossary.md has the whole table.
    """
    # Imported here: it takes a quarter of a second, which only a Devanagari word should cost.
    from indic_transliteration import sanscript

    iso = sanscript.transliterate(_silent_schwas_dropped(devanagari), sanscript.DEVANAGARI, sanscript.ISO)
    respelled = _HINGLISH_LETTERS.sub(lambda letters: _HINGLISH[letters[0]], iso)
    respelled = _NASAL.sub("n", _NASAL_BEFORE_LABIAL.sub("m", respelled))
    return _without_accents(respelled)


_stemmer = snowballstemmer.stemmer("english")
_stemmer_lock = threading.Lock()  # a Snowball stemmer keeps state while it works


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English Snowball (Porter2) stem of a word from `words()`: "kurtas" -> "kurta"."""
    with _stemmer_lock:
        return _stemmer.stemWord(word)


MAX_TYPOS = 2  # the most `max_typos()` allows any word


def max_typos(word: str) -> int:
    """How many typos a query word may have: none up to 3 letters, 1 from 4, 2 from 8.

    Measured on the relevance bench (docs/benchmarks/search.md): one edit on 3-letter words made
    "bed" find "red" and "dal" find "dahi"; two from 6 letters made "marble" find "table".
    """
    if len(word) < 4:
        return 0
    if len(word) < 8:
        return 1
    return MAX_TYPOS


def within_typos(typed: str, word: str) -> bool:
    """Is `word` what `typed` would be with at most `max_typos(typed)` typos, its first letter kept?"""
    typos = max_typos(typed)
    return (
        typos > 0
        and word[:1] == typed[:1]
        and abs(len(word) - len(typed)) <= typos
        and typo_distance(typed, word) <= typos
    )


def starts_within_typos(typed: str, word: str) -> bool:
    """Does `word` start with what `typed` would be with at most its typos ("pohn" starts "phone")?"""
    typos = max_typos(typed)
    return any(
        within_typos(typed, word[:length])
        for length in range(max(1, len(typed) - typos), min(len(word), len(typed) + typos) + 1)
    )


def typo_distance(first: str, second: str) -> int:
    """Edits between two words: insert, delete, replace a letter, or swap two neighbouring letters."""
    previous_row = None
    row = list(range(len(second) + 1))
    for i in range(1, len(first) + 1):
        before, previous_row, row = previous_row, row, [i] + [0] * len(second)
        for j in range(1, len(second) + 1):
            cost = 0 if first[i - 1] == second[j - 1] else 1
            row[j] = min(previous_row[j] + 1, row[j - 1] + 1, previous_row[j - 1] + cost)
            swapped = i > 1 and j > 1 and first[i - 1] == second[j - 2] and first[i - 2] == second[j - 1]
            if swapped:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[-1]


def parse_synonym_group(line: str) -> tuple[str, ...]:
    """A group of words meaning the same, from "Mobile, phone, smartphone" -> ("mobile", "phone", …).

    Raises ValueError, saying what to fix, unless it is at least two different single words.
    """
    group: list[str] = []
    for entry in line.split(","):
        entry_words = words(entry)
        if len(entry_words) > 1:
            raise ValueError(
                gettext('"%(entry)s" is more than one word: each synonym is a single word.')
                % {"entry": entry.strip()}
            )
        if entry_words and entry_words[0] not in group:
            group.append(entry_words[0])
    if len(group) < 2:
        raise ValueError(
            gettext('"%(line)s" needs at least two different words separated by commas.')
            % {"line": line.strip()}
        )
    return tuple(group)


def _global_synonyms() -> tuple[tuple[str, ...], ...]:
    """The groups of synonyms.txt: one per line; blank lines and # comments are skipped."""
    text = resources.files(__package__).joinpath("synonyms.txt").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return tuple(parse_synonym_group(line) for line in lines)


GLOBAL_SYNONYMS = _global_synonyms()
_GLOBAL_GROUP_BY_STEM = {stem(word): group for group in GLOBAL_SYNONYMS for word in group}
_GLOBAL_SYNONYM_WORDS_BY_LETTER: dict[str, list[str]] = {}
for _group in GLOBAL_SYNONYMS:
    for _word in _group:
        _GLOBAL_SYNONYM_WORDS_BY_LETTER.setdefault(_word[:1], []).append(_word)


def alternatives(word: str, store_synonyms=()) -> set[str]:
    """The word and every word it is a synonym of, in the global list or the store's own groups.

    `word` comes from `words()`; `store_synonyms` are groups as `parse_synonym_group()` returns them.
    Groups are matched by stem, so "mobiles" finds the group of "mobile".
    """
    word_stem = stem(word)
    found = {word, *_GLOBAL_GROUP_BY_STEM.get(word_stem, ())}
    for group in store_synonyms:
        if any(stem(member) == word_stem for member in group):
            found.update(group)
    return found


def near_synonym_words(word: str, store_synonyms=()) -> tuple[str, ...]:
    """Words of the synonym groups (global and the store's) within `word`'s typos, nearest first:
    "lunhbox" -> ("lunchbox",). Not the word's own alternatives."""
    own = alternatives(word, store_synonyms)
    candidates = set(_GLOBAL_SYNONYM_WORDS_BY_LETTER.get(word[:1], ()))
    candidates.update(member for group in store_synonyms for member in group if member[:1] == word[:1])
    near = [candidate for candidate in candidates - own if within_typos(word, candidate)]
    return tuple(sorted(near, key=lambda candidate: (typo_distance(word, candidate), candidate)))


# --- Planning a query -----------------------------------------------------------------------------

# A buyer's query longer than this is cut: more words only make a slower query, never a better one.
MAX_QUERY_WORDS = 8
# Fewer products than this matching every word, and the products matching most words follow them.
RELATED_BELOW = 10


def minimum_should_match(word_count: int) -> int:
    """How many of a query's words a related product matches at least: half, rounded up."""
    return (word_count + 1) // 2


@dataclass(frozen=True)
class WordPlan:
    """What an engine asks for one query word (see the module's rules)."""

    word: str  # as the shopper typed it, from `words()`
    stem: str
    synonym_stems: frozenset[str]  # stems of its synonyms, not its own
    typos: int  # edits allowed when the word is unknown to the store; 0: none
    near_synonyms: tuple[str, ...]  # synonym words within its typos, nearest first
    fuzzy_synonym_stems: frozenset[str]  # stems of their groups, not the exact ones
    is_last: bool  # may be the start of a product word

    @property
    def exact_stems(self) -> frozenset[str]:
        """A store whose products have one of these stems knows the word."""
        return self.synonym_stems | {self.stem}


@lru_cache(maxsize=1024)
def plan_query(text: str, store_synonyms=()) -> tuple[WordPlan, ...]:
    """Per word of the query (at most MAX_QUERY_WORDS), what it may match. `store_synonyms` is a
    tuple of groups (hashable: the plan of a repeated query, or of each highlighted hit, is cached)."""
    query_words = words(text)[:MAX_QUERY_WORDS]
    plans = []
    for position, word in enumerate(query_words):
        word_stem = stem(word)
        synonym_stems = frozenset(stem(other) for other in alternatives(word, store_synonyms)) - {word_stem}
        near = near_synonym_words(word, store_synonyms)
        fuzzy_stems = {stem(other) for close in near for other in alternatives(close, store_synonyms)}
        plans.append(
            WordPlan(
                word=word,
                stem=word_stem,
                synonym_stems=synonym_stems,
                typos=max_typos(word),
                near_synonyms=near,
                fuzzy_synonym_stems=frozenset(fuzzy_stems) - synonym_stems - {word_stem},
                is_last=position == len(query_words) - 1,
            )
        )
    return tuple(plans)


_FOR = re.compile(r"\s+for\s+", re.IGNORECASE)
_BRACKETS = re.compile(r"\([^)]*\)")


def field_texts(document) -> dict[str, str]:
    """The text of each searchable field of a `ProductDocument`: "name", "category" and "body".

    The words after "for" in a name say what the product fits ("Flip Cover for Galaxy M14 (Blue)"):
    they go to the body, so a search for the phone ranks the phone above what fits it; bracketed
    details (the cover's own colour) stay in the name.
    """
    name, fits = (_FOR.split(document.name, maxsplit=1) + [""])[:2]
    own_details = " ".join(_BRACKETS.findall(fits))
    return {
        "name": f"{name} {own_details}".strip(),
        "category": document.category_name,
        "body": f"{_BRACKETS.sub(' ', fits)}\n{document.description}\n{document.variant_labels}",
    }


def did_you_mean(plans: tuple[WordPlan, ...], fuzzy_words: set[str], names: list[str]) -> str:
    """The query with each word of `fuzzy_words` (words the store does not know) replaced by its
    correction: the nearest word of `names` (the products found) within its typos, the most common
    first; else its nearest synonym word, when a name has a word of a synonym group near it. A word
    that found none of the products shown is kept: the other words may have found them, and
    "correcting" it would offer a search that finds nothing more. "" when no word changes."""
    if not fuzzy_words:
        return ""
    name_words = Counter(word for name in names for word in words(name))
    name_stems = {stem(word) for word in name_words}
    corrected = []
    for plan in plans:
        correction = plan.word
        if plan.word in fuzzy_words:
            close = [
                word
                for word in name_words
                if within_typos(plan.word, word) or (plan.is_last and starts_within_typos(plan.word, word))
            ]
            if close:
                correction = min(
                    close,
                    key=lambda word: (
                        not within_typos(plan.word, word),
                        typo_distance(plan.word, word),
                        -name_words[word],
                        word,
                    ),
                )
            elif plan.near_synonyms and name_stems & plan.fuzzy_synonym_stems:
                correction = plan.near_synonyms[0]
        corrected.append(correction)
    suggestion = " ".join(corrected)
    return "" if suggestion == " ".join(plan.word for plan in plans) else suggestion


def highlight(name: str, query_text: str, store_synonyms=()) -> str:
    """The name, HTML-escaped, with <mark>…</mark> around each word that matches a query word."""
    parts = []
    position = 0
    for start, end in _word_spans(name):
        parts.append(html.escape(name[position:start]))
        original = html.escape(name[start:end])
        matches = _matches_query(_normalise(name[start:end]), query_text, store_synonyms)
        parts.append(f"<mark>{original}</mark>" if matches else original)
        position = end
    parts.append(html.escape(name[position:]))
    return "".join(parts)


@lru_cache(maxsize=65536)
def _matches_query(name_word: str, query_text: str, store_synonyms=()) -> bool:
    """Does a word of a name (from `words()`) match a word of the query (see the module's rules)?
    Cached: the names of a page, and of the next searches, share most of their words."""
    name_stem = stem(name_word)
    return any(
        name_stem in plan.exact_stems
        or name_stem in plan.fuzzy_synonym_stems
        or within_typos(plan.word, name_word)
        or (plan.is_last and (name_word.startswith(plan.word) or starts_within_typos(plan.word, name_word)))
        for plan in plan_query(query_text, store_synonyms)
    )
