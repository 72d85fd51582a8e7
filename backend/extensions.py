"""Unbound extension instances; `create_app` binds them with `init_app`."""

from flask_caching import Cache
from flask_compress import Compress
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from backend.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cache = Cache()
compress = Compress()
