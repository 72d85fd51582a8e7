"""Tests of deploy/ (nginx in front of gunicorn) and of draining on SIGTERM."""
