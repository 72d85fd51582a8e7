"""Tests of backend/throttling."""
