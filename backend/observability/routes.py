"""Endpoint name -> URL rule, for labels and span names (bounded by the url map, never a raw path)."""

from __future__ import annotations

from flask import Flask

UNMATCHED = "<unmatched>"


class RouteNames:
    """A map from endpoint names to URL rules, rebuilt from the url map when a name is new."""

    def __init__(self, app: Flask):
        self.app = app
        self.rules: dict[str, str] = {}

    def __call__(self, endpoint: str | None) -> str:
        """The rule of `endpoint` (`<unmatched>` for none; the name itself if the map lacks it)."""
        if not endpoint:
            return UNMATCHED
        rule = self.rules.get(endpoint)
        if rule is None:
            rules = {r.endpoint: r.rule for r in self.app.url_map.iter_rules()}
            rule = rules.setdefault(endpoint, endpoint)
            self.rules = rules
        return rule
