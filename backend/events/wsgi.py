"""The event server's gunicorn target: `gunicorn -c gunicorn_events.py backend.events.wsgi:app`."""

from backend.events import create_events_app

app = create_events_app()
