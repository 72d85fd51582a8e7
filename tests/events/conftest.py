"""The jobs fixtures (scripted handler, an app whose jobs stay queued) serve the stream tests too."""

from tests.jobs.conftest import queued_app, script  # noqa: F401
