"""The gunicorn target: the only import-time app."""

from backend.app import create_app

app = create_app()
