"""The lazy cookie session: free when no cookie comes, Flask's own signed cookie when one is used."""

from flask import Flask, session

from backend.common.sessions import LazyCookieSessionInterface


def session_app(secret: str | None = "s3cret"):
    app = Flask(__name__)
    app.secret_key = secret
    app.session_interface = LazyCookieSessionInterface()

    @app.get("/plain")
    def plain():
        return "plain"

    @app.post("/login")
    def login():
        session["user"] = 7
        return "ok"

    @app.get("/me")
    def me():
        return str(session.get("user"))

    @app.post("/logout")
    def logout():
        session.clear()
        return "bye"

    return app


def test_no_cookie_no_session_headers():
    response = session_app().test_client().get("/plain")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_signed_cookie_round_trip_and_clear():
    client = session_app().test_client()
    assert client.get("/me").get_data(as_text=True) == "None"
    login = client.post("/login")
    assert "session=" in login.headers["Set-Cookie"] and "HttpOnly" in login.headers["Set-Cookie"]
    assert client.get("/me").get_data(as_text=True) == "7"
    logout = client.post("/logout")
    assert "session=;" in logout.headers["Set-Cookie"]  # emptied: the cookie is deleted
    assert client.get("/me").get_data(as_text=True) == "None"


def test_tampered_or_foreign_cookie_is_an_empty_session():
    client = session_app().test_client()
    client.post("/login")
    other = session_app(secret="another").test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    assert other.get("/me").get_data(as_text=True) == "None"
    other.set_cookie("session", "garbage.value.sig")
    assert other.get("/me").get_data(as_text=True) == "None"


def test_reading_the_session_varies_on_cookie():
    response = session_app().test_client().get("/me")
    assert "Cookie" in response.headers.get("Vary", "")


def test_without_a_secret_there_is_no_session():
    app = session_app(secret=None)
    with app.test_request_context("/plain", headers={"Cookie": "session=x"}):
        from flask import request
        assert app.session_interface.open_session(app, request) is None  # Flask then uses its NullSession
    assert app.test_client().get("/plain").status_code == 200
