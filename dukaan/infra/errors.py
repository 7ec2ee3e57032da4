"""How failures are shown: Django's debug page without passwords, and too-large requests as a 413.

DEBUG is for a laptop, but a laptop's DATABASE_URL may well point at a shared database, and the debug
page lists every setting, the request's META (the whole environment under runserver) and each
frame's local variables. Django hides names that look secret (…KEY, …PASS…), not a password
inside a URL (postgres://user:password@host, redis://:password@host), so those are masked here.
"""

from __future__ import annotations

import re

from django.views import debug
from django.views.debug import SafeExceptionReporterFilter

# Everything between a scheme's "://" and the last "@" before the next space: user and password. Greedy,
# so a password holding "@" or "," (a list of URLs in one variable) is masked whole, never in part.
URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)\S*@")


def hide_url_passwords(text: str) -> str:
    return URL_CREDENTIALS.sub(
        lambda found: found["scheme"] + SafeExceptionReporterFilter.cleansed_substitute + "@", text
    )


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """DEFAULT_EXCEPTION_REPORTER_FILTER: Django's, and no credentials inside URLs, wherever they show."""

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        return hide_url_passwords(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, hide_url_passwords(value) if isinstance(value, str) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


class ExceptionReporter(debug.ExceptionReporter):
    """DEFAULT_EXCEPTION_REPORTER: the exception's own message may hold a URL too ("could not reach …")."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if isinstance(data.get("exception_value"), str):
            data["exception_value"] = hide_url_passwords(data["exception_value"])
        for frame in data.get("frames", []):
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = hide_url_passwords(str(frame["exc_cause"]))
        return data
