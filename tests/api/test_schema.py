"""A property-based run of the OpenAPI document (schemathesis): no server error, every response as documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from lfs_ayats.api import make_api

from .conftest import add_other_session

MAX_EXAMPLES = 40  # per operation: bounded, the suite stays quick


@pytest.fixture(scope="module")
def api_schema(race: Any) -> Iterator[Any]:
    from lfs_ayats.store.engine import open_store
    from lfs_ayats.store.ingest import import_capture

    engine = open_store("sqlite://")
    import_capture(race.full, engine)
    add_other_session(engine)
    app = make_api(engine)
    with TestClient(app):
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    engine.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_document(case: Any) -> None:
    # Every check but "valid data accepted": parameters each valid alone can contradict each other (since
    # after until, a distance range upside down, a channel of another source), and the API answers
    # those with its documented 422 and a message saying which.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
