"""The degradation matrix (docs/resilience.md): one test per row, each stopping a real part of the
running cluster the way a crash would (SIGKILL of its process group, or PostgreSQL's immediate shutdown),
checking what buyers and merchants get while it is down, then `dukaan cluster up` to bring it back.
In every row, every store page answers 200 in every region and through the monolith: no 5xx.

The file's name sorts it after the other cluster tests: the primary's row restarts the database
everything else reads.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
import requests

from tests.cluster.conftest import REGIONS, csrf_token, open_checkout
from tests.cluster.test_cluster import bulk_edit, demo_product
from tests.waiting import wait_until

pytestmark = pytest.mark.cluster

SIDES = [{"X-Client-Region": f"r{n}"} for n in range(1, REGIONS + 1)]
MONOLITH = {"dukaan_storefront": "monolith"}


def kill(pid: int) -> None:
    """SIGKILL the process group our scripts started the server in (Varnish's child included)."""
    os.killpg(pid, signal.SIGKILL)


_demo_ids: dict[str, tuple[int, int, str]] = {}


def demo_ids(cluster) -> tuple[int, int, str]:
    """A product of the demo store with a category: (product id, category id, first word of its name),
    read once, while the primary answers (its row of the matrix stops it)."""
    if cluster.url in _demo_ids:
        return _demo_ids[cluster.url]
    with cluster.primary() as connection:
        product, category, name = connection.execute(
            "SELECT p.id, p.category_id, p.name FROM catalog_product p "
            "JOIN catalog_store s ON s.id = p.store_id "
            "WHERE s.slug = 'demo' AND p.category_id IS NOT NULL ORDER BY p.id LIMIT 1"
        ).fetchone()
    _demo_ids[cluster.url] = product, category, name.split()[0]
    return _demo_ids[cluster.url]


def store_pages_answer(cluster, *, search_for: str | None = None) -> None:
    """Home, a category, a product and a search, in each region and through the monolith: all 200."""
    product, category, word = demo_ids(cluster)
    paths = [
        "/s/demo/",
        f"/s/demo/c/{category}/",
        f"/s/demo/p/{product}/",
        f"/s/demo/search/?q={search_for or word}",
    ]
    failures = []
    for path in paths:
        for headers, cookies in [(side, None) for side in SIDES] + [({}, MONOLITH)]:
            answer = requests.get(cluster.url + path, headers=headers, cookies=cookies, timeout=30)
            if answer.status_code != 200:
                failures.append(f"{path} {headers or cookies}: {answer.status_code}")
    assert not failures, "store pages that did not answer 200:\n" + "\n".join(failures)


def buyers_see(cluster, product_id: int, price: str) -> bool:
    shown = f"₹{int(price):,}"
    return all(
        shown in requests.get(f"{cluster.url}/s/demo/p/{product_id}/", headers=side, timeout=10).text
        for side in SIDES
    )


def test_redis_down_pages_build_from_the_database_and_edits_still_reach_buyers(cluster, merchant):
    kill(cluster.state("redis")["pid"])
    try:
        store_pages_answer(cluster)
        product_id, price = demo_product(merchant, cluster)
        new_price = str(int(float(price)) + 7)
        assert "Updated 1 product" in bulk_edit(merchant, cluster, product_id, price=new_price).text
        wait_until(
            lambda: buyers_see(cluster, product_id, new_price),
            timeout=30,
            what="every region to show the new price",
        )
    finally:
        cluster.up()
    store_pages_answer(cluster)


def test_the_regions_replica_down_reads_go_to_the_primary(cluster):
    os.kill(cluster.state("postgres")["replicas"][0]["pid"], signal.SIGKILL)
    try:
        time.sleep(1)  # the replica monitor's next check (every 0.5 s) drops it
        store_pages_answer(cluster)
    finally:
        cluster.up()


def test_elasticsearch_down_search_answers_from_the_database(cluster):
    _product, _category, word = demo_ids(cluster)
    kill(cluster.state("elasticsearch")["pid"])
    try:
        store_pages_answer(cluster, search_for=word)
        for side in SIDES:
            page = requests.get(f"{cluster.url}/s/demo/search/?q={word}", headers=side, timeout=30)
            assert "/s/demo/p/" in page.text, f"{side}: the search found nothing for {word!r}"
    finally:
        cluster.up()


def test_varnish_down_nginx_sends_buyers_to_the_storefront_service_itself(cluster):
    storefront = f"127.0.0.1:{cluster.config['ports']['storefront']}"
    kill(cluster.state("varnish")["pid"])
    try:
        store_pages_answer(cluster)
        answered_by = set()
        for _ in range(12):  # nginx shares a region's load among the backups that answer
            page = requests.get(cluster.url + "/s/demo/", headers={"X-Client-Region": "r1"}, timeout=10)
            assert page.status_code == 200
            answered_by.add(page.headers["X-Dukaan-Upstream-Addr"].split(", ")[-1])
        assert storefront in answered_by, answered_by
    finally:
        cluster.up()


def test_the_sms_provider_down_login_explains_and_works_once_it_is_back(cluster):
    phone = "+919812399001"
    kill(cluster.state("sms_gateway")["pid"])
    session = requests.Session()
    try:
        page = session.get(cluster.url + "/login/")
        answer = session.post(
            cluster.url + "/login/", data={"csrfmiddlewaretoken": csrf_token(page.text), "phone": phone}
        )
        assert answer.status_code < 500 and answer.url.endswith("/login/")
        assert "couldn&#x27;t send the SMS" in answer.text or "couldn't send the SMS" in answer.text
        store_pages_answer(cluster)
    finally:
        cluster.up()
    page = session.get(cluster.url + "/login/")
    answer = session.post(
        cluster.url + "/login/", data={"csrfmiddlewaretoken": csrf_token(page.text), "phone": phone}
    )
    assert answer.url.endswith("/login/verify/"), answer.text[-500:]
    answer = session.post(
        answer.url, data={"csrfmiddlewaretoken": csrf_token(answer.text), "code": cluster.login_code(phone)}
    )
    assert "/dashboard/" in answer.url


def test_kafka_down_writes_commit_and_their_events_arrive_once_it_is_back(cluster, merchant):
    product_id, price = demo_product(merchant, cluster)
    new_price = str(int(float(price)) + 11)
    for part in ("connect", "broker"):
        kill(int((cluster.data / "kafka" / f"{part}.pid").read_text()))
    try:
        assert "Updated 1 product" in bulk_edit(merchant, cluster, product_id, price=new_price).text
        store_pages_answer(cluster)
    finally:
        cluster.up()
    back = time.monotonic()
    wait_until(
        lambda: buyers_see(cluster, product_id, new_price), timeout=60, what="the edit to reach every region"
    )
    waited = time.monotonic() - back
    print(f"\nan edit made while Kafka was down reached every region {waited:.1f} s after `cluster up`")


def checkout_form(session: requests.Session, cluster, product_id: int) -> dict:
    session.post(f"{cluster.url}/s/demo/cart/add/", data={"product": product_id, "quantity": 1})
    page = open_checkout(session, cluster.url)
    return {
        "csrfmiddlewaretoken": csrf_token(page.text),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1),
        "name": "Buyer during the outage",
        "phone": "98123 00999",
        "address": "14 MG Road, Indiranagar, Bengaluru",
        "pin_code": "560038",
        "payment_method": "cod",
    }


def test_the_primary_down_store_pages_serve_and_checkout_answers_503_with_nothing_written(cluster, merchant):
    product_id, _price = demo_product(merchant, cluster)
    assert "Updated 1 product" in bulk_edit(merchant, cluster, product_id, price=_price, stock="50").text
    buyer = requests.Session()
    form = checkout_form(buyer, cluster, product_id)
    demo_ids(cluster)  # while the primary answers
    with cluster.primary() as connection:
        (orders_before,) = connection.execute("SELECT count(*) FROM orders_order").fetchone()
    primary_pid = cluster.state("postgres")["primary"]["pid"]
    os.kill(primary_pid, signal.SIGQUIT)  # PostgreSQL's immediate shutdown: as a crash, no checkpoint
    try:
        time.sleep(1)  # each process's replica monitor notices (every 0.5 s)
        store_pages_answer(cluster)
        answer = buyer.post(f"{cluster.url}/s/demo/checkout/", data=form, timeout=30)
        assert answer.status_code == 503, answer.text[-500:]
        assert int(answer.headers["Retry-After"]) > 0
        assert "Nothing was saved" in answer.text
    finally:
        wait_until(
            lambda: not os.path.exists(f"/proc/{primary_pid}"),
            timeout=30,
            what="the primary's process to end",
        )
        cluster.up()
    with cluster.primary() as connection:
        (orders_after,) = connection.execute("SELECT count(*) FROM orders_order").fetchone()
        (stock,) = connection.execute(
            "SELECT stock FROM catalog_product WHERE id = %s", [product_id]
        ).fetchone()
    assert (orders_after, stock) == (orders_before, 50)
    # The same checkout, sent again once the primary is back, places the order.
    back = time.monotonic()
    wait_until(
        lambda: "/o/" in buyer.post(f"{cluster.url}/s/demo/checkout/", data=form, timeout=30).url,
        timeout=30,
        what="the checkout to go through after the primary came back",
    )
    placed = time.monotonic() - back
    print(f"\ncheckout works again {placed:.1f} s after `cluster up` brought the primary back")
