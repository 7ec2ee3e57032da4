"""Logs: one JSON line per record, each with its request id (and trace id, event), never a secret, a full
phone number or a login code; and the servers that set up logging themselves write the same lines."""

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import urllib.request
import uuid

import pytest
import structlog
from django.urls import reverse
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from dukaan.accounts.tests.helpers import closed_port, code_sent_to
from dukaan.events.consumers import ConsumerGroup, Event, deliver
from dukaan.infra import logs
from dukaan.orders.events import ORDER_PLACED
from tests.waiting import wait_until

from .conftest import PRODUCTION, run_fresh

PHONE = "+919812345678"
logger = logging.getLogger("dukaan.tests.logs")


class Captured:
    """What the root logger wrote through the JSON formatter during a test."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, logger_name: str | None = None) -> list[dict]:
        parsed = [json.loads(line) for line in self.text.splitlines()]  # fails on any line that is not JSON
        return [line for line in parsed if logger_name is None or line["logger"] == logger_name]


@pytest.fixture
def captured():
    captured = Captured()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield captured
    root.removeHandler(handler)


# --- request ids ------------------------------------------------------------------------------------


def test_each_request_gets_an_id_in_the_response_and_on_its_access_line(client, captured):
    response = client.get("/healthz")

    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [access] = captured.lines("dukaan.access")
    assert access["request_id"] == request_id
    assert (access["method"], access["route"], access["status"]) == ("GET", "healthz", 200)
    assert access["level"] == "info" and access["duration_ms"] >= 0
    assert access["event"] == "GET healthz 200" and access["timestamp"].endswith("Z")


def test_a_plain_incoming_request_id_is_kept(client, captured):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42_Z")

    assert response["X-Request-ID"] == "lb-7f3a.42_Z"
    assert captured.lines("dukaan.access")[0]["request_id"] == "lb-7f3a.42_Z"


@pytest.mark.parametrize("sent", ["two words", "x" * 65, "<script>", "id\u00e9", ""])
def test_an_unusable_incoming_request_id_is_replaced_by_a_new_one(client, captured, sent):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert captured.lines("dukaan.access")[0]["request_id"] == response["X-Request-ID"]


def test_the_id_is_gone_once_the_request_is_answered(client, captured):
    client.get("/healthz")
    logger.info("after the request")

    assert "request_id" not in captured.lines("dukaan.tests.logs")[0]


def test_the_access_line_never_has_the_query_string(client, captured):
    client.get("/healthz?token=s3cr3t-value&phone=%2B919812345678")
    client.get("/no-such-page/?token=s3cr3t-value")

    assert "s3cr3t" not in captured.text and "9812345678" not in captured.text
    routes = [line["route"] for line in captured.lines("dukaan.access")]
    assert routes == ["healthz", "/no-such-page/"]  # a pattern when one matched, else the path alone


@pytest.mark.django_db
def test_a_login_by_code_logs_its_lines_under_the_request_id_and_never_the_phone_or_the_code(
    client, captured, settings, tmp_path
):
    settings.SMS_BACKEND = "console"
    settings.SMS_CONSOLE_LOG = tmp_path / "sms.log"

    asked = client.post(reverse("accounts:login"), {"phone": "98123 45678"})
    code = code_sent_to(PHONE)
    verified = client.post(reverse("accounts:verify"), {"code": code})

    assert verified.status_code == 302 and client.session.get("_auth_user_id")
    [sent] = [line for line in captured.lines("dukaan.accounts.services") if "code sent" in line["event"]]
    assert sent["request_id"] == asked["X-Request-ID"]
    assert sent["event"] == "login code sent to ******5678"
    assert [line["request_id"] for line in captured.lines("dukaan.access")] == [
        asked["X-Request-ID"],
        verified["X-Request-ID"],
    ]
    for secret in (PHONE, "9812345678", "98123 45678", "919812345678", code):
        assert secret not in captured.text


# --- redaction --------------------------------------------------------------------------------------


def test_values_under_secret_keys_are_redacted(captured):
    with structlog.contextvars.bound_contextvars(
        password="hunter2",
        api_key="dk_live_abc",
        session_cookie="abc123",
        headers={"Authorization": "Bearer dk_live_abc", "Accept": "text/html"},
        code="424242",
        store_id=7,
    ):
        logger.info("calling the provider")

    [line] = captured.lines("dukaan.tests.logs")
    assert line["password"] == line["api_key"] == line["session_cookie"] == line["code"] == "[redacted]"
    assert line["headers"] == {"Authorization": "[redacted]", "Accept": "text/html"}
    assert line["store_id"] == 7
    assert "hunter2" not in captured.text and "dk_live_abc" not in captured.text


@pytest.mark.parametrize(
    ("args", "written"),
    [
        (("SMS to %s failed: %s", PHONE, "timeout"), "SMS to ******5678 failed: timeout"),
        (("buyer %s ordered", "9812345678"), "buyer ******5678 ordered"),
        (("buyer %s ordered", "+91 98123 45678"), "buyer ******5678 ordered"),
        (("sent %r", "Your Dukaan login code is 123456."), "sent 'Your Dukaan login code is ******.'"),
        (("OTP: %s", "654321"), "OTP: ******"),
        (("uk number %s", "+447911123456"), "uk number ******3456"),
    ],
)
def test_phones_and_codes_in_a_formatted_message_are_masked(captured, args, written):
    logger.warning(*args)

    assert captured.lines("dukaan.tests.logs")[0]["event"] == written


def test_numbers_that_are_not_phones_or_codes_are_left_alone(captured):
    text = "order 104233 of store 7 took 1712345678 ms; event 3f9a9812345678bc; at 2026-01-05T10:00:00"
    logger.info(text)

    assert captured.lines("dukaan.tests.logs")[0]["event"] == text


def test_a_traceback_is_redacted_like_the_message(captured):
    try:
        raise ValueError(f"no store for {PHONE}")
    except ValueError:
        logger.exception("lookup failed")

    [line] = captured.lines("dukaan.tests.logs")
    assert "ValueError: no store for ******5678" in line["exception"]
    assert PHONE not in captured.text


# --- trace and event context ------------------------------------------------------------------------


def test_a_line_logged_inside_a_span_carries_its_trace_and_span_ids(captured):
    context = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    with trace.use_span(NonRecordingSpan(context)):
        logger.info("inside")
    logger.info("outside")

    inside, outside = captured.lines("dukaan.tests.logs")
    assert inside["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert inside["span_id"] == "00f067aa0ba902b7"
    assert "trace_id" not in outside and "span_id" not in outside


@pytest.mark.django_db(transaction=True)
def test_lines_logged_while_an_event_is_handled_name_the_event_and_the_group(captured):
    def handler(event: Event) -> None:
        logger.info("handling")

    group = ConsumerGroup(name="log-test", handler=handler, events=frozenset({ORDER_PLACED}))
    event = Event(
        id=str(uuid.uuid4()),
        type="order.placed",
        version=1,
        store_id=1,
        occurred_at="2026-01-05T10:00:00+00:00",
        data={},
        aggregatetype="order",
    )

    assert deliver(group, event) == "applied"
    logger.info("afterwards")

    handling, afterwards = captured.lines("dukaan.tests.logs")
    assert (handling["event_id"], handling["event_type"], handling["group"]) == (
        event.id,
        "order.placed",
        "log-test",
    )
    assert "event_id" not in afterwards


# --- configuration, as an operator meets it ---------------------------------------------------------

LOG_ONE_LINE = """
import logging, django
django.setup()
logging.getLogger("dukaan.probe").warning("probe for %s", "+919812345678")
"""


def test_production_writes_json_lines_by_default(tmp_path):
    result = run_fresh(tmp_path, LOG_ONE_LINE, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stderr.splitlines()]
    assert (line["level"], line["logger"], line["event"]) == (
        "warning",
        "dukaan.probe",
        "probe for ******5678",
    )


def test_a_laptop_writes_readable_lines_by_default(tmp_path):
    result = run_fresh(tmp_path, LOG_ONE_LINE)

    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    assert "[warning" in line and "probe for ******5678" in line and "[dukaan.probe]" in line


def test_an_unknown_log_format_is_refused_with_the_choices(tmp_path):
    result = run_fresh(tmp_path, "import dukaan.config.settings", DUKAAN_LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DUKAAN_LOG_FORMAT must be json (one JSON object a line, for a log " in (
        result.stderr
    )
    assert "or console (readable lines, for a person), not 'xml'." in result.stderr


# --- servers that set up logging themselves ---------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "environment", "server_logger"),
    [
        (["web", "--threads", "2"], {}, "_granian"),  # its start and stop
        (["storefront", "--workers", "1"], {"STOREFRONT_PAGE_CACHE_PAGES": "0"}, "uvicorn.error"),  # bad HTTP
    ],
    ids=["web (granian)", "storefront (uvicorn)"],
)
def test_a_server_writes_only_json_lines_with_our_access_line(tmp_path, command, environment, server_logger):
    port = closed_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DUKAAN_VAR_DIR": str(tmp_path),
        "DUKAAN_LOG_FORMAT": "json",
        "DUKAAN_TRACES": "off",
        **environment,
    }
    output = tmp_path / "server.log"
    with output.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "dukaan.cli", *command, "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz?phone=%2B919812345678", headers={"X-Request-ID": "probe-1"}
            )
            answer = _first_answer(request, server)
            assert answer.headers["X-Request-ID"] == "probe-1"
            with socket.create_connection(("127.0.0.1", port), timeout=5) as garbage:
                garbage.sendall(b"NOT HTTP AT ALL\r\n\r\n")
                garbage.recv(1024)
        finally:
            server.terminate()
            server.wait(20)

    lines = [json.loads(text) for text in output.read_text().splitlines()]  # every line is JSON
    [access] = [
        line for line in lines if line["logger"] == "dukaan.access" and line["request_id"] == "probe-1"
    ]
    assert (access["route"], access["status"]) == ("healthz", 200)
    assert "9812345678" not in output.read_text()
    assert any(line["logger"] == server_logger for line in lines)


def _first_answer(request: urllib.request.Request, server: subprocess.Popen):
    """The server's answer once it listens (it takes a second or two to start)."""

    def answer():
        assert server.poll() is None, "the server stopped"
        return urllib.request.urlopen(request, timeout=5)

    return wait_until(answer, what="the server to answer", timeout=30, ignoring=(OSError,))
