"""Changes to a staff account that replace or take away what it signs in with or may do: a new
password, a role removed, an account paused (or restored), a second factor reset for a lost phone.

Each ends the person's other sessions (accounts/sessions.py), so what was taken away stops working
at once (a person changing their own password keeps the session they are using). The CLI makes
these changes: `safetymap users set-password`, `remove-role`, `disable` and `reset-code`.
"""

from __future__ import annotations

from sqlmodel import Session, col, delete

from app.accounts.models import Membership, User
from app.accounts.service import MIN_PASSWORD_LENGTH, AccountError, hash_password
from app.accounts.sessions import end_other_sessions
from app.areas.models import Area
from app.audit import service as audit


def set_password(
    session: Session, user: User, password: str, *, actor_id: int | None = None, via: str = "cli",
    keep_session_id: int | None = None,
) -> None:
    """A new password. Every other session of the person ends: whoever knew the old one is out.

    `keep_session_id` is the session of a person changing their own password, which stays.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    assert user.id is not None
    user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    session.add(user)
    audit.record(session, "account.password_set", area_id=None, actor_id=actor_id, subject_type="user", subject_id=user.id, via=via)
    end_other_sessions(session, user.id, reason="password_set", keep_session_id=keep_session_id, actor_id=actor_id)


def remove_role(
    session: Session, user: User, area: Area, role: str, *, actor_id: int | None = None, via: str = "cli"
) -> bool:
    """Takes one role in one area away; False when the person did not have it.

    Their sessions in that area (and any not yet in an area) end, so the role stops at once; the
    person signs in again with what they still have.
    """
    assert user.id is not None and area.id is not None
    removed = session.exec(
        delete(Membership).where(
            col(Membership.user_id) == user.id, col(Membership.area_id) == area.id, col(Membership.role) == role
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    audit.record(session, "account.role_removed", area_id=area.id, actor_id=actor_id, subject_type="user", subject_id=user.id, role=role, via=via)
    end_other_sessions(session, user.id, reason="role_removed", area_id=area.id, actor_id=actor_id)
    return True


def set_account_active(session: Session, user: User, active: bool, *, actor_id: int | None = None, via: str = "cli") -> None:
    """Pauses (or restores) an account. Pausing ends every session of the person."""
    assert user.id is not None
    if user.is_active == active:
        return
    user.is_active = active
    session.add(user)
    audit.record(session, "account.enabled" if active else "account.disabled", area_id=None, actor_id=actor_id, subject_type="user", subject_id=user.id, via=via)
    if not active:
        end_other_sessions(session, user.id, reason="disabled", actor_id=actor_id)

def reset_second_factor(session: Session, user: User, *, actor_id: int | None = None, via: str = "cli") -> None:
    """For a lost phone: the person sets up a new code at their next sign-in.

    Every session of theirs ends too: whoever has the lost phone may be signed in with it.
    """
    assert user.id is not None
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.totp_failures = 0
    user.totp_locked_until = None
    session.add(user)
    audit.record(session, "auth.totp_reset", area_id=None, actor_id=actor_id, subject_type="user", subject_id=user.id, via=via)
    end_other_sessions(session, user.id, reason="totp_reset", actor_id=actor_id)
