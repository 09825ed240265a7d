"""The sign-in flows called directly (accounts/sign_in.py): what each step decides, what it counts
against the connection or the account, and that what it wrote is committed when it returns (read
back through a separate session), on each database.

The organisation's provider is played here by two small fakes of accounts/oidc.start and finish;
tests/functional/test_sso.py runs the same flow against a real provider.
"""

from __future__ import annotations

from typing import Any

import pytest
from limits import parse
from sqlmodel import Session, select

from app.accounts import oidc, sessions, throttle
from app.accounts.models import AreaOidcConfig, Membership, OidcLoginAttempt, StaffSession, User
from app.accounts.schemas import SsoSettingsForm, check_sso_settings
from app.accounts.service import CodeRefusal, StaffIdentity
from app.accounts.sign_in import (
    PasswordRefusal,
    code_screen,
    finish_with_organisation,
    move_to_area,
    sign_in_with_code,
    sign_in_with_password,
    sign_out_browser,
    start_with_organisation,
)
from app.accounts.sso import DomainTaken, SsoRefusal, save_area_settings
from app.accounts.throttle import SignInThrottle, Step
from app.audit.models import AuditEvent
from app.core.db import Database
from tests import support_services
from tests.factories import PASSWORD, make_area, make_oidc_config, make_staff
from tests.support import run_in_own_loop, totp_code

writer = support_services.writer  # the app's own write session, on each database (a fixture)

SECRET = "test-secret-key-that-is-long-enough-to-pass-the-check"
ADDRESS = "198.51.100.7"
WRONG = "not the right password at all"
ISSUER = "https://login.brackenford-council.example"
CALLBACK = "http://testserver/staff/sign-in/oidc/callback"
SAM = {"sub": "sam", "email": "sam.okafor@brackenford-council.example", "email_verified": True, "name": "Sam Okafor", "groups": ["efh-panel"]}


@pytest.fixture
def limiter() -> SignInThrottle:
    return SignInThrottle(SECRET)


def _committed(db: Database, model: Any, *where: Any) -> list[Any]:
    """Rows as another connection sees them: only what the service committed."""
    with db.read() as other:
        return list(other.exec(select(model).where(*where)).all())


def _refusal_reasons(db: Database) -> list[str]:
    return [str(row.detail.get("reason")) for row in _committed(db, AuditEvent, AuditEvent.action == "auth.sign_in_refused")]


def _password(session: Session, limiter: SignInThrottle, email: str, password: str = PASSWORD, code: str = "") -> Any:
    return sign_in_with_password(session, limiter, email=email, password=password, code=code, address=ADDRESS)


# --- Password, then code ------------------------------------------------------------------------


def test_a_right_password_sends_the_person_on_to_their_code_and_starts_no_session(writer: Session, db: Database, limiter: SignInThrottle) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    outcome = _password(writer, limiter, user.email)
    assert (outcome.refusal, outcome.user_id, outcome.enrolled, outcome.started) == (None, user.id, True, None)
    assert _committed(db, StaffSession) == []


def test_a_first_right_password_commits_a_new_key_to_set_up(writer: Session, db: Database, limiter: SignInThrottle) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "moderator", totp_secret=None)
    outcome = _password(writer, limiter, user.email)
    assert outcome.user_id == user.id and outcome.enrolled is False
    [stored] = _committed(db, User, User.id == user.id)
    assert stored.totp_secret and stored.totp_confirmed_at is None
    # The code page shows that key, with the area the app will name.
    with db.read() as read:
        screen = code_screen(read, user.id)  # type: ignore[arg-type]
    assert screen is not None and screen.user.totp_secret == stored.totp_secret and screen.area_name == area.name


def test_wrong_passwords_are_refused_audited_and_pause_the_account(writer: Session, db: Database, limiter: SignInThrottle) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    refusals = [_password(writer, limiter, user.email, WRONG).refusal for _ in range(5)]
    assert refusals == [PasswordRefusal.WRONG] * 4 + [PasswordRefusal.PAUSED]
    assert _refusal_reasons(db) == ["password"] * 5
    # An account nobody has answers the same way, so the answer never tells which accounts exist.
    assert _password(writer, limiter, "nobody@brackenford.example", WRONG).refusal == PasswordRefusal.WRONG


def test_a_paused_account_needs_its_code_with_the_password_and_is_cleared_by_both(writer: Session, db: Database, limiter: SignInThrottle) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    for _ in range(5):
        _password(writer, limiter, user.email, WRONG)
    alone = _password(writer, limiter, user.email)
    assert alone.refusal == PasswordRefusal.PAUSED and alone.user_id is None
    assert _refusal_reasons(db)[-1] == "paused_needs_code"
    both = _password(writer, limiter, user.email, code=totp_code())
    assert both.started is not None and both.started.choose_area is False
    [started] = _committed(db, StaffSession)
    assert started.area_id == area.id
    assert not limiter.account_paused(user.email)


def test_a_paused_account_allows_one_password_and_code_try_per_connection_per_pause(writer: Session, limiter: SignInThrottle) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    for _ in range(5):
        _password(writer, limiter, user.email, WRONG)
    assert _password(writer, limiter, user.email, WRONG, code=totp_code()).refusal == PasswordRefusal.WRONG_WITH_CODE
    again = _password(writer, limiter, user.email, code=totp_code())
    assert again.refusal == PasswordRefusal.PAUSED_WAIT and 0 < again.paused_wait <= 60


def test_a_busy_connection_waits_before_any_password_is_checked(writer: Session, db: Database, limiter: SignInThrottle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(throttle.ADDRESS_LIMITS, Step.PASSWORD, parse("1/15 minutes"))
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    assert _password(writer, limiter, user.email, WRONG).refusal == PasswordRefusal.WRONG
    waiting = _password(writer, limiter, user.email)
    assert waiting.connection_wait > 14 * 60 and waiting.user_id is None
    assert _refusal_reasons(db) == ["password"]  # the second answer checked nothing


def test_a_right_code_starts_a_session_in_the_persons_one_area(writer: Session, db: Database, limiter: SignInThrottle) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "moderator")
    assert user.id is not None
    outcome = sign_in_with_code(writer, limiter, user_id=user.id, code=totp_code(), address=ADDRESS)
    assert outcome.started is not None and outcome.started.choose_area is False
    [started] = _committed(db, StaffSession)
    assert (started.user_id, started.area_id, started.sign_in_method) == (user.id, area.id, "password")
    assert len(_committed(db, AuditEvent, AuditEvent.action == "auth.signed_in")) == 1
    # The code is spent: the same one again is refused.
    again = sign_in_with_code(writer, limiter, user_id=user.id, code=totp_code(), address=ADDRESS)
    assert again.refusal == CodeRefusal.REUSED and again.started is None


def test_someone_with_roles_in_several_areas_must_choose_one(writer: Session, db: Database, limiter: SignInThrottle) -> None:
    home = make_area(writer, "brackenford")
    other = make_area(writer, "aardvale")
    user = make_staff(writer, home, "moderator")
    assert user.id is not None and other.id is not None
    writer.add(Membership(user_id=user.id, area_id=other.id, role="statutory"))
    writer.commit()
    outcome = sign_in_with_code(writer, limiter, user_id=user.id, code=totp_code(), address=ADDRESS)
    assert outcome.started is not None and outcome.started.choose_area is True
    [waiting] = _committed(db, StaffSession)
    assert waiting.area_id is None
    # Choosing moves the session into the area under a new token; an area without a role is refused.
    assert waiting.id is not None
    assert move_to_area(writer, waiting.id, user.id, "northwick") is None
    token = move_to_area(writer, waiting.id, user.id, "aardvale")
    assert token is not None and token != outcome.started.token
    [chosen] = _committed(db, StaffSession)
    assert chosen.area_id == other.id


def test_wrong_codes_count_against_the_connection(writer: Session, limiter: SignInThrottle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(throttle.ADDRESS_LIMITS, Step.CODE, parse("1/15 minutes"))
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    assert user.id is not None
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    assert sign_in_with_code(writer, limiter, user_id=user.id, code=wrong, address=ADDRESS).refusal == CodeRefusal.WRONG
    waiting = sign_in_with_code(writer, limiter, user_id=user.id, code=totp_code(), address=ADDRESS)
    assert waiting.connection_wait > 0 and waiting.started is None
    # Another connection may still try.
    assert sign_in_with_code(writer, limiter, user_id=user.id, code=totp_code(), address="198.51.100.8").started is not None


def test_a_code_for_a_paused_staff_account_cannot_go_on(writer: Session, db: Database, limiter: SignInThrottle) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    assert user.id is not None
    user.is_active = False
    writer.add(user)
    writer.commit()
    outcome = sign_in_with_code(writer, limiter, user_id=user.id, code=totp_code(), address=ADDRESS)
    assert outcome.refusal == CodeRefusal.UNAVAILABLE and outcome.started is None
    assert _refusal_reasons(db) == ["totp_unavailable"]
    with db.read() as read:
        assert code_screen(read, user.id) is None


def test_signing_out_ends_the_session_and_says_where_the_provider_ends_its_own(writer: Session, db: Database) -> None:
    area = make_area(writer)
    user = make_staff(writer, area, "statutory")
    sessions.start_session(writer, user, area, method="oidc", provider_logout_url="https://login.example/end")
    writer.commit()
    [row] = _committed(db, StaffSession)
    assert row.id is not None
    staff = StaffIdentity(user=user, area=area, roles=frozenset({"statutory"}), session_id=row.id)
    assert sign_out_browser(writer, staff, None) == "https://login.example/end"
    assert _committed(db, StaffSession) == []
    assert [row.action for row in _committed(db, AuditEvent, AuditEvent.action == "auth.signed_out")] == ["auth.signed_out"]
    # Nobody signed in: nothing to end.
    assert sign_out_browser(writer, None, None) is None


# --- Signing in with the person's organisation --------------------------------------------------


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Plays the area's provider: what it was asked, and what it answers (set `claims`, or
    `start_refusal` / `finish_refusal` for a provider that refuses)."""
    seen: dict[str, Any] = {"claims": SAM, "start_refusal": None, "finish_refusal": None}

    async def start(config: AreaOidcConfig, redirect_uri: str) -> oidc.AuthorizationRequest:
        if seen["start_refusal"]:
            raise oidc.OidcError(seen["start_refusal"])
        seen["redirect_uri"] = redirect_uri
        return oidc.AuthorizationRequest(url=f"{config.issuer}/auth?state=s", state="state-from-start", nonce="n", code_verifier="v" * 43)

    async def finish(config: AreaOidcConfig, **kwargs: str) -> oidc.SignInClaims:
        if seen["finish_refusal"]:
            raise oidc.OidcError(seen["finish_refusal"])
        seen["finish"] = kwargs
        return oidc.SignInClaims(claims=seen["claims"], logout_url=f"{config.issuer}/end")

    monkeypatch.setattr(oidc, "start", start)
    monkeypatch.setattr(oidc, "finish", finish)
    return seen


async def _start(db: Database, writer: Session, limiter: SignInThrottle, slug: str = "brackenford") -> Any:
    with db.read() as read:
        return await start_with_organisation(
            read, writer, limiter, area_slug=slug, next_path="/staff/register", address=ADDRESS, redirect_uri=CALLBACK
        )


async def _finish(writer: Session, browser_token: str, *, state: str = "state-from-start", **params: Any) -> Any:
    values: dict[str, Any] = {"code": "code-from-provider", "error": "", "issuer": ISSUER} | params
    return await finish_with_organisation(
        writer, state=state, browser_token=browser_token, redirect_uri=CALLBACK,
        post_logout_redirect_uri="http://testserver/staff/sign-in", **values,
    )


def test_starting_remembers_one_attempt_and_the_callback_signs_in_once(writer: Session, db: Database, limiter: SignInThrottle, provider: dict[str, Any]) -> None:
    area = make_area(writer)
    make_oidc_config(writer, area, issuer=ISSUER, client_id="sm", client_secret="s")
    started = run_in_own_loop(_start(db, writer, limiter))
    assert started.redirect_to.startswith(ISSUER + "/auth?") and started.browser_token
    assert provider["redirect_uri"] == CALLBACK
    [attempt] = _committed(db, OidcLoginAttempt)
    assert attempt.next_path == "/staff/register" and attempt.code_verifier == "v" * 43

    finished = run_in_own_loop(_finish(writer, started.browser_token))
    assert finished.token is not None and finished.next_path == "/staff/register" and finished.refusal is None
    assert provider["finish"]["code_verifier"] == "v" * 43 and provider["finish"]["nonce"] == "n"
    [user] = _committed(db, User)
    assert user.email == SAM["email"] and user.password_hash is None
    assert [row.role for row in _committed(db, Membership)] == ["statutory"]
    [session_row] = _committed(db, StaffSession)
    assert (session_row.area_id, session_row.sign_in_method, session_row.provider_logout_url) == (area.id, "oidc", f"{ISSUER}/end")
    assert _committed(db, OidcLoginAttempt) == []

    # The same answer again finds no attempt: refused, audited, and no second session.
    replayed = run_in_own_loop(_finish(writer, started.browser_token))
    assert replayed.token is None and replayed.refusal == SsoRefusal.STATE
    assert _refusal_reasons(db) == ["oidc_state"]
    assert len(_committed(db, StaffSession)) == 1


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"browser_token": "another-browser"}, SsoRefusal.BROWSER),
        ({"issuer": "https://somewhere.else.example"}, SsoRefusal.ISSUER),
        ({"error": "access_denied", "code": ""}, SsoRefusal.PROVIDER),
    ],
)
def test_a_callback_that_does_not_fit_the_attempt_is_refused_and_audited(
    writer: Session, db: Database, limiter: SignInThrottle, provider: dict[str, Any], change: dict[str, str], refusal: SsoRefusal
) -> None:
    area = make_area(writer)
    make_oidc_config(writer, area, issuer=ISSUER, client_id="sm", client_secret="s")
    started = run_in_own_loop(_start(db, writer, limiter))
    params = dict(change)  # the parametrised dict is shared by both databases' runs
    browser_token = params.pop("browser_token", started.browser_token)
    finished = run_in_own_loop(_finish(writer, browser_token, **params))
    assert finished.token is None and finished.refusal == refusal
    assert _refusal_reasons(db) == [refusal.value]
    assert _committed(db, StaffSession) == [] and _committed(db, User) == []
    assert "finish" not in provider  # the provider was never asked for the token


def test_groups_that_give_no_role_are_refused_with_nothing_created(writer: Session, db: Database, limiter: SignInThrottle, provider: dict[str, Any]) -> None:
    area = make_area(writer)
    make_oidc_config(writer, area, issuer=ISSUER, client_id="sm", client_secret="s")
    provider["claims"] = SAM | {"groups": ["catering"]}
    started = run_in_own_loop(_start(db, writer, limiter))
    finished = run_in_own_loop(_finish(writer, started.browser_token))
    assert finished.token is None and finished.refusal == SsoRefusal.NO_ROLE
    assert _refusal_reasons(db) == ["oidc_no_role"]
    assert _committed(db, User) == []


def test_an_area_without_single_sign_on_has_nothing_to_start(writer: Session, db: Database, limiter: SignInThrottle, provider: dict[str, Any]) -> None:
    make_area(writer)
    assert run_in_own_loop(_start(db, writer, limiter)) is None
    assert run_in_own_loop(_start(db, writer, limiter, slug="nowhere")) is None
    assert _committed(db, OidcLoginAttempt) == []


def test_a_provider_that_cannot_be_reached_is_refused_and_audited(writer: Session, db: Database, limiter: SignInThrottle, provider: dict[str, Any]) -> None:
    area = make_area(writer)
    make_oidc_config(writer, area, issuer=ISSUER, client_id="sm", client_secret="s")
    provider["start_refusal"] = SsoRefusal.PROVIDER
    started = run_in_own_loop(_start(db, writer, limiter))
    assert started.refusal == SsoRefusal.PROVIDER and not started.redirect_to
    assert _refusal_reasons(db) == ["oidc_provider"]
    assert _committed(db, OidcLoginAttempt) == []


def test_starts_have_their_own_limit_per_connection(writer: Session, db: Database, limiter: SignInThrottle, provider: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(throttle.ADDRESS_LIMITS, Step.SSO_START, parse("1/15 minutes"))
    area = make_area(writer)
    make_oidc_config(writer, area, issuer=ISSUER, client_id="sm", client_secret="s")
    assert (run_in_own_loop(_start(db, writer, limiter))).redirect_to
    waiting = run_in_own_loop(_start(db, writer, limiter))
    assert waiting.connection_wait > 0 and not waiting.redirect_to
    assert len(_committed(db, OidcLoginAttempt)) == 1
    assert limiter.address_wait(Step.PASSWORD, ADDRESS) == 0  # the password step has its own


# --- The area's single sign-on settings -----------------------------------------------------------


def _settings(**fields: Any) -> SsoSettingsForm:
    values: dict[str, Any] = {
        "enabled": "yes", "organisation_name": "Northwick Council", "issuer": "https://login.northwick.example",
        "client_id": "safety-map", "client_secret": "northwick-secret", "scopes": "email profile",
        "allowed_domains": "northwick.example", "groups_claim": "groups", "role_mapping": "panel = statutory",
    } | fields
    return SsoSettingsForm.model_validate(values)


def test_settings_as_typed_become_what_is_saved_and_committed(writer: Session, db: Database) -> None:
    area = make_area(writer, "northwick")
    admin = make_staff(writer, area, "admin")
    parsed, errors = check_sso_settings(_settings(), allow_loopback_http=False)
    assert errors == {} and parsed is not None
    assert parsed.scopes == "openid email profile" and parsed.role_mapping == {"panel": ["statutory"]}
    assert area.id is not None
    save_area_settings(writer, area.id, parsed, actor_id=admin.id)
    [config] = _committed(db, AreaOidcConfig)
    assert (config.client_secret, config.enabled, config.allowed_domains) == ("northwick-secret", True, "northwick.example")


def test_wrong_settings_each_get_their_own_message_and_the_secret_is_never_shown_again() -> None:
    form = _settings(issuer="http://login.northwick.example", role_mapping="panel = superuser", client_id="")
    parsed, errors = check_sso_settings(form, allow_loopback_http=False)
    assert parsed is None
    assert set(errors) == {"issuer", "role_mapping", "client_id"}
    assert "https://" in errors["issuer"] and "one group per line" in errors["role_mapping"]
    shown = form.shown_again()
    assert "client_secret" not in shown and shown["issuer"] == "http://login.northwick.example"
    # An unticked box sends nothing: the sign-in is turned off.
    assert SsoSettingsForm.model_validate({}).enabled is False


def test_settings_naming_another_areas_domain_save_nothing(writer: Session, db: Database) -> None:
    home = make_area(writer, "brackenford")
    other = make_area(writer, "northwick")
    make_oidc_config(writer, home, issuer=ISSUER, client_id="b", client_secret="s", allowed_domains="police.example")
    parsed, _errors = check_sso_settings(_settings(allowed_domains="northwick.example, police.example"), allow_loopback_http=False)
    assert parsed is not None and other.id is not None
    with pytest.raises(DomainTaken) as refused:
        save_area_settings(writer, other.id, parsed, actor_id=None)
    assert refused.value.domains == ["police.example"]
    assert _committed(db, AreaOidcConfig, AreaOidcConfig.area_id == other.id) == []
    # The write session is usable again at once (the route shows the form again through a read one).
    save_area_settings(writer, other.id, check_sso_settings(_settings(), allow_loopback_http=False)[0], actor_id=None)  # type: ignore[arg-type]
    assert len(_committed(db, AreaOidcConfig, AreaOidcConfig.area_id == other.id)) == 1
