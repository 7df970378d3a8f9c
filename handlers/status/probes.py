"""Checking an HTTP(S) endpoint, and the pure rules for what a result means."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from handlers.status.config import Probe


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    error: str
    latency_ms: int | None
    cert_expires_at: datetime | None


def check(probe: Probe, ca_bundle: str | None) -> CheckResult:
    """One check: a TLS handshake to read the certificate (https), then a GET without redirects.
    Fails on timeout, connection error, TLS error or a status other than the expected one."""
    timeout = probe.timeout.total_seconds()
    started = time.perf_counter()
    expires: datetime | None = None
    try:
        if urlsplit(probe.url).scheme == "https":
            expires = certificate_expiry(probe.url, timeout, ca_bundle)
        response = requests.get(probe.url, timeout=timeout, verify=ca_bundle or True, allow_redirects=False)
    except ssl.SSLCertVerificationError as exc:
        return CheckResult(False, f"invalid TLS certificate: {exc.verify_message}", None, None)
    except (requests.Timeout, TimeoutError):
        return CheckResult(False, f"timed out after {timeout:g}s", None, expires)
    except (ssl.SSLError, requests.exceptions.SSLError) as exc:
        return CheckResult(False, f"TLS error: {_short(exc)}", None, expires)
    except (requests.ConnectionError, OSError) as exc:
        return CheckResult(False, f"connection failed: {_short(exc)}", None, expires)
    latency = round((time.perf_counter() - started) * 1000)
    if response.status_code != probe.expect_status:
        return CheckResult(False, f"HTTP {response.status_code} (expected {probe.expect_status})", latency, expires)
    return CheckResult(True, "", latency, expires)


def certificate_expiry(url: str, timeout: float, ca_bundle: str | None) -> datetime:
    """The verified certificate's notAfter; raises ssl.SSLCertVerificationError when it is invalid."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    context = ssl.create_default_context(cafile=ca_bundle)
    with (
        socket.create_connection((host, parts.port or 443), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        certificate = tls.getpeercert()
    not_after = str((certificate or {}).get("notAfter", ""))
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)


def _short(exc: BaseException) -> str:
    """The innermost reason, without urllib3's pool and host preamble: "[Errno 111] Connection refused"."""
    reason = exc.args[0] if exc.args else exc
    text = str(getattr(reason, "reason", reason)).rsplit("connection: ", 1)[-1]
    return text if len(text) <= 200 else text[:199] + "…"


def threshold_to_warn(days_left: int, thresholds: Sequence[int], warned: Sequence[int]) -> int | None:
    """The smallest not-yet-warned threshold that ``days_left`` has reached, if any: crossing several
    at once gives one warning."""
    crossed = [t for t in thresholds if days_left <= t and t not in warned]
    return min(crossed) if crossed else None
