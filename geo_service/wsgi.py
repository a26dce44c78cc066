"""WSGI entry point for production servers: ``gunicorn 'geo_service.wsgi:app'``.

Settings come from the environment (``DATABASE_URL`` or ``GEO_SERVICE_HOME``, see
``geo_service.settings``); each worker process builds its own app and connection pool.
"""

from __future__ import annotations

from .app import create_app

app = create_app()
