"""The sign-in flows, each step owning its transaction: a password then a six-digit code, choosing an
area, signing out, and signing in with the person's organisation (OpenID Connect).

The routes (accounts/routes.py) read the form, call one function here and turn its outcome into a
page, a redirect and cookies. Each function commits what it changed before it returns, so no lock
is held while the page goes out. How many tries are allowed is decided by accounts/throttle.py;
which account, password and code are right by accounts/service.py; who may sign in through an
area's own provider by accounts/sso.py.

The organisation's flow is `async`: it waits for the provider over the network, and every database
or throttle step in it runs in the thread pool, in a transaction of its own that is committed
before the provider is called, so no lock or connection is held while we wait.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import service, sessions, sso
from app.accounts.models import AreaOidcConfig, OidcLoginAttempt, User
from app.accounts.service import CodeRefusal, StaffIdentity
from app.accounts.sso import SsoRefusal
from app.accounts.throttle import SignInThrottle, Step
from app.areas.models import Area


@dataclass(frozen=True)
class Started:
    """A session just begun: its token, and whether the person must choose an area first."""

    token: str
    choose_area: bool


def _start(session: Session, user: User, *, method: str = "password") -> Started | None:
    """Starts the session of a person who has just proved who they are, or None when they have no
    role anywhere."""
    area, choose = sessions.sign_in_area(session, user)
    if area is None and not choose:
        return None
    return Started(token=sessions.start_session(session, user, area, method=method), choose_area=choose)


# --- Password, then code ------------------------------------------------------------------------


class PasswordRefusal(StrEnum):
    WRONG = "wrong"  # the email and password do not match an active account
    PAUSED = "paused"  # the account is paused: only the password and the code together get in
    PAUSED_WAIT = "paused_wait"  # paused, and this connection has had its try in this pause
    WRONG_WITH_CODE = "wrong_with_code"  # paused, and the password and code together do not match


@dataclass(frozen=True)
class PasswordOutcome:
    """What the password step decided: one of a refusal, a wait for this connection, the person now
    waiting for their code (`user_id`), or, for a paused account given the code too, a session."""

    refusal: PasswordRefusal | None = None
    connection_wait: int = 0  # seconds this connection must wait before another password
    paused_wait: int = 0  # seconds before this connection's next password-and-code try
    user_id: int | None = None
    enrolled: bool = False  # the person has a confirmed code (else they set one up now)
    started: Started | None = None


def sign_in_with_password(
    session: Session, throttle: SignInThrottle, *, email: str, password: str, code: str, address: str
) -> PasswordOutcome:
    """The password step. Every answer past the connection check costs one argon2 verification,
    whether the account exists, is paused, or the password is right or wrong.

    `code` is only read for a paused account, whose sign-in form asks for the password and the
    code together; a password alone, right or not, goes no further while the account is paused.
    """
    account = service.normalise_email(email)
    code = code.strip()
    wait = throttle.address_wait(Step.PASSWORD, address)
    if wait:
        return PasswordOutcome(connection_wait=wait)
    paused = throttle.account_paused(account)
    paused_wait = throttle.take_paused_try(account, address) if paused and code else 0

    if paused and (not code or paused_wait):
        # Still one verification, so this answer takes as long as any other.
        right = service.check_password_while_paused(session, email, password)
        session.commit()
        if not right:
            throttle.count_address(Step.PASSWORD, address)
        if paused_wait:
            return PasswordOutcome(refusal=PasswordRefusal.PAUSED_WAIT, paused_wait=paused_wait)
        return PasswordOutcome(refusal=PasswordRefusal.PAUSED)

    if paused:
        right, started = _password_and_code(session, email, password, code)
        session.commit()
        if started is not None:
            throttle.clear_account(account)
            return PasswordOutcome(started=started)
        throttle.count_address(Step.CODE if right else Step.PASSWORD, address)
        return PasswordOutcome(refusal=PasswordRefusal.WRONG_WITH_CODE)

    user = service.authenticate(session, email, password)
    enrolled = service.prepare_second_factor(session, user) if user is not None else False
    user_id = user.id if user is not None else None
    session.commit()
    if user_id is None:
        throttle.count_address(Step.PASSWORD, address)
        throttle.count_wrong_password(account)
        refusal = PasswordRefusal.PAUSED if throttle.account_paused(account) else PasswordRefusal.WRONG
        return PasswordOutcome(refusal=refusal)
    return PasswordOutcome(user_id=user_id, enrolled=enrolled)


def _password_and_code(session: Session, email: str, password: str, code: str) -> tuple[bool, Started | None]:
    """For a paused account: (was the password right, the new session) after one password
    verification and, only when the password was right, the code."""
    user = service.authenticate(session, email, password)
    if user is None or user.id is None:
        return False, None
    if not user.has_second_factor:
        return True, None
    if not service.check_second_factor(session, user.id, code).ok:
        return True, None
    return True, _start(session, user)


@dataclass(frozen=True)
class CodeScreen:
    """The person between their password and their code, and the area their app will name."""

    user: User
    area_name: str


def code_screen(session: Session, user_id: int) -> CodeScreen | None:
    """What the code and set-up pages show, or None when the person cannot go on (start again)."""
    user = service.pending_user(session, user_id)
    if user is None:
        return None
    areas = service.areas_for(session, user)
    return CodeScreen(user=user, area_name=areas[0].name if areas else "")


@dataclass(frozen=True)
class CodeOutcome:
    started: Started | None = None
    refusal: CodeRefusal | None = None
    wait_minutes: int = 0  # how long the code step is paused for this account (LOCKED)
    connection_wait: int = 0  # seconds this connection must wait before another code


def sign_in_with_code(session: Session, throttle: SignInThrottle, *, user_id: int, code: str, address: str) -> CodeOutcome:
    """The code step, for the person whose password was right: on a right code, a session."""
    wait = throttle.address_wait(Step.CODE, address)
    if wait:
        return CodeOutcome(connection_wait=wait)
    result = service.check_second_factor(session, user_id, code)
    started = _start(session, result.user) if result.ok and result.user is not None else None
    session.commit()
    if started is not None:
        assert result.user is not None
        throttle.clear_account(result.user.email)
        return CodeOutcome(started=started)
    if result.ok:
        # The code was right but the person has no role anywhere now.
        return CodeOutcome(refusal=CodeRefusal.UNAVAILABLE)
    if result.refusal in {CodeRefusal.WRONG, CodeRefusal.REUSED}:
        throttle.count_address(Step.CODE, address)
    return CodeOutcome(refusal=result.refusal, wait_minutes=result.wait_minutes)


# --- Choosing an area, and signing out ----------------------------------------------------------


def move_to_area(session: Session, session_id: int, user_id: int, area_slug: str) -> str | None:
    """Moves a session into one of its person's areas (after sign-in, or switching later); the new
    session token, or None when the session cannot work there (accounts/sessions.choose_area)."""
    token = sessions.choose_area(session, session_id, user_id, area_slug)
    session.commit()
    return token


def sign_out_browser(session: Session, staff: StaffIdentity | None, choice: sessions.AreaChoice | None) -> str | None:
    """Ends this browser's session, whether it works in an area (`staff`) or still waits for its
    person to choose one (`choice`). Returns where to send the browser to end the organisation's
    session too, after single sign-on where the provider offers it."""
    provider_logout = None
    if staff is not None:
        provider_logout = sessions.end_session(session, staff)
    elif choice is not None and choice.user.id is not None:
        sessions.end_session_by_id(session, choice.session_id, choice.user.id)
    else:
        return None
    session.commit()
    return provider_logout


# --- Signing in with your organisation (OpenID Connect) ----------------------------------------


def _refuse(session: Session, area_id: int | None, refusal: SsoRefusal) -> None:
    sso.refuse_sso(session, area_id, refusal)
    session.commit()


@dataclass(frozen=True)
class SsoStart:
    """Where to send the browser (`redirect_to`, with `browser_token` for its cookie), or why not."""

    redirect_to: str = ""
    browser_token: str = ""
    refusal: SsoRefusal | None = None
    connection_wait: int = 0


async def start_with_organisation(
    read: Session, write: Session, throttle: SignInThrottle, *, area_slug: str, next_path: str, address: str,
    redirect_uri: str,
) -> SsoStart | None:
    """Asks the area's provider for a sign-in and remembers the attempt (its state, nonce and code
    verifier) for the callback; None when the area has no single sign-on turned on.

    Each start calls the provider and stores an attempt, so starts have their own limit.
    """

    def find() -> tuple[int, tuple[Area, AreaOidcConfig] | None]:
        wait = throttle.address_wait(Step.SSO_START, address)
        if wait:
            return wait, None
        throttle.count_address(Step.SSO_START, address)
        found = sso.oidc_config_by_slug(read, area_slug)
        read.close()  # nothing stays open while the provider answers
        return 0, found

    wait, found = await run_in_threadpool(find)
    if wait:
        return SsoStart(connection_wait=wait)
    if found is None:
        return None
    area, config = found
    # The OpenID Connect client comes in on the first organisation sign-in in this process: it brings
    # Authlib, joserfc and an HTTP client, about 12 MB a worker that an area without single sign-on
    # never needs (bench/README.md, "Memory").
    from app.accounts import oidc

    try:
        auth = await oidc.start(config, redirect_uri)
    except oidc.OidcError as exc:
        await run_in_threadpool(_refuse, write, area.id, exc.refusal)
        return SsoStart(refusal=exc.refusal)
    browser_token = secrets.token_urlsafe(32)

    def remember() -> None:
        sso.record_oidc_attempt(
            write, area=area, state=auth.state, browser_token=browser_token,
            nonce=auth.nonce, code_verifier=auth.code_verifier, next_path=next_path,
        )
        write.commit()

    await run_in_threadpool(remember)
    return SsoStart(redirect_to=auth.url, browser_token=browser_token)


@dataclass(frozen=True)
class SsoFinish:
    """A session begun (`token`, and where the person was going), or why not (already audited)."""

    token: str | None = None
    next_path: str = "/staff/"
    refusal: SsoRefusal | None = None


async def finish_with_organisation(
    write: Session, *, state: str, browser_token: str, code: str, error: str, issuer: str | None,
    redirect_uri: str, post_logout_redirect_uri: str,
) -> SsoFinish:
    """Where the provider sends the browser back (`code`, `error` and `issuer` are what it sent).

    The attempt can be used only once, only by the browser that started it (`browser_token`, from
    its cookie), and only within its lifetime; it is spent in its own transaction before anything
    else is checked. Refusals are audited (all but the rare one where the area or its settings went
    away while the person was at their provider, as before).
    """

    def take() -> tuple[OidcLoginAttempt | None, AreaOidcConfig | None, SsoRefusal | None]:
        attempt, refusal = sso.take_oidc_attempt(write, state, browser_token)
        config = sso.oidc_config(write, attempt.area_id) if attempt else None
        if attempt is not None and refusal is None and (config is None or not config.enabled):
            refusal = SsoRefusal.STATE
        write.commit()
        return attempt, config, refusal

    attempt, config, refusal = await run_in_threadpool(take)
    area_id = attempt.area_id if attempt else None
    if refusal is None and (error or not code):
        refusal = SsoRefusal.PROVIDER
    # RFC 9207: when the provider names itself in the response, it must be the one we asked.
    if refusal is None and issuer is not None and config is not None and issuer != config.issuer:
        refusal = SsoRefusal.ISSUER
    if refusal is not None or attempt is None or config is None:
        refusal = refusal or SsoRefusal.STATE
        await run_in_threadpool(_refuse, write, area_id, refusal)
        return SsoFinish(refusal=refusal)
    from app.accounts import oidc  # on first use, as in start_with_organisation

    try:
        result = await oidc.finish(
            config, code=code, code_verifier=attempt.code_verifier, nonce=attempt.nonce,
            redirect_uri=redirect_uri, post_logout_redirect_uri=post_logout_redirect_uri,
        )
    except oidc.OidcError as exc:
        await run_in_threadpool(_refuse, write, area_id, exc.refusal)
        return SsoFinish(refusal=exc.refusal)
    area_id_taken = attempt.area_id

    def begin() -> tuple[str | None, SsoRefusal | None]:
        area = service.area_by_id(write, area_id_taken)
        current = sso.oidc_config(write, area_id_taken)
        if area is None or current is None:
            write.commit()
            return None, SsoRefusal.STATE
        # sign_in_with_oidc writes its own refusals to the audit log.
        outcome = sso.sign_in_with_oidc(write, area, current, result.claims)
        token = None
        if outcome.user is not None:
            token = sessions.start_session(write, outcome.user, area, method="oidc", provider_logout_url=result.logout_url)
        write.commit()
        return token, outcome.refusal

    token, refusal = await run_in_threadpool(begin)
    if token is None:
        return SsoFinish(refusal=refusal or SsoRefusal.STATE)
    return SsoFinish(token=token, next_path=attempt.next_path)
