"""`dukaan reindex`: the index is a projection, rebuilt from the database whole or one store at a time."""

import html
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dukaan.catalog.models import Product
from dukaan.search import service
from dukaan.search.backend import SearchQuery
from dukaan.search.management.commands.reindex import Command

pytestmark = pytest.mark.django_db


def found(store, text: str = "") -> list[str]:
    """The names the index holds for what a buyer finds (as they were when indexed)."""
    results = service.get_backend().search(SearchQuery(store_id=store.pk, text=text))
    return sorted(html.unescape(re.sub("</?mark>", "", hit.highlighted_name)) for hit in results.hits)


def written_behind_the_services_back(store, *names: str, **fields) -> list[Product]:
    """Rows with no event, as a restored backup or a bug would leave them: only a reindex sees them."""
    return Product.objects.bulk_create(
        Product(store=store, name=name, price=Decimal("99"), **fields) for name in names
    )


def test_it_indexes_every_visible_product_of_every_store(store, other_store, capsys):
    written_behind_the_services_back(store, "Cotton kurta", "Silk kurta")
    written_behind_the_services_back(store, "Secret kurta", is_active=False)
    written_behind_the_services_back(other_store, "Their kurta")
    assert found(store, "kurta") == []

    call_command("reindex")

    assert found(store, "kurta") == ["Cotton kurta", "Silk kurta"]
    assert found(other_store, "kurta") == ["Their kurta"]
    captured = capsys.readouterr()
    assert captured.out.startswith("Indexed 3 products of every store in ")
    assert "Indexing products" in captured.err  # the progress bar, on stderr


def test_a_full_reindex_drops_what_no_longer_exists(store):
    kept, gone = written_behind_the_services_back(store, "Brass diya", "Clay diya")
    call_command("reindex", verbosity=0)
    Product.objects.filter(pk=gone.pk).delete()

    call_command("reindex", verbosity=0)

    assert found(store, "diya") == ["Brass diya"]


def test_one_store_is_reindexed_alone(store, other_store, capsys):
    ours = written_behind_the_services_back(store, "Brass diya")
    theirs = written_behind_the_services_back(other_store, "Clay diya")
    call_command("reindex", verbosity=0)
    Product.objects.filter(pk__in=[ours[0].pk, theirs[0].pk]).update(name="Copper lamp")

    call_command("reindex", store=store.slug)

    assert found(store, "lamp") == ["Copper lamp"]
    assert found(other_store, "diya") == ["Clay diya"]  # that store's index was left as it was
    assert f"Indexed 1 product of store '{store.slug}'" in capsys.readouterr().out


def test_an_unknown_slug_is_explained_without_a_traceback(db, capsys):
    with pytest.raises(CommandError, match="There is no store with the slug 'no-such-store'"):
        call_command("reindex", store="no-such-store")

    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["dukaan", "reindex", "--store", "no-such-store"])
    err = capsys.readouterr().err
    assert exit_.value.code == 1
    assert err.startswith("CommandError: There is no store with the slug 'no-such-store'.")
    assert "Traceback" not in err


def test_an_engine_that_fails_is_one_line_with_what_to_do(store, settings, capsys):
    written_behind_the_services_back(store, "Brass diya")
    settings.SEARCH_URL = "tantivy:///dev/null/search"  # a folder that cannot be made

    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["dukaan", "reindex", "--store", store.slug])

    err = capsys.readouterr().err
    assert exit_.value.code == 1 and "Traceback" not in err
    last_line = err.strip().splitlines()[-1]  # after the progress bar
    assert last_line.startswith("CommandError: The search engine failed: The search index at /dev/null/")
    assert "Check that it runs at SEARCH_URL, then run this again." in last_line


def test_a_search_url_naming_no_engine_is_one_line(db, settings, capsys):
    settings.SEARCH_URL = "solr://localhost"

    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["dukaan", "reindex"])

    err = capsys.readouterr().err
    assert exit_.value.code == 1 and "Traceback" not in err
    assert "SEARCH_URL='solr://localhost' names no search engine" in err
