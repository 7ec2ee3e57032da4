"""WSGI entry point of the `web` process (dashboard, admin, checkout)."""

import atexit
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dukaan.config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (needs the settings module chosen above)

from dukaan.storefront.view_counts import flush_views  # noqa: E402

if settings.EVENT_RUN_EMBEDDED_WORKERS and settings.EVENT_BUS_URL.startswith("local:"):
    from dukaan.events.local import start_embedded_workers

    start_embedded_workers()
# Page views are counted in memory; write what is left when the server stops.
atexit.register(flush_views)
