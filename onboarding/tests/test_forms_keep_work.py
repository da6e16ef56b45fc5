"""Forms that keep work: a valid file survives another field's error (and a second sending
uses it), Django's default messages are said in plain words that say what to do, and a
stage's description does not run into the next sentence."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from ..forms.kept_uploads import FOLDER, kept_uploads_sweep
from ..models import Activity, Stage
from .factories import upload

pytestmark = pytest.mark.django_db


def _log_url(exporter) -> str:
    return reverse("onboarding:exporter-log-work", args=[exporter.pk])


def _work(**more) -> dict:
    return {"kind": "training", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), **more}


def _kept_token(html: str) -> str:
    return re.search(r'name="attachment__kept" value="([^"]+)"', html).group(1)


def test_a_valid_file_is_kept_when_another_field_fails_and_used_on_the_next_sending(client_for, agent_a, exporter_a):
    client = client_for(agent_a)
    response = client.post(_log_url(exporter_a), _work(duration_minutes="0", attachment=upload("proof.pdf")))
    assert response.status_code == 200 and not Activity.objects.exists()
    html = response.content.decode()
    assert "Kept: proof.pdf (choose another to replace it)" in html
    token = _kept_token(html)
    # Sent again with the mistake put right and no file chosen: the kept file goes with it.
    response = client.post(_log_url(exporter_a), _work(duration_minutes="30", attachment__kept=token))
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.attachment_name == "proof.pdf" and activity.attachment.read().startswith(b"%PDF")
    assert not default_storage.listdir(FOLDER)[1] and all(
        not default_storage.listdir(f"{FOLDER}/{d}")[1] for d in default_storage.listdir(FOLDER)[0]
    )  # the kept copy is gone once used


def test_a_new_file_replaces_the_kept_one(client_for, agent_a, exporter_a):
    client = client_for(agent_a)
    first = client.post(_log_url(exporter_a), _work(duration_minutes="0", attachment=upload("old.pdf")))
    data = _work(duration_minutes="5", attachment__kept=_kept_token(first.content.decode()))
    client.post(_log_url(exporter_a), {**data, "attachment": upload("new.pdf")})
    assert Activity.objects.get().attachment_name == "new.pdf"


def test_a_forged_or_foreign_token_is_ignored(client_for, agent_a, exporter_a):
    response = client_for(agent_a).post(
        _log_url(exporter_a), _work(duration_minutes="5", attachment__kept="kept-uploads/../../etc/passwd")
    )
    assert response.status_code == 302
    assert not Activity.objects.get().attachment


def test_kept_copies_nobody_sent_again_are_swept_after_a_day(client_for, agent_a, exporter_a):
    client_for(agent_a).post(_log_url(exporter_a), _work(duration_minutes="0", attachment=upload("proof.pdf")))
    assert kept_uploads_sweep() == 0
    assert kept_uploads_sweep(now=timezone.now() + timezone.timedelta(days=2)) == 1


def test_django_default_messages_say_what_to_do(client_for, agent_a, exporter_a):
    response = client_for(agent_a).post(_log_url(exporter_a), {"kind": "nonsense", "duration_minutes": "0"})
    errors = response.context["form"].errors
    assert errors["duration_minutes"] == ["Minutes must be between 1 and 1,440"]
    assert errors["kind"] == ["Choose an answer to “What did you do?” from the list"]
    assert errors["occurred_at"] == ["Say when"]
    body = response.content.decode()
    assert "Ensure this value" not in body and "This field is required" not in body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (forms.IntegerField(label="Count", min_value=0), "-1", "Count must be 0 or more"),
        (forms.IntegerField(label="Count", max_value=9), "10", "Count must be 9 or less"),
        (forms.IntegerField(label="Count"), "ten", "Enter the count as a whole number, like 30"),
        (forms.CharField(label="Reference", max_length=3), "ABCD", "Reference must be 3 characters or fewer; it has 4"),
        (forms.CharField(label="Note"), "", "Enter the note"),
        (forms.ChoiceField(label="State", choices=[("27", "Maharashtra")]), "99", "Choose the state from the list"),
        (forms.DateField(label="Date"), "31/31/2026", "Enter the date as a real date, like 2026-11-30"),
        (forms.FileField(label="Catalogue"), None, "Choose the catalogue to upload"),
        (forms.URLField(label="Link"), "not a link", "Enter the link as a web address, like https://example.com/page"),
    ],
)
def test_every_kind_of_default_message_is_rewritten(field, value, message):
    form = type("F", (forms.Form,), {"x": field})({"x": value} if value is not None else {})
    assert form.errors["x"] == [message]


def test_a_message_a_form_wrote_itself_is_kept():
    field = forms.CharField(label="Note", error_messages={"required": "Write what happened on the call."})
    form = type("F", (forms.Form,), {"x": field})({})
    assert form.errors["x"] == ["Write what happened on the call."]


def test_a_stage_description_does_not_run_into_the_next_sentence(client_for, agent_a, exporter_a):
    stage = exporter_a.next_stage(list(Stage.objects.ordered()))
    Stage.objects.filter(pk=stage.pk).update(description="Product catalogue received", auto_approve=False)
    body = client_for(agent_a).get(reverse("onboarding:exporter-submit-stage", args=[exporter_a.pk])).content.decode()
    assert "Product catalogue received</p>" in body
    assert "received A programme officer" not in body
