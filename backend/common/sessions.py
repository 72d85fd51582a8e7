"""Flask's signed-cookie session without its per-request cost for requests that carry no cookie.

The API never reads Flask's session (clients send bearer tokens), yet with a SECRET_KEY Flask's
`SecureCookieSessionInterface` builds an itsdangerous serializer in `open_session` and reads seven
cookie settings in `save_session` on every request: ~13 us, ~15% of an uncached request's time in
the app (docs/performance.md, "Outside these files"). Pages that do use a session (a sign-in
cookie) keep Flask's behaviour exactly: a request with the cookie, or a view that touches the
session, goes through the parent class unchanged.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions that cost nothing until a request brings or a view uses one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when no cookie came (what the parent returns then), without its serializer."""
        if not app.secret_key:
            return None
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to do for a session nobody touched (the parent would only return)."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)
