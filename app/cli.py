"""The `safetymap` command."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.core.config import SettingsError, load_settings

if TYPE_CHECKING:
    from app.core.db import Database

app = typer.Typer(help="Safety Map: community safety reporting built on Contextual Safeguarding.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
retention_app = typer.Typer(help="Deleting raw words after each area's retention period.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
alerts_app = typer.Typer(help="Safeguarding alerts.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
app.add_typer(alerts_app, name="alerts")


def _settings():  # type: ignore[no-untyped-def]
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _database() -> Iterator[Database]:
    import app.models  # noqa: F401  (every table on the metadata, so foreign keys resolve)
    from app.core.db import Database

    database = Database(_settings())
    try:
        yield database
    finally:
        database.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use PostgreSQL for more than one).")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web app."""
    import uvicorn

    settings = _settings()
    if workers > 1 and settings.is_sqlite:
        typer.echo("Note: SQLite serves one host; several workers share its one writer.", err=True)
    for warning in _alert_warnings(settings):
        typer.echo(warning, err=True)
    uvicorn.run(
        "app.main:create_app", factory=True, host=host, port=port, workers=workers, reload=reload,
        proxy_headers=False, server_header=False, log_level=settings.log_level.lower(),
        access_log=False,  # ours (app/core/logs.py) logs route templates, never addresses or queries
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads") -> None:
    """Apply the database migrations."""
    from app.core import migrate

    migrate.upgrade(_settings().database_url, revision)
    typer.echo(f"Database is at {revision}.")


@app.command()
def demo(
    reports: Annotated[int, typer.Option(help="How many reports to invent.")] = 400,
    seed: Annotated[int, typer.Option(help="Random seed, for the same town every time.")] = 7,
) -> None:
    """Load a fictional town with places, staff and believable reports (skipped if already there)."""
    from app.demo.generate import load_demo

    with _database() as db:
        result = load_demo(db, reports=reports, seed=seed, echo=typer.echo)
    if result.created_staff:
        typer.echo("")
        typer.echo("Demo staff accounts (passwords and sign-in code keys are shown this once; keep them somewhere safe):")
        for email, roles, password in result.created_staff:
            typer.echo(f"  {email:32} {password}   ({roles})")
            if email in result.totp_secrets:
                typer.echo(f"  {'':32} code key: {result.totp_secrets[email]}")
        typer.echo("Sign in at /staff/sign-in. After the password, enter the six-digit code from an authenticator app")
        typer.echo("where you added the account's code key (a time-based key). Lost one? safetymap users set-password EMAIL;")
        typer.echo("safetymap users reset-code EMAIL lets that person set up a new code at their next sign-in.")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="The person's work email.")],
    area: Annotated[str, typer.Option(help="Area slug.")],
    role: Annotated[list[str], typer.Option(help="moderator, statutory, facilitator or admin (repeat for more).")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    organisation: Annotated[str, typer.Option(help="Their organisation.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Create a staff account with a password (asked for, or read from stdin)."""
    from sqlmodel import select

    from app.accounts.service import AccountError, create_user
    from app.areas.models import Area

    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _database() as db, db.transaction() as session:
        found = session.exec(select(Area).where(Area.slug == area)).first()
        if found is None:
            typer.echo(f"Error: no area with slug {area!r}.", err=True)
            raise typer.Exit(2)
        try:
            create_user(session, email=email, display_name=name, password=password, area=found, roles=role, organisation=organisation)
        except AccountError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"Created {email} in {area} as {', '.join(role)}.")


@users_app.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Argument(help="The staff account's email.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Set a new password for a staff account (their sessions end: they sign in again)."""
    from app.accounts.changes import set_password
    from app.accounts.service import MIN_PASSWORD_LENGTH, user_by_email

    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        typer.echo(f"Error: passwords need at least {MIN_PASSWORD_LENGTH} characters.", err=True)
        raise typer.Exit(2)
    with _database() as db, db.transaction() as session:
        user = user_by_email(session, email)
        if user is None:
            typer.echo("Error: no staff account with that email.", err=True)
            raise typer.Exit(2)
        set_password(session, user, password, via="cli")
    typer.echo("Password changed. Anyone signed in as them has been signed out.")


@users_app.command("remove-role")
def users_remove_role(
    email: Annotated[str, typer.Argument(help="The staff account's email.")],
    area: Annotated[str, typer.Option(help="Area slug.")],
    role: Annotated[str, typer.Option(help="moderator, statutory, facilitator or admin.")],
) -> None:
    """Take one role in one area away (their sessions in that area end)."""
    from sqlmodel import select

    from app.accounts.changes import remove_role
    from app.accounts.service import user_by_email
    from app.areas.models import Area

    with _database() as db, db.transaction() as session:
        user = user_by_email(session, email)
        found = session.exec(select(Area).where(Area.slug == area)).first()
        if user is None or found is None:
            typer.echo("Error: no staff account with that email." if user is None else f"Error: no area with slug {area!r}.", err=True)
            raise typer.Exit(2)
        if not remove_role(session, user, found, role, via="cli"):
            typer.echo(f"Error: they have no {role} role in {area}.", err=True)
            raise typer.Exit(2)
    typer.echo(f"Removed {role} in {area}. Their sessions in {area} have ended.")


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="The staff account's email.")]) -> None:
    """Pause a staff account: it cannot sign in, and every session of theirs ends."""
    from app.accounts.changes import set_account_active
    from app.accounts.service import user_by_email

    with _database() as db, db.transaction() as session:
        user = user_by_email(session, email)
        if user is None:
            typer.echo("Error: no staff account with that email.", err=True)
            raise typer.Exit(2)
        set_account_active(session, user, False, via="cli")
    typer.echo("Paused. Anyone signed in as them has been signed out.")


@app.command()
def export(
    area: Annotated[str, typer.Option(help="Area slug.")],
    format: Annotated[str, typer.Option(help="csv or geojson.")] = "csv",
) -> None:
    """Write the area's register (redacted text only) to standard output."""
    from sqlmodel import select

    from app.areas.models import Area
    from app.audit import service as audit
    from app.register import exports

    if format not in {"csv", "geojson"}:
        typer.echo("Error: --format must be csv or geojson.", err=True)
        raise typer.Exit(2)
    with _database() as db, db.transaction() as session:
        found = session.exec(select(Area).where(Area.slug == area)).first()
        if found is None or found.id is None:
            typer.echo(f"Error: no area with slug {area!r}.", err=True)
            raise typer.Exit(2)
        body = exports.entries_csv(session, found.id, locale=found.default_locale) if format == "csv" else exports.dumps(exports.contexts_geojson(session, found.id))
        audit.record(session, "register.exported", area_id=found.id, format=format, via="cli")
    sys.stdout.write(body)


@retention_app.command("run")
def retention_run() -> None:
    """Delete raw words older than each area's retention period (redacted text and audit stay)."""
    from app.moderation.retention import run_retention

    with _database() as db, db.transaction() as session:
        cleared = run_retention(session)
    if not cleared:
        typer.echo("Nothing to delete.")
    for slug, count in cleared.items():
        typer.echo(f"{slug}: deleted the raw words of {count} reports.")


def _alert_warnings(settings) -> list[str]:  # type: ignore[no-untyped-def]
    """Said plainly at start-up: a safeguarding alert that cannot be emailed must never be a surprise."""
    warnings = []
    if not settings.smtp_host:
        warnings.append(
            "Safeguarding alerts cannot be emailed: SAFETYMAP_SMTP_HOST is not set. "
            "They are kept in the outbox and shown at /staff/alerts."
        )
    if not settings.alert_loop_seconds:
        warnings.append(
            "Safeguarding alerts are not sent by the app: SAFETYMAP_ALERT_LOOP_SECONDS is 0. "
            "Run `safetymap alerts run` every minute and `safetymap notices run` every 15 minutes (cron)."
        )
    return warnings


@alerts_app.command("run")
def alerts_run() -> None:
    """One round of safeguarding email: queue and send alerts, reminders, escalations and overdue notices (for cron when the in-app loop is off)."""
    from datetime import timedelta

    from app.core.mail import make_mailer
    from app.moderation.alerts import run_round

    settings = _settings()
    if not settings.smtp_host:
        typer.echo(_alert_warnings(settings)[0], err=True)
    with _database() as db:
        result = run_round(db, make_mailer(settings), base_url=settings.base_url, resend_after=timedelta(minutes=settings.alert_resend_minutes))
    delivery = result.delivery
    typer.echo(
        f"Queued {result.queued} alert email(s), {result.escalated} escalation(s), reminders about {result.overdue} overdue entries. "
        f"Sent {delivery.sent}, will try again {delivery.retrying}, failed {delivery.failed}, could not send {delivery.undeliverable}."
    )
    if delivery.failed or delivery.undeliverable:
        raise typer.Exit(1)


@app.command()
def backup(
    output: Annotated[Path | None, typer.Option(help="File to write (default: DATA_DIR/backups/...).")] = None,
) -> None:
    """Take a consistent backup while the app runs (SQLite online backup, or pg_dump)."""
    settings = _settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if settings.is_sqlite:
        source_path = settings.database_url.split("///", 1)[1]
        target = output or settings.data_dir / "backups" / f"safetymap-{stamp}.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(source_path)
        destination = sqlite3.connect(target)
        with destination:
            source.backup(destination)  # page-by-page copy that sees one consistent snapshot
        destination.close()
        source.close()
    else:
        if shutil.which("pg_dump") is None:
            typer.echo("Error: pg_dump is not installed (Debian: postgresql-client).", err=True)
            raise typer.Exit(2)
        target = output or settings.data_dir / "backups" / f"safetymap-{stamp}.dump"
        target.parent.mkdir(parents=True, exist_ok=True)
        url = settings.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        subprocess.run(["pg_dump", "--format=custom", "--file", str(target), url], check=True)  # noqa: S603, S607
    target.chmod(0o600)
    typer.echo(f"Backup written to {target}")


triage_app = typer.Typer()  # its help is the worker's docstring below
app.add_typer(triage_app, name="triage")


# `safetymap triage` with no subcommand is the JSON-lines worker, as it always was;
# subcommands (train, and later ones) sit beside it in this group.
@triage_app.callback(invoke_without_command=True)
def triage(
    ctx: typer.Context,
    area: Annotated[str, typer.Option(help="Area slug whose gazetteer (schools, places) to use.")] = "",
) -> None:
    """Read JSON lines {"id","text"} on stdin; write {"id","urgent","pii":[{"kind","start","end"}],"level","reasons"}."""
    if ctx.invoked_subcommand is not None:
        return
    from app.moderation.triage import triage_jsonl

    school_names: list[str] = []
    place_names: list[str] = []
    if area:
        from sqlmodel import select

        from app.areas import service as areas
        from app.areas.models import Area

        with _database() as db, db.session() as session:
            found = session.exec(select(Area).where(Area.slug == area)).first()
            if found is None or found.id is None:
                typer.echo(f"Error: no area with slug {area!r}.", err=True)
                raise typer.Exit(2)
            school_names = areas.school_names(session, found.id)
            place_names = areas.place_names(session, found.id)
    errors = triage_jsonl(sys.stdin, sys.stdout, school_names=school_names, place_names=place_names)
    if errors:
        typer.echo(json.dumps({"errors": errors}), err=True)
        raise typer.Exit(1)


@triage_app.command("train")
def triage_train(
    shared: Annotated[Path | None, typer.Option(help="Folder with triage-train.jsonl and triage-dev.jsonl (default: ../shared/eval beside the repository).")] = None,
    out: Annotated[Path | None, typer.Option(help="Model file to write (default: the shipped app/moderation/triage/data/urgency_model.json).")] = None,
    date: Annotated[str, typer.Option(help="Training date to record, YYYY-MM-DD (default: today); the same date and data rebuild the same bytes.")] = "",
) -> None:
    """Train the learned urgency model (thresholds by cross-validation) and write it as JSON."""
    from app.moderation.triage import training
    from app.moderation.triage.model import MODEL_PATH

    trained_on = date or datetime.now(UTC).date().isoformat()
    try:
        data = training.load_training_data(shared or training.DEFAULT_SHARED)
    except FileNotFoundError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    artefact = training.train_artefact(data, trained_on=trained_on, own_data_note=training.OWN_DATA_NOTE)
    target = out or MODEL_PATH
    target.write_bytes(training.dump_artefact(artefact))
    cv = artefact["cross_validation"]["combined_possible"]
    typer.echo(
        f"Wrote {target} ({target.stat().st_size // 1024} KB, {len(artefact['weights'])} weights, "
        f"{artefact['rows_used']} rows); thresholds {artefact['thresholds']['possible']} / "
        f"{artefact['thresholds']['likely']}; CV recall {cv['tp']}/{cv['tp'] + cv['fn']}."
    )


@triage_app.command("export-labels")
def triage_export_labels(
    area: Annotated[str, typer.Option(help="Area slug.")],
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
) -> None:
    """Write the area's safeguarding calls as training JSON lines (redacted text only)."""
    from sqlmodel import select

    from app.areas.models import Area
    from app.moderation import labels

    with _database() as db, db.transaction() as session:
        found = session.exec(select(Area).where(Area.slug == area)).first()
        if found is None or found.id is None:
            typer.echo(f"Error: no area with slug {area!r}.", err=True)
            raise typer.Exit(2)
        if out is None:
            labels.export_labels(session, found.id, found.slug, sys.stdout)
            return
        with out.open("w", encoding="utf-8") as handle:
            count = labels.export_labels(session, found.id, found.slug, handle)
        out.chmod(0o600)
    typer.echo(f"Wrote {count} labels to {out}.")


@users_app.command("reset-code")
def users_reset_code(email: Annotated[str, typer.Argument(help="The staff account's email.")]) -> None:
    """Make someone set up a new sign-in code (TOTP) at their next sign-in, e.g. after losing a phone."""
    from app.accounts.changes import reset_second_factor
    from app.accounts.service import user_by_email

    with _database() as db, db.transaction() as session:
        user = user_by_email(session, email)
        if user is None:
            typer.echo("Error: no staff account with that email.", err=True)
            raise typer.Exit(2)
        reset_second_factor(session, user, via="cli")
    typer.echo("Done. Anyone signed in as them has been signed out; they will set up a new code the next time they sign in with their password.")


sso_app = typer.Typer(help="Signing in with an organisation's account (OpenID Connect).", no_args_is_help=True)
app.add_typer(sso_app, name="sso")


@sso_app.command("configure")
def sso_configure(
    area: Annotated[str, typer.Option(help="Area slug.")],
    issuer: Annotated[str, typer.Option(help="The provider's issuer URL (https).")],
    client_id: Annotated[str, typer.Option(help="Client ID the provider gave this service.")],
    domain: Annotated[list[str], typer.Option(help="Email domain allowed to sign in (repeat for more).")],
    group_role: Annotated[list[str], typer.Option(help="GROUP=ROLE[,ROLE]: roles a provider group gives (repeat).")],
    client_secret_stdin: Annotated[bool, typer.Option("--client-secret-stdin", help="Read the client secret from standard input.")] = False,
    groups_claim: Annotated[str, typer.Option(help="Claim that lists a person's groups.")] = "groups",
    scopes: Annotated[str, typer.Option(help="Scopes to ask for, separated by spaces.")] = "openid email profile",
    organisation_name: Annotated[str, typer.Option(help="Name on the sign-in button.")] = "",
    disable: Annotated[bool, typer.Option("--disable", help="Keep the settings but turn sign-in with the organisation off.")] = False,
) -> None:
    """Set up or change an area's sign-in with an organisation's account."""
    from pydantic import ValidationError
    from sqlmodel import select

    from app.accounts.schemas import OidcConfigInput, parse_role_mapping
    from app.accounts.sso import DomainTaken, save_oidc_config
    from app.areas.models import Area

    secret = sys.stdin.readline().rstrip("\n") if client_secret_stdin else ""
    try:
        parsed = OidcConfigInput.model_validate(
            {
                "enabled": not disable, "organisation_name": organisation_name, "issuer": issuer, "client_id": client_id,
                "client_secret": secret, "scopes": scopes, "allowed_domains": ", ".join(domain), "groups_claim": groups_claim,
                "role_mapping": parse_role_mapping("\n".join(group_role)),
            },
            context={"allow_loopback_http": _settings().env == "test"},
        )
    except (ValidationError, ValueError) as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}) if isinstance(exc, ValidationError) else ["group-role"]
        typer.echo(f"Error: check {', '.join(fields)} (issuer https://..., roles moderator, statutory, facilitator or admin).", err=True)
        raise typer.Exit(2) from None
    with _database() as db, db.transaction() as session:
        found = session.exec(select(Area).where(Area.slug == area)).first()
        if found is None:
            typer.echo(f"Error: no area with slug {area!r}.", err=True)
            raise typer.Exit(2)
        try:
            save_oidc_config(session, found, parsed.model_dump(), actor_id=None)
        except DomainTaken as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
    settings = _settings()
    typer.echo(f"Saved sign-in with an organisation for {area} ({'off' if disable else 'on'}).")
    typer.echo(f"Register at the provider: redirect URI {settings.base_url}/staff/sign-in/oidc/callback, post-logout redirect URI {settings.base_url}/staff/sign-in")


register_app = typer.Typer(help="The context register.", no_args_is_help=True)
app.add_typer(register_app, name="register")


@register_app.command("rebuild-counts")
def register_rebuild_counts(
    area: Annotated[str, typer.Option(help="Only this area's contexts (slug); all areas by default.")] = "",
) -> None:
    """Recompute the register's per-context counts from the published entries (they are kept as entries change; this repairs them)."""
    from sqlmodel import select

    from app.areas.models import Area
    from app.audit import service as audit
    from app.register import counts

    with _database() as db, db.transaction() as session:
        area_id = None
        if area:
            found = session.exec(select(Area).where(Area.slug == area)).first()
            if found is None:
                typer.echo(f"Error: no area with slug {area!r}.", err=True)
                raise typer.Exit(2)
            area_id = found.id
        rows = counts.rebuild(session, area_id=area_id)
        audit.record(session, "context_counts.rebuilt", area_id=area_id, rows=rows, via="cli")
    typer.echo(f"Rebuilt the register's counts: {rows} rows.")

patterns_app = typer.Typer(help="Patterns across contexts (the weekly look).", no_args_is_help=True)
app.add_typer(patterns_app, name="patterns")


@patterns_app.command("run")
def patterns_run(
    area: Annotated[str, typer.Option(help="Only this area (slug); all areas by default.")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be found; store and send nothing.")] = False,
) -> None:
    """Look for patterns in the weeks just ended and email new ones to each area's statutory team (weekly, from cron; once per area and week)."""
    from sqlmodel import select

    from app.areas.models import Area
    from app.register.patterns.runs import run_patterns

    settings = _settings()
    with _database() as db:
        if area:
            with db.read() as session:
                if session.exec(select(Area.id).where(Area.slug == area)).first() is None:
                    typer.echo(f"Error: no area with slug {area!r}.", err=True)
                    raise typer.Exit(2)
        results = run_patterns(db, base_url=settings.base_url, area_slug=area or None, dry_run=dry_run)
    for result in results:
        week = result.week.isoformat()
        if result.failed:
            typer.echo(f"{result.slug}: the look at the weeks up to {week} failed (see the log); nothing was stored.", err=True)
            continue
        if result.already_done and not dry_run:
            typer.echo(f"{result.slug}: the weeks up to {week} were already looked at; nothing new is sent.")
            continue
        verb = "would report" if dry_run else "found"
        typer.echo(
            f"{result.slug} (weeks up to {week}): {verb} {len(result.new)} new pattern(s), "
            f"{len(result.continuing)} still rising, {result.ended} no longer found."
        )
        for finding in result.new:
            names = ", ".join(c.name for c in finding.contexts)
            shared = f" ({finding.facet}: {finding.code})" if finding.facet else ""
            typer.echo(f"  new {finding.kind}{shared}: {names}; {finding.recent} recent against {finding.baseline} before")
    if dry_run:
        typer.echo("Dry run: nothing was stored or sent.")
    elif any(r.new for r in results):
        typer.echo("New patterns are in the outbox for each area's statutory team; the alert sender (the app, or `safetymap alerts run`) sends them.")
    if any(r.failed for r in results):
        raise typer.Exit(1)


notices_app = typer.Typer(help="The reporters' optional \"tell me when something changes\" emails.", no_args_is_help=True)
app.add_typer(notices_app, name="notices")


@notices_app.command("run")
def notices_run() -> None:
    """Email each reporter who asked when what /track shows them has changed (at most once a day each), and delete addresses past 12 months (for cron when the in-app loop is off)."""
    from app.core.mail import make_mailer
    from app.reports.notices import run_notices

    settings = _settings()
    if not settings.smtp_host:
        typer.echo("Reporters cannot be emailed: SAFETYMAP_SMTP_HOST is not set. Their news waits until it is.", err=True)
    with _database() as db:
        result = run_notices(db, make_mailer(settings), base_url=settings.base_url, secret_key=settings.secret_key.get_secret_value())
    typer.echo(
        f"Sent {result.sent} email(s) about news; {result.waiting} wait for tomorrow, {result.unchanged} have no news. "
        f"Will try again {result.retrying}. Deleted {result.forgotten} address(es)."
    )
    if result.retrying:
        raise typer.Exit(1)


def main() -> None:
    app()
