"""Tests of backend/coocook."""
