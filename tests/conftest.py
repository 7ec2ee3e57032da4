"""Fixtures shared by the cross-app tests under tests/."""

import socket

import pytest

from dukaan.conftest import media_in_tmp, search_in_tmp  # noqa: F401 (autouse fixtures, as in dukaan/)


def find_free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    return find_free_port()
