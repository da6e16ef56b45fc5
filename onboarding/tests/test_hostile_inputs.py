"""What a security review sent that reached the database: NUL bytes and other control
characters (a 500 on PostgreSQL), and ids written in other scripts' digits ("١٢" taken as 12).

On SQLite a NUL is stored without complaint, so `postgres_refuses_nul` makes every query refuse
a NUL parameter the way PostgreSQL does: these tests fail here as they would in production.
"""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.urls import reverse

from ..control_characters import has_control_characters, validate_plain_text
from ..forms.assignments import AssignForm
from ..models import ConfirmationRequest, Dispute, Exporter, LinkUse, Startup
from ..models.exporter_link import ConfirmationKind
from ..services.exporter_link import exporter_link_get
from .api_client import API, api_for
from .factories import ExporterFactory, StartupFactory

pytestmark = pytest.mark.django_db


def _holds_nul(params) -> bool:
    if isinstance(params, dict):
        params = params.values()
    for param in params or ():
        if isinstance(param, str) and "\x00" in param:
            return True
        if isinstance(param, list | tuple) and _holds_nul(param):
            return True
    return False


@pytest.fixture
def postgres_refuses_nul():
    def refuse(execute, sql, params, many, context):
        if any(_holds_nul(p) for p in params) if many else _holds_nul(params):
            raise ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


# --- The rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a\x00b", "\x01", "esc\x1b[31m", "bell\x07", "del\x7f"])
def test_control_characters_are_refused(text):
    assert has_control_characters(text)
    with pytest.raises(forms.ValidationError, match="invisible control character"):
        validate_plain_text(text)


@pytest.mark.parametrize("text", ["tab\there", "two\nlines", "windows\r\nline", "हिंदी ठीक है", "naïve – café"])
def test_tabs_line_breaks_and_any_script_are_text(text):
    validate_plain_text(text)


def test_text_inside_a_json_value_is_checked_too():
    assert has_control_characters({"note": ["fine", "not\x00fine"]})
    assert not has_control_characters({"note": ["fine"], "count": 3})


def test_every_form_field_refuses_a_control_character_in_what_it_cleans():
    class Plain(forms.Form):
        name = forms.CharField()
        email = forms.EmailField(required=False)
        notes = forms.CharField(widget=forms.Textarea, required=False)

    form = Plain({"name": "Asha\x1b", "notes": "line one\nline two"})
    assert not form.is_valid()
    assert "invisible control character" in form.errors["name"][0]
    assert "notes" not in form.errors  # line breaks are text


# --- The three 500s the review found --------------------------------------------------------


def test_a_nul_in_the_exporter_type_ahead_is_a_400(client_for, manager_a, exporter_a, postgres_refuses_nul):
    response = client_for(manager_a).get(reverse("onboarding:exporter-lookup"), {"q": "ab\x00"})
    assert response.status_code == 400
    assert "invisible control character" in response.json()["error"]


def test_a_nul_in_the_activity_filters_startup_name_is_a_field_error(client_for, officer, postgres_refuses_nul):
    response = client_for(officer).get(reverse("onboarding:activity-list"), {"startup_name": "\x00"})
    assert response.status_code in (200, 400)
    assert b"Null characters are not allowed" in response.content or b"invisible control" in response.content


def test_a_control_character_in_the_activity_filter_is_refused_too(client_for, officer, postgres_refuses_nul):
    response = client_for(officer).get(reverse("onboarding:activity-list"), {"startup_name": "Export\x1bBridge"})
    assert response.status_code in (200, 400)
    assert b"invisible control character" in response.content


@pytest.mark.parametrize("comment", ["No call yet\x00", "No call\x1b yet"])
def test_a_status_page_comment_with_a_control_character_is_refused_and_nothing_written(
    client, exporter_a, comment, postgres_refuses_nul
):
    url = reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter_a).token()])
    response = client.post(url, {"action": "no_contact", "comment": comment}, follow=True)
    assert response.status_code == 200
    assert "hidden character that cannot be saved" in response.content.decode()
    assert not ConfirmationRequest.objects.filter(kind=ConfirmationKind.NO_CONTACT).exists()


def test_a_dispute_note_with_a_nul_is_a_field_error(officer, exporter_a):
    from ..services.disputes import dispute_resolve
    from ..services.exporter_link import exporter_report_no_contact

    flag = exporter_report_no_contact(link=exporter_link_get(exporter=exporter_a), comment="Nobody called")
    dispute = Dispute.objects.get(confirmation=flag)
    with pytest.raises(forms.ValidationError) as refusal:
        dispute_resolve(actor=officer, dispute=dispute, note="checked\x00")
    assert "note" in refusal.value.message_dict
    dispute.refresh_from_db()
    assert dispute.resolved_at is None


@pytest.mark.parametrize("name", ["Asha\x00", "Asha\x1b"])
def test_the_api_refuses_a_control_character_in_a_json_body(officer, exporter_a, name, postgres_refuses_nul):
    response = api_for(officer).patch(f"{API}/exporters/{exporter_a.pk}/", {"contact_name": name}, format="json")
    assert response.status_code == 400
    exporter_a.refresh_from_db()
    assert exporter_a.contact_name != name


def test_an_api_list_filter_with_a_nul_is_a_400(officer, postgres_refuses_nul):
    for query in ("search=ab%00", "stage=%00", "startup_name=%00"):
        response = api_for(officer).get(f"{API}/exporters/?{query}")
        assert response.status_code in (200, 400), query


# --- Ids in ASCII digits only --------------------------------------------------------------


def test_an_id_in_arabic_indic_digits_is_not_taken_as_twelve(client_for, admin_user, exporter_a):
    startups = [StartupFactory() for _ in range(13)]
    twelve = Startup.objects.get(pk=12) if Startup.objects.filter(pk=12).exists() else startups[-1]
    form = AssignForm({"startup": "١٢", "reason": "moving"}, exporter=exporter_a)
    assert not form.is_valid() and "startup" in form.errors
    before = exporter_a.startup_id
    response = client_for(admin_user).post(
        reverse("onboarding:exporter-assign", args=[exporter_a.pk]), {"startup": "١٢", "reason": "moving"}
    )
    assert response.status_code == 200  # the form again, with its error
    exporter_a.refresh_from_db()
    assert exporter_a.startup_id == before != twelve.pk


@pytest.mark.parametrize("junk", ["١٢", "１２", "12 ", "+12", "1_2"])
def test_every_forms_id_field_takes_ascii_digits_only(junk):
    from ..forms.fields import IdModelChoiceField, IdModelMultipleChoiceField

    exporter = ExporterFactory()
    single = IdModelChoiceField(queryset=Exporter.objects.all())
    many = IdModelMultipleChoiceField(queryset=Exporter.objects.all())
    assert single.clean(str(exporter.pk)) == exporter
    assert list(many.clean([str(exporter.pk)])) == [exporter]
    with pytest.raises(forms.ValidationError):
        single.clean(junk)
    with pytest.raises(forms.ValidationError):
        many.clean([junk])


def test_no_form_of_the_project_takes_an_id_through_djangos_own_choice_fields():
    """Django's ModelChoiceField takes "١٢" as 12 (int() reads any script's digits): every
    form here must use the fields that read ASCII digits only."""
    import importlib
    import inspect
    import pkgutil

    from .. import forms as project_forms
    from ..forms.fields import IdModelChoiceField, IdModelMultipleChoiceField

    loose = []
    for module_info in pkgutil.iter_modules(project_forms.__path__):
        module = importlib.import_module(f"{project_forms.__name__}.{module_info.name}")
        for name, form_class in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form_class, forms.BaseForm) or not form_class.__module__.startswith("onboarding"):
                continue
            for field_name, field in form_class.base_fields.items():
                if isinstance(field, forms.ModelChoiceField) and not isinstance(
                    field, IdModelChoiceField | IdModelMultipleChoiceField
                ):
                    loose.append(f"{name}.{field_name}")
    assert loose == []


def test_link_uses_are_untouched_by_refusals_that_never_reach_the_page(client, postgres_refuses_nul):
    response = client.get("/e/not-a-token%00/")
    assert response.status_code == 404
    assert not LinkUse.objects.exists()
