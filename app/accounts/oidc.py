"""Talking to an area's OpenID provider: discovery, the authorization code flow with PKCE, and
checking the ID token. Who may then sign in, and with which roles, is decided in accounts/sso.py.

Authlib's httpx client builds the authorization request (state, nonce, S256 code challenge) and
exchanges the code; the ID token is checked with joserfc (Authlib's own JOSE library, which replaces
the deprecated `authlib.jose`): signature against the provider's JWKS, issuer, audience, expiry,
issued-at and nonce, and `at_hash` when present. Discovery must name exactly the configured issuer.
Nothing here logs tokens, codes, secrets or claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx  # the HTTP client Authlib itself uses here (httpx2, the maintained httpx)
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from app.accounts.models import AreaOidcConfig
from app.accounts.schemas import is_loopback_host
from app.accounts.sso import SsoRefusal

HTTP_TIMEOUT = 10.0
# Clocks on two servers rarely agree to the second.
CLOCK_LEEWAY_SECONDS = 60
# Asymmetric signatures only: "none" and shared-secret HMAC are refused.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def clock() -> float:
    """Now, in seconds. The one place tests may move time, to present an ID token after its expiry."""
    return time.time()


class OidcError(Exception):
    """The provider or its answer cannot be trusted; `refusal` says why, for the audit log."""

    def __init__(self, refusal: SsoRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def _endpoint(data: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise OidcError(SsoRefusal.PROVIDER)
    parts = urlsplit(value)
    secure = parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname))
    if not secure or not parts.hostname:
        raise OidcError(SsoRefusal.PROVIDER)
    return value


async def _get_json(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False) as http:
        response = await http.get(url, headers={"accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


async def discover(issuer: str) -> ProviderMetadata:
    """Reads `{issuer}/.well-known/openid-configuration`; it must name exactly this issuer."""
    try:
        data = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    except (httpx.HTTPError, ValueError):
        raise OidcError(SsoRefusal.PROVIDER) from None
    if data.get("issuer") != issuer:
        raise OidcError(SsoRefusal.ISSUER)
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=_endpoint(data, "authorization_endpoint", required=True) or "",
        token_endpoint=_endpoint(data, "token_endpoint", required=True) or "",
        jwks_uri=_endpoint(data, "jwks_uri", required=True) or "",
        userinfo_endpoint=_endpoint(data, "userinfo_endpoint", required=False),
        end_session_endpoint=_endpoint(data, "end_session_endpoint", required=False),
    )


def _client(config: AreaOidcConfig, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret or None,
        scope=" ".join(config.scope_list),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
    )


async def start(config: AreaOidcConfig, redirect_uri: str) -> AuthorizationRequest:
    """The provider URL to send the browser to, with fresh state, nonce and PKCE verifier."""
    metadata = await discover(config.issuer)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43 to 128
    async with _client(config, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint, state=state, nonce=nonce, code_verifier=code_verifier
        )
    return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=code_verifier)


@dataclass(frozen=True)
class SignInClaims:
    claims: dict[str, Any]
    logout_url: str | None


async def finish(
    config: AreaOidcConfig,
    *,
    code: str,
    code_verifier: str,
    nonce: str,
    redirect_uri: str,
    post_logout_redirect_uri: str,
) -> SignInClaims:
    """Exchanges the code (with the PKCE verifier) and returns the checked claims.

    Claims from the userinfo endpoint are added when the provider has one and it speaks for the
    same subject; the signed ID token's own claims win over them.
    """
    metadata = await discover(config.issuer)
    try:
        async with _client(config, redirect_uri) as client:
            token = await client.fetch_token(
                metadata.token_endpoint, grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise OidcError(SsoRefusal.TOKEN)
            claims = validate_id_token(
                id_token,
                await _get_json(metadata.jwks_uri),
                issuer=config.issuer,
                client_id=config.client_id,
                nonce=nonce,
                access_token=token.get("access_token"),
                now=clock(),
            )
            userinfo: dict[str, Any] = {}
            if metadata.userinfo_endpoint and token.get("access_token"):
                info_response = await client.get(metadata.userinfo_endpoint)
                info_response.raise_for_status()
                info = info_response.json()
                if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
                    raise OidcError(SsoRefusal.TOKEN)
                userinfo = info
    except (OAuthError, httpx.HTTPError, ValueError):
        raise OidcError(SsoRefusal.TOKEN) from None
    logout_url = None
    if metadata.end_session_endpoint:
        logout_url = add_params_to_uri(
            metadata.end_session_endpoint,
            [("client_id", config.client_id), ("post_logout_redirect_uri", post_logout_redirect_uri)],
        )
    return SignInClaims(claims=userinfo | claims, logout_url=logout_url)


def validate_id_token(
    id_token: str,
    jwks: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    now: float,
) -> dict[str, Any]:
    """The ID token's claims once its signature and the OpenID Connect Core 3.1.3.7 checks pass."""
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            now=int(now),
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            sub={"essential": True},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except ExpiredTokenError:
        raise OidcError(SsoRefusal.EXPIRED) from None
    except ClaimError as exc:
        raise OidcError(SsoRefusal.ISSUER if exc.claim == "iss" else SsoRefusal.TOKEN) from None
    except (JoseError, ValueError, TypeError, KeyError):
        raise OidcError(SsoRefusal.TOKEN) from None
    claims = dict(token.claims)
    if int(claims["iat"]) > now + CLOCK_LEEWAY_SECONDS:
        raise OidcError(SsoRefusal.TOKEN)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # With several audiences the token must say it was issued to us (Core 3.1.3.7, items 4 and 5).
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError(SsoRefusal.TOKEN)
    if "azp" in claims and claims["azp"] != client_id:
        raise OidcError(SsoRefusal.TOKEN)
    if "at_hash" in claims and access_token:
        algorithm = str(token.header.get("alg", ""))
        if not hmac.compare_digest(str(claims["at_hash"]), _half_hash(access_token, algorithm)):
            raise OidcError(SsoRefusal.TOKEN)
    return claims


def _half_hash(value: str, algorithm: str) -> str:
    """at_hash: the left half of the token's hash, with the hash of the signing algorithm."""
    digest_of = _HASHES.get(algorithm[-3:], hashlib.sha256) if algorithm != "EdDSA" else hashlib.sha512
    digest = digest_of(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
