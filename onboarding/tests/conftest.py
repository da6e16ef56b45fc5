"""Personas (DESIGN §1) and shared fixtures."""

from __future__ import annotations

import pytest

from onboarding.models.startups import MemberRole
from onboarding.models.users import StaffRole
from portal.celery import app as celery_app

from .factories import ExporterFactory, MemberFactory, StartupFactory, UserFactory, assign

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Unit tests run tasks in-process; integration tests use the real worker instead."""
    eager = request.node.get_closest_marker("integration") is None
    celery_app.conf.task_always_eager = eager
    celery_app.conf.task_eager_propagates = eager
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@programme.example", staff_role=StaffRole.ADMIN, is_staff=True)


@pytest.fixture
def officer(db):
    return UserFactory(email="officer@programme.example", staff_role=StaffRole.OFFICER, is_staff=True)


@pytest.fixture
def startup_a(db):
    return StartupFactory(legal_name="Alpha Exports Private Limited", brand_name="Alpha")


@pytest.fixture
def startup_b(db):
    return StartupFactory(legal_name="Beta Trade Private Limited", brand_name="Beta", state="24")


@pytest.fixture
def manager_a(startup_a):
    return MemberFactory(startup=startup_a, role=MemberRole.MANAGER, user__email="manager@alpha.example").user


@pytest.fixture
def agent_a(startup_a):
    return MemberFactory(startup=startup_a, role=MemberRole.AGENT, user__email="agent@alpha.example").user


@pytest.fixture
def manager_b(startup_b):
    return MemberFactory(startup=startup_b, role=MemberRole.MANAGER, user__email="manager@beta.example").user


@pytest.fixture
def exporter_a(startup_a):
    """An exporter assigned to startup A."""
    return assign(ExporterFactory(legal_name="Alpha Garments LLP"), startup_a)


@pytest.fixture
def exporter_b(startup_b):
    """An exporter assigned to startup B."""
    return assign(ExporterFactory(legal_name="Beta Gems LLP", state="24"), startup_b)


@pytest.fixture
def client_for(client):
    """`client_for(user)`: the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
