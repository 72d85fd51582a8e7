"""Tests of backend/auth."""
