"""WSGI entry point, as served by gunicorn (`gunicorn sciplo.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplo.settings")

application = get_wsgi_application()
