"""`Throttling`: binds the per-client middleware and Flask-Limiter's login/registration limits."""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from flask_limiter import Limiter, RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.observability import signals
from backend.throttling.keys import account_in_body, remote_ip
from backend.throttling.wsgi import ClientLimit

limiter = Limiter(key_func=remote_ip, default_limits=[], headers_enabled=True, strategy="fixed-window",
                  swallow_errors=True, in_memory_fallback_enabled=True, key_prefix="sf-route")


def _config(name: str) -> str:
    return current_app.config[name]


# Flask-Limiter reads callables at request time, so the limits follow the app's configuration.
limit_login = limiter.limit(lambda: _config("THROTTLE_LOGIN_PER_IP"), key_func=remote_ip,
                            override_defaults=False)
limit_login_account = limiter.limit(lambda: _config("THROTTLE_LOGIN_PER_ACCOUNT"), key_func=account_in_body,
                                    override_defaults=False)
limit_register = limiter.limit(lambda: _config("THROTTLE_REGISTER_PER_IP"), key_func=remote_ip,
                               override_defaults=False)
limit_register_account = limiter.limit(lambda: _config("THROTTLE_REGISTER_PER_ACCOUNT"), key_func=account_in_body,
                                       override_defaults=False)


def storage_uri(app: Flask) -> str:
    """Redis when configured (shared by every worker and host), else this worker's memory."""
    return app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"


class Throttling:
    """Extension object: call `init_app(app)` last, so the middleware sits in front of the L1."""

    key = "throttling"

    def init_app(self, app: Flask) -> None:
        """Install ProxyFix, the per-client middleware and Flask-Limiter (all off when disabled)."""
        hops = int(app.config.get("TRUSTED_PROXY_HOPS", 0))
        enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
        uri = storage_uri(app)
        timeout = app.config["REDIS_SOCKET_TIMEOUT"]
        options = {} if uri.startswith("memory") else {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        app.config["RATELIMIT_STORAGE_URI"] = uri
        app.config["RATELIMIT_STORAGE_OPTIONS"] = options
        app.config["RATELIMIT_ENABLED"] = enabled
        limiter.init_app(app)
        _drop_per_request_check(app)
        app.register_error_handler(RateLimitExceeded, _too_many)
        if enabled:
            from backend.common.http import SECURITY_HEADERS

            app.wsgi_app = ClientLimit(app.wsgi_app, app.config["THROTTLE_DEFAULT"], app.config["THROTTLE_PER_IP"],
                                       uri, options, extra_headers=SECURITY_HEADERS,
                                       flush_interval=app.config["THROTTLE_FLUSH_SECONDS"],
                                       retry_after=app.config["THROTTLE_RETRY_SECONDS"])
        if hops > 0:  # outermost: the limits and the app see the client's address, not the proxy's
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
        app.extensions[self.key] = self


def _drop_per_request_check(app: Flask) -> None:
    """Remove Flask-Limiter's `before_request` check: it serves default and blueprint limits only.

    There are none here (the default limit is `ClientLimit`), and the decorated login and
    registration views check their own limits in their wrappers, so the hook only cost every
    Flask request its look-ups (~0.5 ms under cProfile per uncached request; docs/performance.md).
    """
    funcs = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [f for f in funcs if f != limiter._check_request_limit]


def _too_many(exc: RateLimitExceeded):
    """Flask-Limiter's 429 in the house error shape (its after_request hook adds the headers)."""
    signals.rate_limited("route")
    limit = exc.limit.limit if exc.limit is not None else None
    body = {"error": {"code": "rate_limited", "message": f"rate limit exceeded: {exc.description}",
                      "details": {"limit": str(limit) if limit else exc.description, "remaining": 0}}}
    response = jsonify(body)
    response.status_code = 429
    response.headers["Cache-Control"] = "no-store"
    return response
