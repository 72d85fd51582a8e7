"""Tests of backend/admin."""
