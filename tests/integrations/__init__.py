"""Tests of backend/integrations."""
