"""Tests of the operator tools in scripts/."""
