"""Tests of backend/openapi."""
