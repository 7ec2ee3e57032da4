"""A local stand-in for the WhatsApp Business Cloud API's send endpoint, for tests.

It listens on 127.0.0.1 (an ephemeral port) and checks each request as Meta documents it:
POST /{version}/{phone_number_id}/messages, `Authorization: Bearer <token>`, a JSON body
{"messaging_product": "whatsapp", "recipient_type": "individual", "to", "type": "template",
"template": {"name", "language": {"code"}, "components": [{"type": "body", "parameters":
[{"type": "text", "text"}…]}]}}, template values with no newline, tab or more than four spaces in a
row. It answers as Meta does: 200 {"messaging_product", "contacts": [{"input", "wa_id"}],
"messages": [{"id": "wamid…"}]}, or an error status with {"error": {"message", "type", "code",
"error_data": {"messaging_product", "details"}, "fbtrace_id"}}.

A test queues what the next requests get, in order: `answer_next()`, `fail_next(status, code, message)`,
`hang_next(seconds)`; and reads
what arrived in `sent` (the accepted bodies, in order).
"""

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_BAD_VALUE = re.compile(r"[\n\t]| {5,}")


class WhatsAppServer:
    def __init__(
        self, *, version: str = "v23.0", phone_number_id: str = "106540352242922", token: str = "test-token"
    ):
        self.version, self.phone_number_id, self.token = version, phone_number_id, token
        self.sent: list[dict[str, Any]] = []
        self._trouble: list[tuple[str, Any]] = []  # what the next requests get instead of a success
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                status, answer = server._answer(self)
                if status:
                    payload = json.dumps(answer).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> "WhatsAppServer":
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def answer_next(self) -> None:
        """The next request is answered as usual (so a failure queued after it hits the one after)."""
        with self._lock:
            self._trouble.append(("answer", None))

    def fail_next(self, status: int = 500, code: int = 131000, message: str = "Something went wrong") -> None:
        with self._lock:
            self._trouble.append(("fail", (status, code, message)))

    def hang_next(self, seconds: float) -> None:
        with self._lock:
            self._trouble.append(("hang", seconds))

    def _answer(self, request: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        if request.path != f"/{self.version}/{self.phone_number_id}/messages":
            return 400, _error(
                100, "Unsupported post request. Object with ID does not exist", "OAuthException"
            )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, _error(
                190, "Invalid OAuth access token - Cannot parse access token", "OAuthException"
            )
        try:
            body = json.loads(request.rfile.read(int(request.headers.get("Content-Length") or 0)))
        except ValueError:
            return 400, _error(100, "Invalid parameter", details="The request body is not JSON.")
        problem = _shape_problem(body)
        if problem:
            return 400, _error(100, "Invalid parameter", details=problem)
        with self._lock:
            trouble = self._trouble.pop(0) if self._trouble else None
        if trouble and trouble[0] == "answer":
            trouble = None
        if trouble and trouble[0] == "hang":
            time.sleep(trouble[1])
            return 0, {}  # the client gave up; nothing is answered
        if trouble:
            status, code, message = trouble[1]
            return status, _error(code, message, details=message)
        with self._lock:
            self.sent.append(body)
        wamid = "wamid." + uuid.uuid4().hex
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"].lstrip("+")}],
            "messages": [{"id": wamid}],
        }


def _error(code: int, message: str, kind: str = "OAuthException", details: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"message": f"(#{code}) {message}", "type": kind, "code": code}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error["fbtrace_id"] = "A" + uuid.uuid4().hex[:20]
    return {"error": error}


def _shape_problem(body: Any) -> str:
    """What in the body breaks the documented template request; "" when nothing does."""
    if not isinstance(body, dict):
        return "The body must be a JSON object."
    for field, value in (
        ("messaging_product", "whatsapp"),
        ("recipient_type", "individual"),
        ("type", "template"),
    ):
        if body.get(field) != value:
            return f"{field} must be {value!r}."
    if not isinstance(body.get("to"), str) or not body["to"].lstrip("+").isdigit():
        return "to must be the recipient's phone number."
    template = body.get("template")
    if not isinstance(template, dict) or not re.fullmatch(r"[a-z0-9_]{1,512}", str(template.get("name", ""))):
        return "template.name must be the approved template's name (lowercase letters, digits, _)."
    if not isinstance(template.get("language"), dict) or not template["language"].get("code"):
        return "template.language.code is required."
    components = template.get("components")
    if not isinstance(components, list) or [c.get("type") for c in components if isinstance(c, dict)] != [
        "body"
    ]:
        return "template.components must hold the one body component."
    parameters = components[0].get("parameters")
    if not isinstance(parameters, list) or not parameters:
        return "The body component needs its parameters."
    for parameter in parameters:
        if (
            not isinstance(parameter, dict)
            or parameter.get("type") != "text"
            or not isinstance(parameter.get("text"), str)
        ):
            return "Each body parameter must be {type: text, text: …}."
        if not parameter["text"].strip() or _BAD_VALUE.search(parameter["text"]):
            return "Param text cannot be empty or have new-line/tab characters or over 4 spaces in a row."
    return ""
