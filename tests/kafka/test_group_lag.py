"""A consumer group's lag on Kafka, as the staff /status page and a worker's /metrics report it."""

from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from dukaan.catalog import services
from dukaan.conftest import make_store
from dukaan.events.kafka import group_lag
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]


def test_lag_grows_while_no_worker_runs_and_drops_to_zero_once_one_catches_up(kafka_bus):
    recorder = kafka_bus.recorder("lag")
    assert group_lag(recorder.group) == 0
    store = make_store("+919812347101", "lag-store")
    product = services.create_product(store=store, name="Chai", price=Decimal("99"), stock=100)
    for _ in range(5):
        services.adjust_stock(product=product, delta=-1)
    # store.created + product.created + 5 stock.changed, once Debezium has published them
    wait_until(lambda: group_lag(recorder.group) == 7, timeout=60, what="7 events behind")
    worker = kafka_bus.run(recorder)
    wait_until(lambda: group_lag(recorder.group) == 0, timeout=60, what="the group caught up")
    wait_until(
        lambda: (
            REGISTRY.get_sample_value("dukaan_consumer_lag_events", {"group": recorder.group.instance}) == 0
        ),
        timeout=30,
        what="the worker's own gauge at 0",
    )
    worker.stop()
