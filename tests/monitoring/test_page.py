"""The operator page over the test client: redirects, sign-in (admins only, CSRF), cookie flags, CSP, figures."""

from __future__ import annotations

import re

from tests.monitoring.conftest import ADMIN, queue_jobs, t0, tick


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email, password="password-123", next_=None):
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    form = {"csrf_token": token, "email": email, "password": password, **({"next": next_} if next_ else {})}
    return client.post("/admin/login", data=form)


def test_anonymous_is_redirected_and_json_is_401(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login?next=/admin/"
    assert client.get("/admin/dashboard.json").status_code == 401
    login = client.get("/admin/login")
    assert login.status_code == 200 and "Operator sign-in" in login.get_data(as_text=True)
    csp = login.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert login.headers["X-Frame-Options"] == "DENY" and login.headers["Cache-Control"] == "no-store, private"


def test_sign_in_needs_csrf_an_admin_and_the_right_password(client, make_user):
    user, _ = make_user()
    admin, _ = make_user("admin")
    assert client.post("/admin/login", data={"email": admin["email"], "password": "password-123"}).status_code == 400
    assert client.post("/admin/login", data={"csrf_token": "forged", "email": admin["email"],
                                             "password": "password-123"}).get_json()["error"]["code"] == "csrf_failed"
    assert sign_in(client, user["email"]).status_code == 401  # not an admin
    wrong = sign_in(client, admin["email"], "not-the-password")
    assert wrong.status_code == 401 and "Invalid email or password" in wrong.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    ok = sign_in(client, admin["email"], next_="https://evil.example/")
    assert ok.status_code == 303 and ok.headers["Location"] == "/admin/"  # no open redirect
    cookie = ok.headers["Set-Cookie"]
    assert cookie.startswith("sf_admin=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/admin" in cookie and "Secure" not in cookie  # Secure in production (below)


def test_dashboard_shows_every_section_with_figures(monitor_app, admin):
    client, (user, headers) = monitor_app.test_client(), admin
    client.post(f"{ADMIN}/alerts/rules", headers=headers, json={"name": "queue", "metric": "jobs.queue_depth",
                                                                "threshold": 0, "window_seconds": 60})
    queue_jobs(monitor_app, 2)
    tick(monitor_app, t0())
    client.post(f"{ADMIN}/incidents", headers=headers, json={"title": "Jobs stuck", "severity": "critical"})
    for _ in range(3):
        client.get("/api/v1/coocook/chefs")
    assert sign_in(client, user["email"]).status_code == 303
    html = client.get("/admin/").get_data(as_text=True)
    for title in ("Dependency health", "Active alerts", "Open incidents", "Endpoints", "Cache", "Database pool",
                  "Job queue"):
        assert title in html, title
    assert "Jobs stuck" in html and ">queue<" in html and "coocook.list_chefs" in html
    figures = client.get("/admin/dashboard.json").get_json()
    sections = {s["id"]: s for s in figures["sections"]}
    assert {"health", "alerts", "incidents", "endpoints", "cache", "pool", "jobs"} <= set(sections)
    health = {row[0]: row[1] for row in sections["health"]["rows"]}
    assert health["database"] == "ok"
    assert figures["summary"]["active_alerts"] == 1 and figures["summary"]["queue_depth"] == 2
    chefs = [r for r in sections["endpoints"]["rows"] if r[0] == "coocook.list_chefs"]
    assert chefs and chefs[0][1] >= 3


def test_sign_out_needs_csrf_and_a_password_change_ends_the_session(client, make_user):
    admin, headers = make_user("admin")
    sign_in(client, admin["email"])
    page = client.get("/admin/").get_data(as_text=True)
    assert client.post("/admin/logout", data={}).status_code == 400
    client.post("/api/v1/auth/password", headers=headers, json={"current_password": "password-123",
                                                                "new_password": "brand-new-pass-789"})
    assert client.get("/admin/").status_code == 302  # the stored fingerprint no longer matches
    sign_in(client, admin["email"], "brand-new-pass-789")
    page = client.get("/admin/").get_data(as_text=True)
    assert client.post("/admin/logout", data={"csrf_token": csrf_of(page)}).status_code == 303
    assert client.get("/admin/").status_code == 302


def test_production_cookie_is_secure():
    from backend.config import ProductionConfig, TestingConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True and TestingConfig.SESSION_COOKIE_SECURE is False


def test_api_docs_page_and_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and 'data-spec-url="/api/v1/openapi.json"' in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/assets/LICENSE").status_code == 404
    assert client.get("/api/v1/docs/assets/..%2F__init__.py").status_code == 404
