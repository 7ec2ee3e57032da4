"""Text analysis shared by every search engine adapter and the database fallback, so all agree.

The matching rule every adapter follows: a product matches when each word of the query matches a
word of the product (its name, category name, description or variant labels) in one of four ways:

- by stem: `stem(query word) == stem(product word)` ("kurtas" finds "Kurta");
- by synonym: the product word's stem is the stem of one of `alternatives(query word, …)`;
- by a typo: the product word is within `max_typos(query word)` edits of the query word
  (insert, delete, replace, or swap two neighbours, like Elasticsearch's fuzziness AUTO);
- as a prefix: the last query word may be the start of a product word (search as you type).

Relevance: a match in the name counts more than one in the category name, which counts more than
one in the description or variant labels; a match by stem counts more than one by synonym, and that
more than a typo or prefix match.
"""

from __future__ import annotations

import html
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

import snowballstemmer

# Combining Diacritical Marks: what Latin letters' accents decompose into. Other combining marks
# (Devanagari vowel signs and virama, for example) are part of their word and are kept.
_ACCENTS = range(0x300, 0x370)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of letters, digits and combining marks in `text`."""
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


def _normalise(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if ord(char) not in _ACCENTS)


def words(text: str) -> list[str]:
    """The words of `text`, casefolded and without accents: "Café-Chairs x2" -> ["cafe", "chairs", "x2"]."""
    found = (_normalise(text[start:end]) for start, end in _word_spans(text))
    return [word for word in found if word]


_stemmer = snowballstemmer.stemmer("english")
_stemmer_lock = threading.Lock()  # a Snowball stemmer keeps state while it works


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English Snowball (Porter2) stem of a word from `words()`: "kurtas" -> "kurta"."""
    with _stemmer_lock:
        return _stemmer.stemWord(word)


def max_typos(word: str) -> int:
    """How many typos a query word may have: 0 up to 2 letters, 1 for 3 to 5, 2 beyond."""
    if len(word) <= 2:
        return 0
    if len(word) <= 5:
        return 1
    return 2


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
            raise ValueError(f'"{entry.strip()}" is more than one word: each synonym is a single word.')
        if entry_words and entry_words[0] not in group:
            group.append(entry_words[0])
    if len(group) < 2:
        raise ValueError(f'"{line.strip()}" needs at least two different words separated by commas.')
    return tuple(group)


def _global_synonyms() -> tuple[tuple[str, ...], ...]:
    """The groups of synonyms.txt: one per line; blank lines and # comments are skipped."""
    text = resources.files(__package__).joinpath("synonyms.txt").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return tuple(parse_synonym_group(line) for line in lines)


GLOBAL_SYNONYMS = _global_synonyms()
_GLOBAL_GROUP_BY_STEM = {stem(word): group for group in GLOBAL_SYNONYMS for word in group}


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


def highlight(name: str, query_text: str, store_synonyms=()) -> str:
    """The name, HTML-escaped, with <mark>…</mark> around each word that matches a query word."""
    query_words = words(query_text)
    rules = [
        ({stem(alternative) for alternative in alternatives(word, store_synonyms)}, word, max_typos(word))
        for word in query_words
    ]
    last_word = query_words[-1] if query_words else None

    def matches(name_word: str) -> bool:
        if last_word and name_word.startswith(last_word):
            return True
        return any(
            stem(name_word) in stems or (typos and typo_distance(name_word, word) <= typos)
            for stems, word, typos in rules
        )

    parts = []
    position = 0
    for start, end in _word_spans(name):
        parts.append(html.escape(name[position:start]))
        original = html.escape(name[start:end])
        parts.append(f"<mark>{original}</mark>" if matches(_normalise(name[start:end])) else original)
        position = end
    parts.append(html.escape(name[position:]))
    return "".join(parts)
