"""The API keeps the contract it publishes at /api/schema/: schemathesis generates requests from
the schema (valid ones and invalid ones) for every operation, as each persona, against the live
test server, and every response must be a documented status with a body matching its schema,
never a server error.

Bounded for the test command: API_CONTRACT_EXAMPLES requests per operation and mode (default 5),
from a fixed seed (API_CONTRACT_SEED) so a failure reproduces. A wider run is the same test with
more examples and another seed, e.g. `API_CONTRACT_EXAMPLES=50 API_CONTRACT_SEED=7 pytest ...`.

No persona can destroy what its own run relies on: the API has no DELETE, tokens are only
revoked from the account page, and the token endpoint's failed sign-ins lock out the fuzzed
usernames, never the persona's token. Each persona's run starts from a fresh database.
"""

from __future__ import annotations

import json
import os
import time

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("API_CONTRACT_EXAMPLES", "5"))
SEED = int(os.environ.get("API_CONTRACT_SEED", "20261130"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PERSONAS = ["admin_user", "officer", "manager_a", "agent_a"]


def published_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (the same generator), as plain JSON."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def _own_id(path: str, objects: dict) -> int | None:
    """An id of the persona's own startup's object for `/api/v1/<resource>/{id}/…`, so that the
    object routes are exercised on a real object as well as on generated (mostly unknown) ids."""
    resource = path.split("/")[3]
    return objects.get(resource)


def _strategies(operation, objects: dict):
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        yield mode.value, operation.as_strategy(generation_mode=mode)
    own = _own_id(operation.path, objects) if "{id}" in operation.path else None
    if own is not None:
        yield "own object", operation.as_strategy(path_parameters={"id": own})


def _fuzz(strategy, call) -> None:
    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: bounded time
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(case=strategy)
    def run(case):
        call(case)

    run()


def contract_failures(base_url: str, token: str, objects: dict) -> tuple[list[str], int]:
    """Every operation in every mode; returns the failures (one per operation and mode) and the count of calls."""
    schema = schemathesis.openapi.from_dict(published_schema())
    session = requests.Session()
    headers = {"Authorization": f"Token {token}"}
    failures, calls = [], 0

    def call(case):
        nonlocal calls
        calls += 1
        case.call_and_validate(base_url=base_url, session=session, headers=headers, checks=CHECKS, timeout=30)

    # Closed afterwards: a kept-alive connection holds a live-server thread and its database session.
    with session:
        for result in schema.get_all_operations():
            _fuzz_operation(result.ok(), objects, call, failures)
    return failures, calls


def _fuzz_operation(operation, objects: dict, call, failures: list[str]) -> None:
    """Each mode of one operation; a failure is recorded with its case and the run goes on."""
    for mode, strategy in _strategies(operation, objects):
        try:
            _fuzz(strategy, call)
        except hypothesis.errors.Unsatisfiable:
            assert mode == "negative", f"{operation.path}: no valid request can be generated"
            # Nothing to get wrong: an operation without parameters or body (e.g. GET /stages/).
        except Exception as failure:  # a check's AssertionError or a transport error, with the case
            failures.append(f"{operation.method.upper()} {operation.path} ({mode}):\n{failure}")


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_operation_keeps_the_published_contract_for_each_persona(
    request, live_server, api_objects, startup_a, persona
):
    user = request.getfixturevalue(persona)
    objects = api_objects[startup_a.pk]
    started = time.monotonic()
    failures, calls = contract_failures(live_server.url, AuthToken.objects.create(user=user)[1], objects)
    elapsed = time.monotonic() - started
    print(f"\n{persona}: {calls} requests, {len(failures)} failures, {elapsed:.0f} s, seed {SEED}, {EXAMPLES} examples")
    assert calls >= 25 * EXAMPLES, f"only {calls} requests were made: did the schema lose its operations?"
    assert not failures, f"{len(failures)} contract failures in {calls} requests ({elapsed:.0f} s):\n\n" + "\n\n".join(
        failures
    )
