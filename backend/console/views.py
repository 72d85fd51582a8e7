"""The operator page's views: sign-in/out, the dashboard (HTML) and its refresh (dashboard.json).

Not signed in: the HTML views redirect to the sign-in page; dashboard.json answers 401 (the
page's script then goes to the sign-in page). Every answer is `no-store` and carries PAGE_CSP:
only our own script, style and fetches, no framing, forms posting only here.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, redirect, render_template, request, url_for

from backend.console import data, page, signin
from backend.errors import Unauthorized
from backend.throttling.extension import limit_login

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
NO_STORE = "no-store, private"
REFRESH_SECONDS = 5


@page.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = NO_STORE
    return response


def _safe_next(value: str | None) -> str:
    """Only a path of this page (never another host: no open redirect)."""
    if value and value.startswith("/admin/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("operator.dashboard")


@page.get("/")
def dashboard():
    """The dashboard, rendered with its figures (then refreshed by static/dashboard.js)."""
    admin = signin.current_admin()
    if admin is None:
        return redirect(url_for("operator.login", next=request.full_path.rstrip("?")))
    figures = data.dashboard(current_app._get_current_object())
    return render_template("console/dashboard.html", admin=admin, figures=figures, refresh=REFRESH_SECONDS,
                           csrf=signin.generate_csrf())


@page.get("/dashboard.json")
def dashboard_json():
    """The same figures as JSON (401 without a session)."""
    if signin.current_admin() is None:
        raise Unauthorized("sign in at /admin/login", {"login_url": url_for("operator.login")})
    return jsonify(data.dashboard(current_app._get_current_object()))


@page.get("/login")
def login():
    """The sign-in form (already signed in: the dashboard)."""
    if signin.current_admin() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("console/login.html", csrf=signin.generate_csrf(), error=None,
                           next=_safe_next(request.args.get("next")))


@page.post("/login")
@limit_login
def login_submit():
    """Check the CSRF token, then the credentials; admins get a session, anyone else the form again (401)."""
    signin.check_csrf(request.form.get("csrf_token"))
    if signin.sign_in(request.form.get("email", "")[:320], request.form.get("password", "")[:1024]):
        return redirect(_safe_next(request.form.get("next")), code=303)
    html = render_template("console/login.html", csrf=signin.generate_csrf(), next=_safe_next(request.form.get("next")),
                           error="Invalid email or password, or not an administrator.")
    return Response(html, status=401, mimetype="text/html")


@page.post("/logout")
def logout():
    """End the session (CSRF-checked: a third-party page cannot sign an operator out)."""
    signin.check_csrf(request.form.get("csrf_token"))
    signin.sign_out()
    return redirect(url_for("operator.login"), code=303)
