"""Every operation in /openapi.json, fed what the schema allows and what it does not.

Schemathesis generates requests from the published OpenAPI document (25 positive and 25 negative
examples per operation, derandomised so a run is repeatable and bounded so the suite stays quick)
and fails on any 5xx, any status or body the document does not describe, and any malformed
request that is not refused with a documented 4xx. A new API operation is covered without a
change here.

One check is left out: "schema-valid data is accepted". A report's rules cross fields (a place
or typed words about where; words, not only symbols, in the description), which JSON Schema
cannot say, so a schema-valid body can rightly get the documented 422.
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import Session

from tests.factories import make_area

EXAMPLES = 25


def _fuzz(strategy: st.SearchStrategy[schemathesis.Case]) -> Callable[[], None]:
    @given(data=st.data())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def check(data: st.DataObject) -> None:
        case = data.draw(strategy)
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    return check


def test_the_api_answers_every_generated_request_as_documented(web_app: FastAPI, session: Session) -> None:
    make_area(session)
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operations"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation.as_strategy(generation_mode=mode))()
            except Unsatisfiable:
                # An operation with no parameters and no body has no invalid request to make.
                assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
            except Exception as exc:
                raise AssertionError(f"{operation.label} ({mode.value} examples): {exc}") from exc
