"""An admin cannot point single sign-on at a port on this machine, except in tests."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.accounts.schemas import OidcConfigInput, check_issuer

FIELDS = {"client_id": "sm", "allowed_domains": "council.example", "role_mapping": {"staff": ["moderator"]}}


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:6379", "http://localhost:5432/", "http://[::1]:8080", "http://id.example.org"])
def test_plain_http_issuers_are_refused_outside_tests(issuer: str) -> None:
    with pytest.raises(ValueError, match="issuer_https"):
        check_issuer(issuer)
    with pytest.raises(ValidationError):
        OidcConfigInput.model_validate(FIELDS | {"issuer": issuer})


def test_loopback_http_is_allowed_only_when_the_caller_says_it_is_a_test() -> None:
    assert check_issuer("http://127.0.0.1:4000", allow_loopback_http=True) == "http://127.0.0.1:4000"
    parsed = OidcConfigInput.model_validate(FIELDS | {"issuer": "http://127.0.0.1:4000"}, context={"allow_loopback_http": True})
    assert parsed.issuer == "http://127.0.0.1:4000"
    with pytest.raises(ValueError, match="issuer_https"):
        check_issuer("http://id.example.org", allow_loopback_http=True)


def test_https_issuers_pass() -> None:
    assert check_issuer(" https://login.example.org/tenant/v2.0 ") == "https://login.example.org/tenant/v2.0"
