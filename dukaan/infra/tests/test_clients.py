"""The client's address behind proxies: believed only from a trusted proxy, never spoofable."""

import pytest
from django.test import RequestFactory, override_settings

from dukaan.infra.clients import client_address


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8"])
@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # one proxy
        ("10.1.2.3", "198.51.100.7, 10.9.9.9", "198.51.100.7"),  # two proxies of ours
        # A client writing its own header gets the address the proxy appended, not the one it wrote.
        ("127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not from a trusted proxy: header ignored
        ("127.0.0.1", "", "127.0.0.1"),  # the proxy itself (a probe)
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("127.0.0.1", "[2001:db8::5]:4711", "2001:db8::5"),
        ("::ffff:127.0.0.1", "198.51.100.7:5000", "198.51.100.7"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_first_untrusted_hop(remote, forwarded, client):
    assert client_address(_request(remote, forwarded)) == client


def test_no_readable_address_is_none():
    assert client_address(_request("")) is None


def test_a_bad_trusted_proxy_setting_is_refused_with_its_value(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import dukaan.config.settings"],
        env={"DUKAAN_TRUSTED_PROXIES": "127.0.0.1,nginx", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DUKAAN_TRUSTED_PROXIES: 'nginx' is not an IP address" in result.stderr
