"""The floor: a bare Flask app that does no work, what the project's endpoints are measured against.

scripts.ratio serves it under the project's own gunicorn_config.py, so a ratio says how much of the
stack's capacity (Flask + Gunicorn on this machine) an endpoint keeps. Deliberately the plainest
Flask possible (default JSON provider, no extensions): changing it changes every recorded ratio.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def floor():
    """A constant JSON body."""
    return jsonify(status="ok")
