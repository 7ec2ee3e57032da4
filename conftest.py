"""Which tests share a worker when pytest-xdist spreads a pass over the cores (`make test-postgres`,
`make test-sqlite`: `-n auto --dist loadgroup`). A file's tests stay together, so its module fixtures
start once; the files that share a session's heavy server (one Kafka + Kafka Connect + Debezium, one
Elasticsearch node) stay on one worker, so that server starts once per pass, as without xdist."""

import pytest

SHARED_SERVERS = {"tests/kafka/": "kafka", "dukaan/search/tests/": "elasticsearch"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        group = next((name for prefix, name in SHARED_SERVERS.items() if path.startswith(prefix)), path)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", autouse=True)
def test_client_host_is_a_platform_host(django_test_environment):
    """Django's test client asks for "testserver", which Django lets through ALLOWED_HOSTS in tests; the
    custom domains middleware checks PLATFORM_HOSTS instead (storefront/domains.py), so it is added there."""
    from django.conf import settings

    settings.PLATFORM_HOSTS = [*settings.PLATFORM_HOSTS, "testserver"]
