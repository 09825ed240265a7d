"""The ID token checks in accounts/oidc.py, one rule at a time, with tokens signed here.

The whole flow runs against a real provider in tests/functional/test_sso.py; these cover the
answers a well-behaved provider never gives (wrong audience, forged algorithm, stale nonce...).
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from app.accounts.oidc import OidcError, validate_id_token
from app.accounts.sso import SsoRefusal

ISSUER = "https://login.council.example"
CLIENT = "safety-map"
NONCE = "n-0S6_WzA2Mj"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
JWKS = {"keys": [KEY.as_dict(private=False)]}


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "sub": "248289761001", "aud": CLIENT, "exp": now + 300, "iat": now, "nonce": NONCE} | overrides


def _token(claims: dict[str, Any], *, alg: str = "RS256", key: Any = KEY) -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key, algorithms=[alg])


def _check(token: str, *, access_token: str | None = None, now: float | None = None) -> dict[str, Any]:
    return validate_id_token(
        token, JWKS, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, access_token=access_token, now=now or time.time()
    )


def _refusal(token: str, **kwargs: Any) -> SsoRefusal:
    with pytest.raises(OidcError) as caught:
        _check(token, **kwargs)
    return caught.value.refusal


def test_a_good_token_gives_its_claims() -> None:
    assert _check(_token(_claims(email="a@council.example")))["email"] == "a@council.example"


def test_an_audience_list_naming_us_needs_azp() -> None:
    assert _check(_token(_claims(aud=[CLIENT, "other"], azp=CLIENT)))["sub"]
    assert _refusal(_token(_claims(aud=[CLIENT, "other"]))) == SsoRefusal.TOKEN


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"iss": "https://evil.example"}, SsoRefusal.ISSUER),
        ({"aud": "someone-else"}, SsoRefusal.TOKEN),
        ({"nonce": "an-old-nonce"}, SsoRefusal.TOKEN),
        ({"nonce": None}, SsoRefusal.TOKEN),
        ({"azp": "someone-else"}, SsoRefusal.TOKEN),
        ({"exp": int(time.time()) - 3600}, SsoRefusal.EXPIRED),
        ({"iat": int(time.time()) + 3600}, SsoRefusal.TOKEN),
    ],
)
def test_claims_that_do_not_fit_are_refused(overrides: dict[str, Any], refusal: SsoRefusal) -> None:
    claims = {k: v for k, v in (_claims() | overrides).items() if v is not None}
    assert _refusal(_token(claims)) == refusal


def test_a_token_signed_with_another_key_is_refused() -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assert _refusal(_token(_claims(), key=stranger)) == SsoRefusal.TOKEN


def test_shared_secret_and_unsigned_tokens_are_refused() -> None:
    # An attacker who knows the public key must not be able to sign with it as an HMAC secret.
    hmac_key = OctKey.import_key(b"k" * 32)
    assert _refusal(_token(_claims(), alg="HS256", key=hmac_key)) == SsoRefusal.TOKEN
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(b'{"iss":"https://login.council.example"}').rstrip(b"=").decode()
    assert _refusal(f"{header}.{body}.") == SsoRefusal.TOKEN


def test_at_hash_must_match_the_access_token() -> None:
    access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNUAQ5cudJHKgs0r6vp3"
    digest = hashlib.sha256(access_token.encode()).digest()[:16]
    at_hash = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert _check(_token(_claims(at_hash=at_hash)), access_token=access_token)["sub"]
    assert _refusal(_token(_claims(at_hash=at_hash)), access_token="another-token") == SsoRefusal.TOKEN


def test_our_clock_decides_expiry_with_a_minute_of_leeway() -> None:
    token = _token(_claims())
    assert _check(token, now=time.time() + 330)["sub"]
    assert _refusal(token, now=time.time() + 400) == SsoRefusal.EXPIRED
