"""The API keeps the contract it publishes at /api/schema/: schemathesis generates requests from
the schema (valid ones and invalid ones) for every operation, as each persona, against the live
test server, and every response must be a documented status with a body matching its schema,
never a server error; a valid request must not be refused with a 400, nor an invalid one
accepted (schemathesis' positive_data_acceptance and negative_data_rejection, see CHECKS_CONFIG).

Bounded for the test command: API_CONTRACT_EXAMPLES requests per operation and mode (default 5),
from a fixed seed (API_CONTRACT_SEED) so a failure reproduces. The held-out run is the same test
with other seeds and more examples, on PostgreSQL, and finds nothing either: seeds 1, 7 and 42
with 10 examples (`API_CONTRACT_SEED=7 API_CONTRACT_EXAMPLES=10 scripts/test.sh -q <this file>`).

No persona can destroy what its own run relies on: the API has no DELETE, tokens are only
revoked from the account page, and the token endpoint's failed sign-ins lock out the fuzzed
usernames, never the persona's token. Each persona's run starts from a fresh database.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import string
import time

import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.generators import SchemaGenerator
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from onboarding.filters import parse_id
from onboarding.management import demo
from onboarding.models import Exporter, Sector, Startup
from onboarding.reference import GSTIN_ONLY_STATES, STATES
from onboarding.validators import PAN_HOLDER_TYPES, compact, gstin_check_character

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("API_CONTRACT_EXAMPLES", "5"))
SEED = int(os.environ.get("API_CONTRACT_SEED", "20261130"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]
# What counts as the API *judging the data* (a 400) and what does not: a request the schema calls
# valid may still meet a persona who may not do it (403), an id that does not exist (404), an
# object whose state forbids it now (409) or a throttle (429), none of which refuses the data; a
# server error is `not_a_server_error`'s to report. A request the schema calls invalid must be
# refused, whatever the reason it is refused first (an unknown id's 404 or a role's 403 included).
CHECKS_CONFIG = {
    "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "429", "5xx"]},
    "negative_data_rejection": {
        "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "415", "429", "5xx"]
    },
}
PERSONAS = ["admin_user", "officer", "manager_a", "agent_a"]


# Where a body's schema cannot call a request acceptable, a 400 for a valid-looking one is no
# contract failure (negative data must still be refused): which evidence a claim needs is decided
# by the exporter's next stage (GET /api/v1/stages/ lists each stage's fields and documents), not
# by the body (test_api_progress.py holds each rule); and the token endpoint answers a well-formed
# sign-in with unknown credentials with a 400, as schemathesis itself allows for an operation
# that grants credentials (this API's token scheme has no `tokenUrl` to tell it so).
STATE_DEPENDENT_BODIES = {("POST", "/api/v1/stage-events/"), ("POST", "/api/v1/auth/token/")}


def _judged_by_state(case, check) -> bool:
    return check is positive_data_acceptance and (case.method.upper(), case.operation.path) in STATE_DEPENDENT_BODIES


def published_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (the same generator), as plain JSON."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def _own_id(path: str, objects: dict) -> int | None:
    """An id of the persona's own startup's object for `/api/v1/<resource>/{id}/…`, so that the
    object routes are exercised on a real object as well as on generated (mostly unknown) ids."""
    resource = path.split("/")[3]
    return objects.get(resource)


def _gstin() -> st.SearchStrategy[str]:
    """Valid GSTINs for the schema's `format: gstin`: a pattern states all but the check character."""
    state = st.sampled_from(sorted({*STATES, *GSTIN_ONLY_STATES}))
    letters = st.text(string.ascii_uppercase, min_size=1, max_size=1)
    holder = st.sampled_from(sorted(PAN_HOLDER_TYPES))
    serial = st.integers(1, 9999).map("{:04d}".format)
    entity = st.sampled_from("123456789" + string.ascii_uppercase)
    body = st.tuples(state, letters, letters, letters, holder, letters, serial, letters, entity).map(
        lambda parts: "".join(parts) + "Z"
    )
    return body.map(lambda first14: first14 + gstin_check_character(first14))


schemathesis.openapi.format("gstin", _gstin())


def _stored(model, path_parameters: dict, field: str) -> str:
    found = parse_id(path_parameters.get("id")) if path_parameters else None
    return (model.objects.filter(pk=found).values_list(field, flat=True).first() or "") if found else ""


# What must be unique among registered objects (a 400 naming the field when it is not).
UNIQUE = {"exporters": (Exporter, ("gstin",)), "startups": (Startup, ("gstin", "dpiit_number"))}
_FRESH = itertools.count(700_000)


def _fresh_where_unique(body: dict, resource: str, path_parameters: dict) -> None:
    model, fields = UNIQUE[resource]
    others = model.objects.exclude(pk=parse_id((path_parameters or {}).get("id")) or 0)
    for field in fields:
        value = compact(body.get(field))
        taken = value and others.filter(**{field: value}).exists()
        if field == "gstin" and value and resource == "exporters":
            taken = taken or others.filter(pan=value[2:12], state=value[:2]).exists()  # one firm per state
        if taken and field == "gstin":
            body[field] = demo.gstin_for(value[:2], demo.pan_for(next(_FRESH), "F"))
        elif taken:
            body[field] = f"DIPP{next(_FRESH)}"


def _within_unstated_rules(case, objects: dict):
    """A schema-valid request made to keep the rules a JSON schema cannot state, so that a 400 for a
    valid request is a contract failure and never noise (each rule is stated in its field's
    description and tested in test_api_*.py): an `exporter` in a body (or the one `exporter_search`
    names) must be one the persona can see, its own; `sectors` must exist; work is not logged in
    the future; a GSTIN, PAN per state or DPIIT number is not one already registered; a GSTIN
    decides its state and PAN (a startup's GSTIN is one of its state); a dropped exporter
    needs a reason."""
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return case
    if "exporter" in body:
        body["exporter"] = objects["exporters"]
    if "exporter_search" in body:
        body["exporter_search"] = Exporter.objects.get(pk=objects["exporters"]).gstin
    if isinstance(body.get("sectors"), list):
        body["sectors"] = list(Sector.objects.order_by("pk").values_list("pk", flat=True)[: len(body["sectors"])])
    when = body.get("occurred_at")
    if isinstance(when, str) and (parsed := parse_datetime(when)) and parsed > timezone.now():
        body["occurred_at"] = timezone.now().isoformat()
    resource = case.operation.path.split("/")[3]
    if resource in UNIQUE and case.method.upper() != "GET":
        _fresh_where_unique(body, resource, case.path_parameters)
    if resource == "exporters" and case.method.upper() != "GET":
        gstin = compact(body.get("gstin")) or _stored(Exporter, case.path_parameters, "gstin")
        if gstin:
            body["state"], body["pan"] = gstin[:2], gstin[2:12]
        if body.get("status") == "dropped" and not body.get("status_reason"):
            body["status_reason"] = "Closed the business"
    if resource == "startups" and case.method.upper() != "GET":
        gstin = compact(body.get("gstin")) if "gstin" in body else _stored(Startup, case.path_parameters, "gstin")
        if gstin and gstin[:2] in STATES:
            body["state"], body["pan"] = gstin[:2], gstin[2:12]
        elif gstin:
            body["gstin"] = ""  # a GSTIN-only state code (97, 99) is no startup's state
    return case


def _strategies(operation, objects: dict):
    keep = functools.partial(_within_unstated_rules, objects=objects)
    yield "positive", operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(keep)
    yield "negative", operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    own = _own_id(operation.path, objects) if "{id}" in operation.path else None
    if own is not None:
        yield "own object", operation.as_strategy(path_parameters={"id": own}).map(keep)


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
    schema = schemathesis.openapi.from_dict(
        published_schema(), config=schemathesis.Config.from_dict({"checks": CHECKS_CONFIG})
    )
    session = requests.Session()
    headers = {"Authorization": f"Token {token}"}
    failures, calls = [], 0

    def call(case):
        nonlocal calls
        calls += 1
        checks = [check for check in CHECKS if not _judged_by_state(case, check)]
        case.call_and_validate(base_url=base_url, session=session, headers=headers, checks=checks, timeout=30)

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
        # A check's AssertionError, several checks' FailureGroup (a BaseExceptionGroup, not an
        # Exception), or a transport error, with the case.
        except (Exception, FailureGroup) as failure:
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
