"""HTTP Basic auth for the public API, and the loopback + key guard of the admin routes.

Keys are compared in constant time and never echoed, logged or included in an error.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

from starlette.requests import Request

from cost_pipeline.local.errors import ApiError, unauthorized

WRONG_KEYS = "Invalid credentials. Confirm that you've configured the correct host."


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def check_basic_auth(header: str | None, public_key: str, secret_key: str) -> None:
    """Raise a 401 ApiError unless ``header`` is ``Basic base64(public_key:secret_key)``."""
    if not header:
        raise unauthorized("Unauthorized: no authorization header")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise unauthorized("Unauthorized: invalid authorization header, expected HTTP Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("Unauthorized: invalid authorization header") from None
    given_public, sep, given_secret = decoded.partition(":")
    # Both comparisons always run, so timing does not tell which key was wrong.
    public_ok = _same(given_public, public_key)
    secret_ok = _same(given_secret, secret_key)
    if not (sep and public_ok and secret_ok):
        raise unauthorized(WRONG_KEYS)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_admin(request: Request, admin_key: str) -> None:
    client = request.client.host if request.client else None
    if not is_loopback(client):
        raise ApiError(403, {"message": "Admin routes answer loopback clients only"})
    given = request.headers.get("x-admin-key", "")
    if not _same(given, admin_key):
        raise ApiError(403, {"message": "Missing or wrong X-Admin-Key header"})
