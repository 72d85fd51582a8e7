"""SNS automation (stub while building)."""
from backend.sns import models  # noqa: F401
