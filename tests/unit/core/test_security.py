from __future__ import annotations

import pytest

from app.core.security import content_security_policy, is_safe_redirect


def test_csp_starts_from_nothing_and_allows_no_inline_code() -> None:
    csp = content_security_policy()
    assert csp.startswith("default-src 'none'")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp


def test_csp_allows_a_tile_server_only_when_an_area_sets_one() -> None:
    assert "tiles.example" not in content_security_policy()
    assert "img-src 'self' data: https://tiles.example" in content_security_policy(tile_origin="https://tiles.example")


@pytest.mark.parametrize(("target", "safe"), [("/staff/", True), ("/report?x=1", True), ("//evil.example", False), ("https://evil.example", False), ("/\\evil", False), ("", False)])
def test_redirects_stay_on_site(target: str, safe: bool) -> None:
    assert is_safe_redirect(target) is safe
