"""Copy a dukaan database into another with every person's details replaced by consistent fakes.

`dukaan sanitize-copy` (management/commands/sanitize_copy.py) drives it; docs/staging.md says what is
replaced, what is left out and how the copy is verified. The source is only ever read, inside one
read-only snapshot; the target is filled and verified in one transaction, so a copy that fails
verification leaves nothing behind.
"""

import hashlib
import hmac
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path

import dj_database_url
import phonenumbers
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import ConnectionDoesNotExist, load_backend
from faker import Faker

from . import registry
from .registry import Personal

SOURCE, TARGET = "sanitize_source", "sanitize_target"
CHUNK = 2_000

# Made by `migrate` in every database; the source's rows replace them so ids stay as they were.
MADE_BY_MIGRATE = {"contenttypes.ContentType", "auth.Permission"}
SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
UPI_HANDLES = ("okaxis", "oksbi", "okhdfcbank", "okicici", "ybl", "paytm")
WORD = re.compile(r"\w+")
EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")


class SanitizeRefused(Exception):
    """The copy was not made (or was rolled back); the message says why and what to do."""


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)  # table → rows copied
    replaced: Counter = field(default_factory=Counter)  # "table.column" → values changed
    skipped: dict[str, str] = field(default_factory=dict)  # table → why it was not copied
    seconds: float = 0.0


# --- Databases ------------------------------------------------------------------------------------


def database_config(url: str, *, role: str) -> dict:
    """The Django settings for a DATABASE_URL-style `url`; `role` ("source"/"target") names it in errors."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise SanitizeRefused(
            f"The {role} must be a database URL such as postgres://user:pass@host:5432/name or "
            f"sqlite:////path/to/file.sqlite3, not {scheme + '://…' if scheme else repr(url)}."
        )
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] in ("", ":memory:"):
            raise SanitizeRefused(
                f"The {role} SQLite URL names no file: use sqlite:////path/to/file.sqlite3."
            )
        config["NAME"] = str(Path(config["NAME"]).resolve())
    else:
        config["OPTIONS"] = {"connect_timeout": 5}
        config["DISABLE_SERVER_SIDE_CURSORS"] = True  # a PgBouncer in between would lose them
    return config


def describe(config: dict) -> str:
    """A database as a person recognises it, without its password."""
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return f"SQLite file {config['NAME']}"
    return (
        f"PostgreSQL database {config['NAME']!r} on {config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"
    )


def _identity(config: dict) -> tuple:
    return config["ENGINE"], config["HOST"] or "localhost", str(config["PORT"] or ""), config["NAME"]


def _connect(alias: str, config: dict, *, role: str) -> None:
    # A connection made here rather than an entry added to DATABASES: `.using(alias)`, atomic() and
    # migrate find it all the same, and nothing else (close_old_connections, test isolation) sees it.
    config = connections.configure_settings({DEFAULT_DB_ALIAS: config})[DEFAULT_DB_ALIAS]
    connections[alias] = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)
    try:
        connections[alias].ensure_connection()
    except DatabaseError as error:
        raise SanitizeRefused(
            f"Cannot connect to the {role}, {describe(config)}: {str(error).strip().splitlines()[0]}"
        ) from error


def _disconnect(alias: str) -> None:
    try:
        connection = connections[alias]
    except ConnectionDoesNotExist:
        return
    connection.close()
    del connections[alias]


def _check_migrated(config: dict) -> None:
    executor = MigrationExecutor(connections[SOURCE])
    missing = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if missing:
        first = missing[0][0]
        raise SanitizeRefused(
            f"The source, {describe(config)}, is not a dukaan database migrated to this version: "
            f"{len(missing)} migrations are not applied there (the first is {first.app_label}.{first.name}). "
            "Point --from at a migrated dukaan database."
        )


def copied_models() -> list[type[models.Model]]:
    """Every table's model (many-to-many tables included), each after the models it refers to."""
    every = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    graph = {
        model: {
            field.related_model
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is not model
        }
        for model in every
    }
    return list(TopologicalSorter(graph).static_order())


# --- Fakes ----------------------------------------------------------------------------------------


def _phone_forms(phone: str) -> list[str]:
    """A phone as it is written in text: with its country code (the + is not a word) and without."""
    try:
        number = phonenumbers.parse(phone, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return [re.sub(r"\D", "", phone)]
    national = str(number.national_number)
    return [f"{number.country_code}{national}", national]


def _e164(phone: str) -> str:
    try:
        number = phonenumbers.parse(phone, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _form(text: str) -> str:
    """Text as it is looked for: lowercase, without punctuation at its ends."""
    return EDGE_PUNCTUATION.sub("", text.lower())


class Matcher:
    """Finds given strings in text, case-insensitively, where they stand as whole words.

    Candidates are indexed by their first word, so a text costs one pass over its words however
    many strings there are.
    """

    def __init__(self, strings: set[str]) -> None:
        self.by_first_word: dict[str, list[str]] = {}
        for string in strings:
            first = WORD.match(string)
            if first:
                self.by_first_word.setdefault(first.group(), []).append(string)
        for candidates in self.by_first_word.values():
            candidates.sort(key=len, reverse=True)  # the longest match wins

    def find(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, string) of each match, left to right, never overlapping."""
        lower = text.lower()
        if len(lower) != len(text):  # a few characters change length when lowercased
            lower = "".join(char.lower() if len(char.lower()) == 1 else char for char in text)
        after = 0
        for word in WORD.finditer(lower):
            start = word.start()
            if start < after:
                continue
            for candidate in self.by_first_word.get(word.group(), ()):
                end = start + len(candidate)
                if lower.startswith(candidate, start) and (end == len(lower) or not WORD.match(lower[end])):
                    yield start, end, candidate
                    after = end
                    break

    def count(self, text: str) -> int:
        return sum(1 for _ in self.find(text))


class Fakes:
    """The fake for each original value: drawn by a Faker seeded with HMAC(seed, value), so the same
    value gets the same fake every time with the same seed. No two originals share a fake, and no
    fake contains an original, so unique columns stay unique and verification finds only leftovers."""

    def __init__(self, seed: str, originals: dict[str, set[str]]) -> None:
        self.seed = seed.encode()
        self.faker = Faker("en_IN")
        self.by_kind: dict[str, dict[str, str]] = {kind: {} for kind in originals}
        # Lowercased forms of every original as it may appear inside text, and what replaces each.
        self.forms: dict[str, str] = {}
        for kind, values in originals.items():
            for value in values:
                for form in self._forms(kind, value):
                    self.forms.setdefault(form, "")
        # One-word names ("Ravi", "Rose") are too common to search for inside text; they are
        # replaced where they are a whole JSON value (an event's buyer_name) and nowhere else.
        one_word_names = {
            _form(name) for name in originals.get(Personal.NAME, ()) if len(WORD.findall(name)) == 1
        }
        self.searched = Matcher(set(self.forms) - one_word_names)
        used: set[str] = set()
        for kind in sorted(originals):
            for value in sorted(originals[kind]):
                fake = self._draw(kind, value, used)
                used.update(self._forms(kind, fake))
                self.by_kind[kind][self._key(kind, value)] = fake
                written = self._forms(kind, fake) if kind == Personal.PHONE else [fake]
                for form, fake_form in zip(self._forms(kind, value), written, strict=True):
                    self.forms[form] = fake_form

    @staticmethod
    def _key(kind: str, value: str) -> str:
        return _e164(value) if kind == Personal.PHONE else value

    def _forms(self, kind: str, value: str) -> list[str]:
        if kind == Personal.PHONE:
            return _phone_forms(value)
        return [_form(value)]

    def _draw(self, kind: str, value: str, used: set[str]) -> str:
        for attempt in range(1000):
            digest = hmac.new(
                self.seed, f"{kind}\0{self._key(kind, value)}\0{attempt}".encode(), hashlib.sha256
            )
            self.faker.seed_instance(int.from_bytes(digest.digest()[:8], "big"))
            fake = self._one(kind)
            forms = self._forms(kind, fake) if fake else []
            if forms and not any(form in used or form in self.forms for form in forms):
                if not self.searched.count(fake):
                    return fake
        raise SanitizeRefused(f"Could not draw a new fake {kind} after 1000 tries; use another --seed.")

    def _one(self, kind: str) -> str:
        faker = self.faker
        if kind == Personal.NAME:
            return faker.name()
        if kind == Personal.ADDRESS:
            return faker.address()
        if kind == Personal.UPI:
            return f"{faker.user_name()}@{faker.random_element(UPI_HANDLES)}"
        if kind == Personal.PHONE:
            number = phonenumbers.parse(f"+91{faker.random_int(6, 9)}{faker.numerify('#########')}")
            mobile = phonenumbers.number_type(number) in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
            )
            valid = phonenumbers.is_valid_number(number) and mobile
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if valid else ""
        raise ValueError(f"no fake for the kind {kind!r}")

    def field_value(self, kind: str, value: str) -> str:
        if not value:
            return value
        if kind == Personal.PASSWORD:
            # Unusable (Django's "!" prefix): production's staff passwords never reach staging.
            return "!" + hmac.new(self.seed, value.encode(), hashlib.sha256).hexdigest()
        return self.by_kind[kind][self._key(kind, value)]

    def text(self, text: str) -> str:
        """`text` with each original found in it replaced by its fake."""
        pieces, at = [], 0
        for start, end, form in self.searched.find(text):
            pieces += [text[at:start], self.forms[form]]
            at = end
        return "".join(pieces) + text[at:] if pieces else text

    def json(self, value):
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.forms.get(_form(value)) or self.text(value)
        return value


# --- Copying --------------------------------------------------------------------------------------


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
    ]


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _collect_originals() -> dict[str, set[str]]:
    originals: dict[str, set[str]] = {}
    for label, fields in registry.personal_fields.items():
        manager = apps.get_model(label)._base_manager.using(SOURCE)
        for name, kind in fields.items():
            if kind != Personal.PASSWORD:
                values = manager.exclude(**{name: ""}).values_list(name, flat=True).distinct()
                originals.setdefault(kind, set()).update(value for value in values if value)
    return originals


def _chunks(model: type[models.Model]) -> Iterator[list[models.Model]]:
    """The source's rows in primary-key order, a chunk at a time, never a whole table in memory."""
    rows = model._base_manager.using(SOURCE).order_by("pk")
    chunk = list(rows[:CHUNK])
    while chunk:
        yield chunk
        chunk = list(rows.filter(pk__gt=chunk[-1].pk)[:CHUNK])


def _sanitize_row(row: models.Model, fakes: Fakes, report: CopyReport) -> None:
    model = type(row)
    personal = registry.personal_fields.get(_label(model), {})
    for text_field in _text_fields(model):
        value = getattr(row, text_field.attname)
        if value is None or value == "":
            continue
        if text_field.name in personal:
            new = fakes.field_value(personal[text_field.name], value)
        elif isinstance(text_field, models.JSONField):
            new = fakes.json(value)
        else:
            new = fakes.text(value)[: text_field.max_length]
        if new != value:
            setattr(row, text_field.attname, new)
            report.replaced[f"{model._meta.db_table}.{text_field.column}"] += 1


def _insert(model: type[models.Model], rows: list[models.Model]) -> None:
    # Not bulk_create: it runs pre_save, which would stamp every auto_now column with today. raw=True
    # writes the values as read, as loaddata does.
    fields = model._meta.concrete_fields
    batch = connections[TARGET].ops.bulk_batch_size(fields, rows) or len(rows)
    for start in range(0, len(rows), batch):
        model._base_manager._insert(rows[start : start + batch], fields=fields, using=TARGET, raw=True)


def _empty_target(ordered: list[type[models.Model]]) -> None:
    with connections[TARGET].cursor() as cursor:
        for model in reversed(ordered):
            cursor.execute(f"DELETE FROM {connections[TARGET].ops.quote_name(model._meta.db_table)}")


def _leftovers(ordered: list[type[models.Model]], fakes: Fakes) -> Counter:
    """How many originals each text and JSON column of the target still holds."""
    found: Counter = Counter()
    for model in ordered:
        for text_field in _text_fields(model):
            rows = model._base_manager.using(TARGET).values_list(text_field.attname, flat=True)
            for value in rows.iterator(chunk_size=CHUNK):
                for string in _strings(value):
                    count = fakes.searched.count(string)
                    if count:
                        found[f"{model._meta.db_table}.{text_field.column}"] += count
    return found


Progress = Callable[[str, int, int], None]  # (table, rows done, rows in all)


def sanitize_copy(
    *, source_url: str, target_url: str, seed: str, replace: bool = False, progress: Progress | None = None
) -> CopyReport:
    """Copy every table of the source into the (migrated, empty) target with personal data replaced.

    Raises SanitizeRefused, with nothing written to the target, for a URL it does not understand, the
    same database twice, an unreachable or un-migrated source, a target with data (unless `replace`),
    and when verification finds an original value in the target.
    """
    began = time.monotonic()
    source = database_config(source_url, role="source")
    target = database_config(target_url, role="target")
    if _identity(source) == _identity(target):
        raise SanitizeRefused(f"The source and the target are the same database ({describe(source)}).")
    if source["ENGINE"] == "django.db.backends.sqlite3" and not Path(source["NAME"]).is_file():
        raise SanitizeRefused(f"The source, {describe(source)}, does not exist.")
    try:
        _connect(SOURCE, source, role="source")
        _check_migrated(source)
        _connect(TARGET, target, role="target")
        try:
            call_command("migrate", database=TARGET, interactive=False, verbosity=0)
        except DatabaseError as error:
            raise SanitizeRefused(f"Could not migrate the target, {describe(target)}: {error}") from error
        ordered = copied_models()
        if not replace:
            filled = [
                model._meta.db_table
                for model in ordered
                if _label(model) not in MADE_BY_MIGRATE and model._base_manager.using(TARGET).exists()
            ]
            if filled:
                raise SanitizeRefused(
                    f"The target, {describe(target)}, already has data (in {', '.join(filled[:3])}"
                    f"{' …' if len(filled) > 3 else ''}). Give --replace to empty it first."
                )
        return _copy(ordered, seed=seed, progress=progress or (lambda *_: None), began=began)
    finally:
        _disconnect(SOURCE)
        _disconnect(TARGET)


def _copy(ordered: list[type[models.Model]], *, seed: str, progress: Progress, began: float) -> CopyReport:
    report = CopyReport()
    with transaction.atomic(using=SOURCE), transaction.atomic(using=TARGET):
        if connections[SOURCE].vendor == "postgresql":
            with connections[SOURCE].cursor() as cursor:  # one snapshot of every table; never a write
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        fakes = Fakes(seed, _collect_originals())
        _empty_target(ordered)
        for model in ordered:
            table = model._meta.db_table
            if _label(model) in registry.not_copied:
                report.skipped[table] = registry.not_copied[_label(model)]
                continue
            total, done = model._base_manager.using(SOURCE).count(), 0
            progress(table, done, total)
            for chunk in _chunks(model):
                for row in chunk:
                    _sanitize_row(row, fakes, report)
                _insert(model, chunk)
                done += len(chunk)
                progress(table, done, total)
            report.rows[table] = done
        with connections[TARGET].cursor() as cursor:
            for statement in connections[TARGET].ops.sequence_reset_sql(no_style(), ordered):
                cursor.execute(statement)
        leftovers = _leftovers(ordered, fakes)
        if leftovers:
            where = ", ".join(f"{column} ({count})" for column, count in sorted(leftovers.items()))
            raise SanitizeRefused(
                f"Verification found original personal data in the target: {where}. Nothing was kept "
                "(the copy was rolled back); declare the field that holds it with add_personal_fields() in "
                "its app's apps.py (dukaan/infra/registry.py)."
            )
    report.seconds = time.monotonic() - began
    return report
