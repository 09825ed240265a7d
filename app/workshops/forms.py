"""Form parsing as dependencies, so the routes that use them can be plain `def` functions.

Reading a request body is async; the database work after it is not. As `def` routes, the database
work runs in the thread pool and never stalls the event loop that carries every live wall's stream.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.core.security import CSRFError, check_csrf


async def form_data(request: Request) -> FormData:
    return await request.form()


async def csrf_passed(request: Request) -> bool:
    """For routes that check CSRF themselves, so a stale form is shown again rather than lost."""
    try:
        await check_csrf(request)
    except CSRFError:
        return False
    return True


FormDep = Annotated[FormData, Depends(form_data)]
CsrfPassed = Annotated[bool, Depends(csrf_passed)]
