"""Names people type are shown as text on every page, and every page runs under a strict
Content-Security-Policy with the other security headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..models import Commission, ImportBatch, OutboxMessage, Stage, Startup, User
from ..models.imports import ImportStatus
from ..models.outbox import MessageKind
from ..services.assignments import exporter_assign
from ..services.commissions import commission_approve
from ..services.progress import activity_log, stage_event_reject, stage_event_submit
from .factories import ExporterFactory, assign, checklist_files, commission_rule, stage
from .test_hostile_input import onboarding_routes

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, ATTRIBUTE)


@pytest.fixture
def hostile(auto_contact, admin_user, officer, manager_a, agent_a, startup_a, startup_b, manager_b):
    """Startup A, its people and its exporters named with markup, with work, evidence, a
    rejection, a paid commission, an import and a reminder carrying it too."""
    Startup.objects.filter(pk=startup_a.pk).update(brand_name=SCRIPT, legal_name=ATTRIBUTE, city=SCRIPT)
    User.objects.filter(pk__in=[manager_a.pk, agent_a.pk]).update(first_name=SCRIPT, last_name=ATTRIBUTE)
    Stage.objects.filter(code="first_order").update(name=SCRIPT)
    startup_a.refresh_from_db()
    agent_a.refresh_from_db()
    commission_rule("contacted", "500.00")
    exporters = []
    for n in range(2):
        exporter = ExporterFactory(legal_name=f"{SCRIPT} {n}", trade_name=ATTRIBUTE, district=SCRIPT)
        exporter_assign(actor=admin_user, exporter=exporter, startup=startup_a, why=ATTRIBUTE)
        exporter.refresh_from_db()
        activity_log(
            actor=agent_a, exporter=exporter, kind="call", occurred_at=timezone.now(), note=SCRIPT, outcome="reached"
        )
        exporters.append(exporter)
    documents = stage("documents_collected")
    rejected = stage_event_submit(
        actor=agent_a,
        exporter=exporters[0],
        stage=documents,
        evidence={"note": SCRIPT},
        checklist=checklist_files("documents_collected"),
    )
    stage_event_reject(actor=officer, event=rejected, note=ATTRIBUTE)
    waiting = stage_event_submit(
        actor=agent_a,
        exporter=exporters[1],
        stage=documents,
        evidence={"note": ATTRIBUTE},
        checklist=checklist_files("documents_collected"),
    )
    commission = Commission.objects.filter(exporter=exporters[0]).get()
    commission_approve(actor=admin_user, commission=commission)
    # Paid through a run in real life; the hostile reference is written as it stands.
    Commission.objects.filter(pk=commission.pk).update(status="paid", payment_reference=ATTRIBUTE)
    Commission.objects.filter(exporter=exporters[1]).update(note=SCRIPT)
    batch = ImportBatch.objects.create(
        file_name=f"{SCRIPT}.csv",
        uploaded_by=admin_user,
        status=ImportStatus.PREVIEW,
        total_rows=1,
        error_count=1,
        errors=[{"row": 2, "column": ATTRIBUTE, "value": SCRIPT, "message": ATTRIBUTE}],
        message=SCRIPT,
    )
    OutboxMessage.objects.create(
        kind=MessageKind.STALLED_DIGEST,
        recipient=manager_a,
        startup=startup_a,
        period_key="2026-11-30",
        subject=SCRIPT,
        last_error=ATTRIBUTE,
    )
    member = startup_a.members.get(user=agent_a)
    return {
        "exporter": exporters[0].pk,
        "startup": startup_a.pk,
        "batch": batch.pk,
        "event": waiting.pk,
        "commission": commission.pk,
        "member": member.pk,
        "exporters": exporters,
    }


def argument_for(name: str, objects: dict) -> int:
    if name.startswith("startup-"):
        return objects["startup"]
    if name.startswith("exporter-import"):
        return objects["batch"]
    if name.startswith("review-"):
        return objects["event"]
    if name.startswith("commission-"):
        return objects["commission"]
    if name.startswith("team-"):
        return objects["member"]
    return objects["exporter"]


def page_urls(objects: dict) -> list[str]:
    urls = []
    for name, arguments in onboarding_routes():
        word = "csv" if "template" in name else "approve"
        kwargs = {key: argument_for(name, objects) if is_int else word for key, is_int in arguments}
        urls.append(reverse(f"onboarding:{name}", kwargs=kwargs))
    startup = objects["startup"]
    urls += [f"/board/?startup={startup}", f"/commissions/?startup={startup}", f"/activities/?startup={startup}"]
    urls += [f"/exporters/?startup={startup}", f"/outbox/?startup={startup}", "/?mine=1"]
    return urls


def unescaped(body: str) -> list[str]:
    return [payload for payload in PAYLOADS if payload in body]


@pytest.mark.parametrize("persona", ["admin_user", "officer", "manager_a", "agent_a"])
def test_no_page_shows_a_typed_name_as_markup(client_for, request, hostile, persona):
    client = client_for(request.getfixturevalue(persona))
    pages, failures = 0, []
    for url in page_urls(hostile):
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages += 1
            if found := unescaped(response.content.decode()):
                failures.append((url, found))
    assert pages >= 15  # the walk reached real pages, not only refusals
    assert failures == []


def test_the_names_do_appear_escaped(client_for, admin_user, hostile):
    """The walk above would pass on pages that show nothing: the names are there, as text."""
    page = client_for(admin_user).get(reverse("onboarding:exporter-detail", args=[hostile["exporter"]]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page.content.decode()


def test_the_reassign_help_text_escapes_the_startup_name(client_for, admin_user, hostile):
    url = reverse("onboarding:exporter-assign", args=[hostile["exporter"]])
    page = client_for(admin_user).get(url).content.decode()
    assert "Required: &lt;script&gt;alert(1)&lt;/script&gt; loses this exporter." in page
    assert SCRIPT not in page


def test_messages_after_actions_escape_names(client_for, admin_user, agent_a, hostile):
    exporter = hostile["exporters"][1]
    log = reverse("onboarding:exporter-log-work", args=[exporter.pk])
    when = timezone.localtime() - timezone.timedelta(hours=1)
    data = {
        "kind": "visit",
        "outcome": "reached",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "note": SCRIPT,
    }
    response = client_for(agent_a).post(log, data, follow=True)
    # The exporter is shown by its trade name, the attribute-breaking payload.
    assert "Logged: visit with &quot;&gt;&lt;img src=x onerror=alert(1)&gt;." in response.content.decode()
    assert unescaped(response.content.decode()) == []
    other = assign(ExporterFactory(legal_name=ATTRIBUTE), Startup.objects.exclude(pk=hostile["startup"]).get())
    move = reverse("onboarding:exporter-assign", args=[other.pk])
    response = client_for(admin_user).post(move, {"startup": hostile["startup"], "reason": SCRIPT}, follow=True)
    assert response.status_code == 200 and unescaped(response.content.decode()) == []


# --- Headers ------------------------------------------------------------------------------


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_pages_carry_a_strict_content_security_policy(client_for, officer):
    response = client_for(officer).get(reverse("onboarding:home"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_pages_carry_the_other_security_headers(client_for, officer):
    response = client_for(officer).get(reverse("onboarding:exporter-list"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in response["Permissions-Policy"]


def test_the_sign_in_page_has_the_policy_too(client):
    response = client.get(reverse("login"))
    assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert "Permissions-Policy" in response


@pytest.mark.parametrize("path", ["/admin/", "/api/docs/"])
def test_third_party_pages_allow_inline_styles_but_never_inline_scripts(client_for, admin_user, path):
    response = client_for(admin_user).get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


def test_the_api_docs_load_their_set_up_script_as_a_file(client_for, admin_user):
    page = client_for(admin_user).get("/api/docs/").content.decode()
    script = re.search(r'<script src="(/api/docs/\?[^"]+)"', page)
    assert script, "Swagger UI's set-up script is not a separate file"
    assert not re.search(r"<script>\s*\S", page)
    response = client_for(admin_user).get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and "/api/schema/" in response.content.decode()


def test_production_sends_hsts_for_a_year_with_subdomains():
    """portal/settings.py turns HSTS on whenever DEBUG is off outside tests; check the values it sets."""
    source = (Path(settings.BASE_DIR) / "portal" / "settings.py").read_text()
    assert 'SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)' in source
    assert "SECURE_HSTS_INCLUDE_SUBDOMAINS = True" in source


# --- Templates ----------------------------------------------------------------------------

PAGE_TEMPLATES = [
    path
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
    # Mail clients read emails and WeasyPrint lays out documents: no browser, no CSP.
    if not {"emails", "documents"} & set(path.parts)
]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on…= event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style", re.I), "a <style> block"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_page_templates_hold_no_inline_script_or_style():
    assert len(PAGE_TEMPLATES) > 30
    found = []
    for path in PAGE_TEMPLATES:
        text = path.read_text()
        for pattern, what in INLINE:
            # json_script output is data, not code: <script id="…" type="application/json">.
            if pattern.search(text.replace('type="application/json"', "")):
                found.append(f"{path.relative_to(settings.BASE_DIR)}: {what}")
    assert found == []
