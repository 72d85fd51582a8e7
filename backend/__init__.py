"""SoftFactory platform API."""

from backend.app import create_app

__all__ = ["create_app"]
