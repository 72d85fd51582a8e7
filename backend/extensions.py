"""Unbound extension instances; `create_app` binds them with `init_app`."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from backend.caching import ResponseCaching
from backend.database import Base
from backend.integrations.extension import Integrations
from backend.observability.insight import InsightExtension
from backend.observability.metrics import Metrics
from backend.observability.timing import QueryTiming
from backend.throttling import Throttling

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
timing = QueryTiming()
insight = InsightExtension()
caching = ResponseCaching()
integrations = Integrations()
throttling = Throttling()
metrics = Metrics()
# Flask-Caching and Flask-Compress belong to the response cache; named here for tests and tools.
cache = caching.cache
compress = caching.compress
