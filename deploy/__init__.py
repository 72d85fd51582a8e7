"""Deployment files (nginx in front of gunicorn) and the script that runs them locally."""
