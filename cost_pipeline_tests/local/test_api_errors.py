"""Auth and request validation: Langfuse's error shapes, nothing leaked."""

from __future__ import annotations

import base64

import httpx
import pytest

from cost_pipeline_tests.conftest import start_serve_local

OBS = "/api/public/v2/observations"
PUBLIC_ROUTES = [
    ("GET", OBS),
    ("GET", "/api/public/projects"),
    ("GET", "/api/public/v2/metrics"),
    ("POST", "/api/public/otel/v1/traces"),
    ("POST", "/api/public/scores"),
    ("POST", "/api/public/ingestion"),
    ("GET", "/api/public/does-not-exist"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    secret = "sk-lf-test-secret-value"
    root = tmp_path_factory.mktemp("errors")
    with start_serve_local(root, env={"LANGFUSE_SECRET_KEY": secret}) as srv:
        yield srv


@pytest.mark.parametrize(("method", "path"), PUBLIC_ROUTES)
@pytest.mark.parametrize(
    "auth",
    [
        None,
        ("pk-lf-local", "wrong"),
        ("pk-wrong", "sk-lf-test-secret-value"),
        "Bearer sk-lf-test-secret-value",
        "Basic not-base64!",
    ],
)
def test_every_public_route_needs_the_right_keys(server, method, path, auth):
    headers = {}
    kwargs = {}
    if isinstance(auth, tuple):
        kwargs["auth"] = auth
    elif isinstance(auth, str):
        headers["authorization"] = auth
    response = httpx.request(method, server.base_url + path, headers=headers, timeout=30, **kwargs)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"message"}
    assert server.secret_key not in response.text


def test_health_answers_like_langfuse_without_credentials(server):
    response = httpx.get(server.base_url + "/api/public/health", timeout=30)
    assert response.status_code == 200
    assert response.json()["status"] == "OK"


def test_unknown_routes_get_json_404(server):
    with server.api() as api:
        response = api.get("/api/public/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["message"].startswith("Route not found")
    assert httpx.get(server.base_url + "/nope", timeout=30).json()["error"] == "NotFoundError"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "1001"}, "Invalid request data"),
        ({"limit": "-1"}, "Invalid request data"),
        ({"limit": "ten"}, "Invalid request data"),
        ({"fromStartTime": "yesterday"}, "Invalid request data"),
        ({"toStartTime": "2026-13-45T00:00:00Z"}, "Invalid request data"),
        ({"fromStartTime": "2026-11-20"}, "Invalid request data"),
        ({"type": "LLM"}, "Invalid request data"),
        ({"level": "LOUD"}, "Invalid request data"),
        ({"parseIoAsJson": "true"}, "Invalid request data"),
        ({"cursor": "not base64 at all"}, "Invalid cursor format"),
        ({"cursor": base64.b64encode(b"[1, 2]").decode()}, "Invalid cursor format"),
        ({"cursor": base64.b64encode(b'{"lastId": "x"}').decode()}, "Invalid cursor format"),
        (
            {
                "cursor": base64.b64encode(
                    b'{"lastStartTimeTo": "soon", "lastTraceId": "t", "lastId": "x"}'
                ).decode()
            },
            "Invalid cursor format",
        ),
    ],
)
def test_invalid_query_parameters_get_400(server, params, message):
    with server.api() as api:
        response = api.get(OBS, params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == message
    if message == "Invalid request data":
        assert isinstance(body["error"], list)
        assert body["error"][0]["path"] == [next(iter(params))]


def test_limit_zero_and_parse_io_false_are_accepted(server):
    with server.api() as api:
        assert api.get(OBS, params={"limit": "0"}).json() == {"data": [], "meta": {}}
        assert api.get(OBS, params={"parseIoAsJson": "false"}).status_code == 200


def test_newer_ingestion_version_header_is_rejected(server):
    with server.api() as api:
        response = api.post(
            "/api/public/otel/v1/traces",
            content=b"",
            headers={"content-type": "application/x-protobuf", "x-langfuse-ingestion-version": "5"},
        )
    assert response.status_code == 400


@pytest.mark.parametrize("headers", [{}, {"X-Admin-Key": "wrong"}])
def test_admin_routes_need_the_admin_key(server, headers):
    for method, path in [
        ("GET", "/admin/knobs"),
        ("POST", "/admin/knobs"),
        ("GET", "/admin/stats"),
        ("GET", "/admin/truth"),
        ("POST", "/admin/observations"),
    ]:
        response = httpx.request(method, server.base_url + path, headers=headers, timeout=30)
        assert response.status_code == 403, path
        assert server.admin_key not in response.text


def test_admin_refuses_non_loopback_clients():
    from starlette.requests import Request

    from cost_pipeline.local.auth import check_admin
    from cost_pipeline.local.errors import ApiError

    def request_from(host: str) -> Request:
        scope = {"type": "http", "client": (host, 5555), "headers": [(b"x-admin-key", b"k")]}
        return Request(scope)

    check_admin(request_from("127.0.0.1"), "k")
    check_admin(request_from("::1"), "k")
    for host in ("10.0.0.7", "192.168.1.2", "2001:db8::1"):
        with pytest.raises(ApiError) as refused:
            check_admin(request_from(host), "k")
        assert refused.value.status == 403
