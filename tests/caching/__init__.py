"""Tests of backend/caching."""
