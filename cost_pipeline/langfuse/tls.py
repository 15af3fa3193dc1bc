"""TLS failures that are settings, not glitches: another attempt would fail the same way.

httpx reports them as a ``ConnectError`` caused by the ``ssl.SSLError`` OpenSSL raised. Two kinds
are certain: the server answered the TLS handshake with something else (it speaks plain HTTP on
that port), and the certificate did not verify. Other TLS errors (a connection cut mid-handshake
is an ``SSLEOFError``) stay retryable: a middlebox or a restarting server produces them too.
"""

from __future__ import annotations

import ssl

# OpenSSL's reasons for "the bytes that came back are not a TLS record": 3.0 says
# WRONG_VERSION_NUMBER for an HTTP answer; 3.2+ may say RECORD_LAYER_FAILURE or, for a long
# first line, PACKET_LENGTH_TOO_LONG.
_NOT_TLS_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"}
)


def _ssl_error_behind(error: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def tls_setting_problem(error: BaseException, base_url: str) -> str | None:
    """What to change when ``error`` is a TLS failure no retry can fix, else None."""
    cause = _ssl_error_behind(error)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (
            f"LANGFUSE_BASE_URL ({base_url}) answers over TLS, but its certificate is not "
            f"trusted here ({cause.verify_message}). If the server uses your own certificate "
            "authority (a self-hosted Langfuse), trust it where the run executes: set "
            "SSL_CERT_FILE to a PEM file holding that CA (it replaces the default certifi bundle, "
            "so use a bundle that also holds the public CAs if other hosts need them, e.g. the "
            "system's /etc/ssl/certs/ca-certificates.crt after adding your CA), or SSL_CERT_DIR "
            "to a directory of hashed CA files. An expired certificate or one for another host "
            "name has to be fixed on the server or in LANGFUSE_BASE_URL instead."
        )
    if cause is not None and cause.reason in _NOT_TLS_REASONS:
        return (
            f"LANGFUSE_BASE_URL ({base_url}) starts with https://, but the server does not "
            f"speak TLS ([SSL: {cause.reason}]): use http:// (or the right port for HTTPS)"
        )
    return None
