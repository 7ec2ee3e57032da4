"""WSGI entry point of the `web` process (dashboard, admin, checkout)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dukaan.config.settings")
application = get_wsgi_application()
