"""The basic contract on every backend: health, envelope, error shape, Server-Timing."""

from tests.conftest import statements


def test_health_touches_no_database(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert statements(response) == 0


def test_ready_reports_the_database(client, backend):
    response = client.get("/api/v1/health/ready")
    assert response.status_code == 200
    assert response.get_json()["database"] == backend


def test_unknown_route_uses_the_error_shape(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert set(response.get_json()["error"]) == {"code", "message", "details"}
