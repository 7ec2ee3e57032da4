"""Settings, URL root and the WSGI/ASGI entry points."""
