"""Time-based one-time codes (RFC 6238) for password sign-in: secrets, codes, the QR code.

Pure functions; the rules about attempts, backoff and single use live in accounts/service.py.
Codes are six digits on a 30-second step, the default of every authenticator app. One step of drift
either way is accepted, and `matching_step` says which step matched so a code can be used once.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER_NAME = "Safety Map"


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def normalise_code(code: str) -> str:
    # People type "123 456" or paste "123-456"; keep only the digits.
    return "".join(ch for ch in code if ch.isdigit())


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (within the allowed drift), or None when it matches none."""
    code = normalise_code(code)
    if len(code) != DIGITS:
        return None
    current = step_at(now)
    found = None
    # Compare against every candidate so the time taken does not say which step matched.
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for_step(secret, current + offset), code):
            found = current + offset
    return found


def provisioning_uri(secret: str, email: str, area_name: str = "") -> str:
    issuer = f"{ISSUER_NAME} {area_name}".strip()
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> str:
    """An inline SVG QR code, drawn on the server (no script), with a title for screen readers."""
    qr = segno.make(uri, error="m")
    svg: str = qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", title=title, svgclass="qr-code", lineclass=None)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
