"""Turning a refused form into what the person sees: one message per field, in their language.

Every staff and public form is a Pydantic model; when it refuses the input, each domain keeps a
table from field name to a lazy message (`_l(...)`, so it is worded in the reader's language when
the page is built). `field_messages` is the one place that walks the validation errors: the first
error on a field picks that field's message, and fields without one are left to the caller (a form
may add its own, for checks across fields). What the person typed is never in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError


def field_messages(
    exc: ValidationError, messages: Mapping[str, Any], *, into: dict[str, str] | None = None
) -> dict[str, str]:
    """`into` (or a new dict) with a message for each refused field that `messages` words."""
    errors = into if into is not None else {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        if name in messages and name not in errors:
            errors[name] = str(messages[name])
    return errors
