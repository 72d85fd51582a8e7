"""Scenario services: the public catalogue, users' AI employees, and their runs."""
