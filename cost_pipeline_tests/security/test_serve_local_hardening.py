"""serve-local's exposure: loopback by default, keys checked in constant time, wrong keys refused,
admin routes for loopback clients only (over a real non-loopback interface when the machine has
one, and through the real ASGI app with a non-loopback client address in any case)."""

import ast
import asyncio
import base64
import hmac
import inspect
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import psutil
import pytest
from starlette.requests import Request

from cost_pipeline.local import auth
from cost_pipeline.local.app import create_app
from cost_pipeline.local.config import ServerConfig
from cost_pipeline.local.errors import ApiError
from cost_pipeline_tests.conftest import start_serve_local

PUBLIC, SECRET, ADMIN = "pk-lf-hard-public", "sk-lf-hard-secret-9f8e", "admin-hard-key-1234"


def basic(public: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()


def non_loopback_ipv4() -> str | None:
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family.name == "AF_INET" and not address.address.startswith("127."):
                return address.address
    return None


def test_serve_local_binds_loopback_by_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COST_PIPELINE_LOCAL_")}
    command = [sys.executable, "-m", "cost_pipeline.cli", "serve-local", "--port", "0",
               "--data-dir", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        runtime = tmp_path / "serve-local.json"
        deadline = time.monotonic() + 60
        while not runtime.exists():
            assert process.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.05)  # polling for the file the server writes once it listens
        info = orjson.loads(runtime.read_bytes())
        assert info["base_url"].startswith("http://127.0.0.1:")
        listening = [
            conn.laddr.ip
            for conn in psutil.Process(process.pid).net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN
        ]
        assert listening == ["127.0.0.1"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


@pytest.fixture(scope="module")
def exposed(tmp_path_factory):
    """A serve-local bound to every interface (0.0.0.0), as a user might start it."""
    env = {
        "LANGFUSE_PUBLIC_KEY": PUBLIC,
        "LANGFUSE_SECRET_KEY": SECRET,
        "COST_PIPELINE_ADMIN_KEY": ADMIN,
    }
    root = tmp_path_factory.mktemp("exposed")
    with start_serve_local(root, env=env, extra_args=["--host", "0.0.0.0"]) as server:
        yield server


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        basic(PUBLIC, "sk-lf-wrong"),
        basic("pk-lf-wrong", SECRET),
        basic(SECRET, PUBLIC),
        basic(PUBLIC, SECRET + "x"),
        basic(PUBLIC, SECRET[:-1]),
        basic(PUBLIC, ""),
        "Bearer " + SECRET,
        "Basic not-base64!",
        "Basic " + base64.b64encode(SECRET.encode()).decode(),
    ],
)
def test_wrong_keys_are_refused_without_echoing_them(exposed, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.get(f"{exposed.base_url}/api/public/projects", headers=headers, timeout=30)
    assert response.status_code == 401
    assert SECRET not in response.text and PUBLIC not in response.text
    assert "wrong" not in response.text


def test_right_keys_are_accepted(exposed):
    headers = {"Authorization": basic(PUBLIC, SECRET)}
    response = httpx.get(f"{exposed.base_url}/api/public/projects", headers=headers, timeout=30)
    assert response.status_code == 200


def test_admin_answers_loopback_but_not_a_non_loopback_interface(exposed):
    headers = {"X-Admin-Key": ADMIN}
    assert httpx.get(f"{exposed.base_url}/admin/knobs", headers=headers, timeout=30).is_success
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address (the ASGI test still runs)")
    remote = f"http://{address}:{exposed.port}"
    refused = httpx.get(f"{remote}/admin/knobs", headers=headers, timeout=30)
    assert refused.status_code == 403
    assert refused.json()["message"] == "Admin routes answer loopback clients only"
    # The public API is reachable there (the user chose to bind it), still behind the keys.
    assert httpx.get(f"{remote}/api/public/projects", timeout=30).status_code == 401


ADMIN_ROUTES = [
    ("GET", "/admin/knobs"),
    ("POST", "/admin/knobs"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/truth"),
    ("POST", "/admin/observations"),
]


async def admin_statuses(app, client: str) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(client, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://serve-local") as http:
        return [
            (await http.request(method, path, headers={"X-Admin-Key": ADMIN})).status_code
            for method, path in ADMIN_ROUTES
        ]


@pytest.mark.parametrize("client", ["203.0.113.9", "10.1.2.3", "2001:db8::7", "192.0.2.2"])
def test_the_real_app_refuses_admin_calls_from_non_loopback_clients(tmp_path, client):
    app = create_app(ServerConfig("0.0.0.0", 0, tmp_path, PUBLIC, SECRET, ADMIN))
    assert asyncio.run(admin_statuses(app, client)) == [403] * len(ADMIN_ROUTES)
    # The same requests from loopback get past the guard (200, or 400 for an empty body).
    assert 403 not in asyncio.run(admin_statuses(app, "127.0.0.1"))


def test_keys_are_compared_with_hmac_compare_digest(monkeypatch):
    compared: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return constant_time(given, expected)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    auth.check_basic_auth(basic(PUBLIC, SECRET), PUBLIC, SECRET)
    with pytest.raises(ApiError):
        auth.check_basic_auth(basic("pk-lf-other", SECRET), PUBLIC, SECRET)
    # Both keys are compared even when the first one is already wrong (no early exit).
    assert compared == [
        (PUBLIC.encode(), PUBLIC.encode()),
        (SECRET.encode(), SECRET.encode()),
        (b"pk-lf-other", PUBLIC.encode()),
        (SECRET.encode(), SECRET.encode()),
    ]
    compared.clear()
    scope = {"type": "http", "client": ("127.0.0.1", 1), "headers": [(b"x-admin-key", b"nope")]}
    with pytest.raises(ApiError):
        auth.check_admin(Request(scope), ADMIN)
    assert compared == [(b"nope", ADMIN.encode())]


def test_no_key_is_compared_with_plain_equality():
    """Whatever auth.py compares with == / != is not a key, a secret or a credential."""
    tree = ast.parse(inspect.getsource(auth))
    suspicious = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        and any(word in ast.unparse(node).lower() for word in ("key", "secret", "given", "public"))
    ]
    assert suspicious == []
    assert "compare_digest" in Path(auth.__file__).read_text()
