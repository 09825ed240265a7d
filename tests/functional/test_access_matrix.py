"""The access matrix, built from the app's own route table so a new staff route cannot be missed.

For every staff route (every path under /staff/, and any route anywhere that requires a signed-in
staff member) and every role, in the user's own area and with another area's ids:
- nobody signed out gets past the sign-in redirect;
- a role the route does not name gets 403 (the route's one require_role dependency says who may);
- a role it names, pointed at another area's context, action, entry or workshop, gets 403 or 404;
- a role it names gets the page in its own area, and no page or export shows the other area's words;
- all of this while the person is an admin of the other area too, having chosen their own area
  after signing in (the area switcher is any staff member's, and moves only between their areas).
A route that declares no role, or has a path parameter this test cannot fill from another area,
fails the test until someone decides what it needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import Membership, Role
from app.core import web
from tests.factories import make_area, make_context, make_published, make_report, make_staff
from tests.support import csrf_from, sign_in

# The sign-in flow itself is for people who are not signed in yet.
SIGN_IN_FLOW = re.compile(r"^/staff/sign-(in|out)(/|$)")
# Pages every signed-in staff member may open (home redirects to the right place for the role; the
# area switcher lists and moves between the person's own areas only).
ANY_STAFF = {"/staff/", "/staff/area"}
# Child ids that only make sense under a parent id (the parent, from the other area, is what is refused).
CHILD_PARAMS = {"entry_id", "question_id"}
MARKER = "Northwick-only-marker"


@dataclass(frozen=True)
class StaffRoute:
    path: str
    method: str
    endpoint: Callable[..., Any]
    roles: tuple[str, ...] | None  # None: any signed-in staff member

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


def _walk_routes(routes: list[Any]) -> Iterator[Any]:
    """app.routes, with included routers expanded (FastAPI 0.165 keeps them as lazy _IncludedRouter)."""
    for route in routes:
        expand = getattr(route, "effective_candidates", None)
        if callable(expand):
            yield from _walk_routes(expand())
        else:
            yield route


def _dependency_calls(dependant: Any) -> Iterator[Any]:
    for sub in getattr(dependant, "dependencies", []):
        yield sub.call
        yield from _dependency_calls(sub)


def staff_routes(app: FastAPI) -> list[StaffRoute]:
    found = []
    for route in _walk_routes(list(app.routes)):
        original = getattr(route, "original_route", route)
        dependant = getattr(original, "dependant", None)
        path = getattr(route, "path", "")
        if dependant is None:
            continue
        calls = list(_dependency_calls(dependant))
        # Every page resolves its area through optional_staff; only require_staff means staff-only data.
        reads_staff = web.require_staff in calls
        if not (path.startswith("/staff/") or path == "/staff" or (reads_staff and not path.startswith("/staff"))):
            continue
        if SIGN_IN_FLOW.match(path):
            continue
        roles = next((tuple(call.required_roles) for call in calls if hasattr(call, "required_roles")), None)
        for method in sorted(original.methods or []):
            if method != "HEAD":
                found.append(StaffRoute(path, method, original.endpoint, roles))
    return found


def test_the_route_table_is_expanded_and_has_the_register_in_it(web_app: FastAPI) -> None:
    paths = {(r.path, r.method) for r in staff_routes(web_app)}
    assert ("/staff/register", "GET") in paths and ("/staff/register/export.geojson", "GET") in paths
    assert ("/staff/register/contexts/{context_id}/merge", "POST") in paths
    assert len(paths) > 20


def test_public_api_routes_never_read_a_staff_identity(web_app: FastAPI) -> None:
    for route in _walk_routes(list(web_app.routes)):
        path = getattr(route, "path", "")
        dependant = getattr(getattr(route, "original_route", route), "dependant", None)
        if path.startswith("/api/") and dependant is not None:
            calls = list(_dependency_calls(dependant))
            assert web.require_staff not in calls, f"{path} needs a staff member: it belongs in the matrix"


def test_every_staff_route_declares_who_may_use_it(web_app: FastAPI) -> None:
    undeclared = [f"{r.method} {r.path}" for r in staff_routes(web_app) if r.roles is None and r.path not in ANY_STAFF]
    assert undeclared == [], f"staff routes without a require_role dependency: {undeclared}"


@dataclass
class Town:
    ids: dict[str, int]


def _town(session: Session, area: Any, marker: str) -> Town:
    context = make_context(session, area, f"{marker} Canal Walk")
    published = make_published(session, area, context, description=f"{marker}: the towpath is dark.")
    pending = make_report(session, area, description=f"{marker}: the bus shelter is dark.")
    from app.register.models import Action

    action = Action(area_id=area.id, context_id=context.id, title=f"{marker} lights", owner_organisation="Highways", public_summary="New lights.")
    session.add(action)
    session.commit()
    ids = {"context_id": context.id, "action_id": action.id, "report_id": pending.id, "published_report_id": published.id}
    from tests.factories import make_workshop

    facilitator = make_staff(session, area, "facilitator")
    ids["workshop_id"] = make_workshop(session, area, facilitator, title=f"{marker} workshop").id
    ids |= _outreach(session, area, facilitator, marker)
    return Town(ids)


def _outreach(session: Session, area: Any, facilitator: Any, marker: str) -> dict[str, int]:
    from datetime import date

    from app.accounts.service import StaffIdentity
    from app.outreach import service as outreach

    staff = StaffIdentity(user=facilitator, area=area, roles=frozenset({"facilitator"}), session_id=0)
    campaign = outreach.create_campaign(session, staff, name=f"{marker} campaign", purpose="", starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31))
    link = outreach.create_link(session, staff, kind="poster", label=f"{marker} poster", campaign_id=campaign.id)
    assert campaign.id is not None and link.id is not None
    return {"campaign_id": campaign.id, "link_id": link.id}


def _fill(route: StaffRoute, town: Town) -> str | None:
    path = route.path
    for param in route.params:
        if param in town.ids:
            value = town.ids[param]
        elif param in CHILD_PARAMS:
            value = 999_999  # refused by its parent (from the other area) before it is looked up
        else:
            return None
        path = path.replace("{" + param + "}", str(value))
    return path


def _request(client: TestClient, method: str, path: str, token: str) -> Any:
    if method == "GET":
        return client.get(path)
    return client.request(method, path, data={"csrf_token": token})


def _streams(route: StaffRoute) -> bool:
    # Server-sent event streams never end on their own; the refusals are checked, the stream itself is not opened.
    return route.path.endswith("/events")


def test_access_matrix_every_staff_route_every_role_own_and_other_area(web_app: FastAPI, session: Session) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "northwick")
    mine = _town(session, home, "Brackenford")
    theirs = _town(session, other, MARKER)
    routes = staff_routes(web_app)
    unfillable = sorted({p for r in routes for p in r.params if p not in mine.ids and p not in CHILD_PARAMS})
    assert unfillable == [], f"the access matrix cannot fill {unfillable}: add a provider in _town()"
    problems: list[str] = []

    with TestClient(web_app, follow_redirects=False) as anonymous:
        for route in routes:
            path = _fill(route, mine)
            assert path is not None
            response = _request(anonymous, route.method, path, "")
            refused = (response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")) or response.status_code == 403
            if not refused:
                problems.append(f"anonymous {route.method} {path}: {response.status_code}")

    for role in Role:
        user = make_staff(session, home, role.value)
        # Everyone here is also an admin of the other area, and chose their own after signing in:
        # a role held elsewhere grants nothing in the area the session works in.
        session.add(Membership(user_id=user.id, area_id=other.id, role=Role.ADMIN.value))
        session.commit()
        with TestClient(web_app, follow_redirects=False) as client:
            sign_in(client, user.email, area=home.slug)
            token = _token(client)
            for route in routes:
                allowed = route.roles is None or role == Role.ADMIN or role.value in route.roles
                own = _fill(route, mine)
                assert own is not None
                if not allowed:
                    response = _request(client, route.method, own, token)
                    if response.status_code != 403:
                        problems.append(f"{role.value} {route.method} {own}: {response.status_code}, expected 403")
                    continue
                if route.params:
                    foreign = _fill(route, theirs)
                    assert foreign is not None
                    response = _request(client, route.method, foreign, token)
                    # With only a child id (no parent from the other area to refuse), the id is made up:
                    # the route must still not succeed, but it may send the person back to its page.
                    refusals = (303, 403, 404) if set(route.params) <= CHILD_PARAMS else (403, 404)
                    if response.status_code not in refusals:
                        problems.append(f"{role.value} {route.method} {foreign} (other area): {response.status_code}")
                    if MARKER in response.text:
                        problems.append(f"{role.value} {route.method} {foreign} shows the other area's words")
                if route.method == "GET" and not _streams(route) and not (set(route.params) & CHILD_PARAMS):
                    response = client.get(own)
                    if response.status_code not in (200, 303):
                        problems.append(f"{role.value} GET {own} (own area): {response.status_code}")
                    if MARKER in response.text:
                        problems.append(f"{role.value} GET {own} shows the other area's words")
    assert problems == [], "\n".join(problems)


def test_the_switcher_moves_a_session_only_into_the_persons_own_areas(web_app: FastAPI, session: Session) -> None:
    home = make_area(session, "brackenford")
    other = make_area(session, "northwick")
    _town(session, other, MARKER)
    for role in Role:
        user = make_staff(session, home, role.value)
        with TestClient(web_app, follow_redirects=False) as client:
            sign_in(client, user.email)
            token = _token(client)
            switcher = client.get("/staff/area")
            assert switcher.status_code == 200 and 'value="northwick"' not in switcher.text
            assert client.post("/staff/area", data={"area": other.slug, "csrf_token": token}).status_code == 404
            assert MARKER not in client.get("/staff/register").text
            # Given a role there, the same person may move, and then sees that area only.
            session.rollback()  # end this test session's read snapshot before writing
            session.add(Membership(user_id=user.id, area_id=other.id, role=Role.STATUTORY.value))
            session.commit()
            assert client.post("/staff/area", data={"area": other.slug, "csrf_token": token}).status_code == 303
            register = client.get("/staff/register")
            assert register.status_code == 200 and MARKER in register.text


def _token(client: TestClient) -> str:
    """A CSRF token from any staff page the person can open (the sign-out form is on every one)."""
    for path in ("/staff/register", "/staff/moderation", "/staff/workshops", "/staff/taxonomy", "/staff/admin/sign-in"):
        response = client.get(path)
        if response.status_code == 200:
            return csrf_from(response.text)
    raise AssertionError("no staff page to take a CSRF token from")
