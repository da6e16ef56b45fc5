"""The language switch: a visitor's choice kept in a cookie, a signed-in person's saved on the
account (so it follows them to another phone), and Hindi dates and Indian grouping."""

from datetime import date

import pytest
from django.contrib.admin.models import LogEntry
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from ..services.progress import exporter_set_stage
from .conftest import PASSWORD, PortalClient
from .factories import ExporterFactory, stage

pytestmark = pytest.mark.django_db

SWITCH = reverse("onboarding:language")


def test_the_sign_in_page_offers_hindi_and_shows_itself_in_hindi_once_chosen(client):
    page = client.get(reverse("login")).content.decode()
    assert 'name="language" value="hi"' in page and 'lang="hi">हिन्दी</button>' in page
    response = client.post(SWITCH, {"language": "hi", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert response.cookies["django_language"].value == "hi"
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="hi">' in page
    assert "सीधे मुख्य सामग्री पर जाएँ" in page and "पोर्टल अब हिन्दी में है।" in page
    assert 'value="en-in" lang="en">English</button>' in page


def test_a_signed_in_persons_language_is_saved_on_the_account_and_follows_them_to_another_phone(client_for, agent_a):
    client = client_for(agent_a)
    client.post(SWITCH, {"language": "hi", "next": reverse("onboarding:home")})
    agent_a.refresh_from_db()
    assert agent_a.language == "hi"
    assert LogEntry.objects.filter(object_id=str(agent_a.pk), change_message__contains="language").count() == 1

    other_phone = PortalClient()  # no cookie, a browser asking for English
    other_phone.force_login(agent_a)
    page = other_phone.get(reverse("onboarding:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="hi">' in page and "साइन आउट करें" in page


def test_a_person_who_never_chose_keeps_the_language_of_their_phone_from_their_first_sign_in(agent_a):
    assert agent_a.reads == "en-in"  # never signed in: emails in the portal's default
    phone = PortalClient()
    response = phone.post(
        reverse("login"), {"username": agent_a.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9"
    )
    assert response.status_code == 302
    agent_a.refresh_from_db()
    assert agent_a.language == "hi" and agent_a.reads == "hi"
    # A later sign-in from an English browser keeps the account's choice.
    laptop = PortalClient()
    laptop.post(reverse("login"), {"username": agent_a.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en-GB")
    agent_a.refresh_from_db()
    assert agent_a.language == "hi"
    assert '<html lang="hi">' in laptop.get(reverse("onboarding:home"), HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()


def test_switching_back_to_english_shows_english_and_says_so(client_for, agent_a):
    agent_a.language = "hi"
    agent_a.save(update_fields=["language"])
    client = client_for(agent_a)
    client.post(SWITCH, {"language": "en-in", "next": reverse("onboarding:home")})
    page = client.get(reverse("onboarding:home")).content.decode()
    assert '<html lang="en-in">' in page and "The portal is now in English." in page


def test_an_unknown_language_changes_nothing_and_says_what_to_choose(client_for, agent_a):
    client = client_for(agent_a)
    response = client.post(SWITCH, {"language": "fr", "next": reverse("onboarding:home")}, follow=True)
    agent_a.refresh_from_db()
    assert agent_a.language == "" and "django_language" not in response.cookies
    assert "Choose English or हिन्दी." in response.content.decode()
    assert not LogEntry.objects.filter(object_id=str(agent_a.pk), change_message__contains="language").exists()


def test_the_switch_never_sends_anyone_to_another_site(client):
    response = client.post(SWITCH, {"language": "hi", "next": "https://evil.example/phish"})
    assert response["Location"] == reverse("onboarding:home")
    response = client.post(SWITCH, {"language": "hi", "next": "//evil.example/"})
    assert response["Location"] == reverse("onboarding:home")


def test_the_switch_refuses_a_get_and_a_post_from_another_site():
    assert PortalClient().get(SWITCH + "?language=hi").status_code == 405
    forged = PortalClient(enforce_csrf_checks=True).post(SWITCH, {"language": "hi"})
    assert forged.status_code == 403 and "django_language" not in forged.cookies


def test_hindi_dates_use_hindi_month_names_and_numbers_keep_indian_grouping():
    template = Template('{% load humanize %}{{ day|date:"j M Y" }}|{{ day|date }}|{{ n|intcomma }}|{{ big|intcomma }}')
    context = Context({"day": date(2026, 11, 30), "n": 519500, "big": 10000000})
    with translation.override("hi"):
        assert template.render(context) == "30 नवंबर 2026|30 नवंबर 2026|5,19,500|1,00,00,000"
    with translation.override("en-in"):
        assert template.render(context) == "30 Nov 2026|30 Nov 2026|5,19,500|1,00,00,000"
    with translation.override("hi"):
        months = Template('{% for d in days %}{{ d|date:"M" }} {% endfor %}').render(
            Context({"days": [date(2026, m, 1) for m in (9, 11, 12)]})
        )
    assert months == "सितंबर नवंबर दिसंबर "


def test_the_api_answers_in_english_whatever_the_caller_asks(client_for, agent_a):
    agent_a.language = "hi"
    agent_a.save(update_fields=["language"])
    client = client_for(agent_a)
    response = client.get("/api/v1/exporters/?page=999", HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 404 and response["Content-Language"] == "en-in"
    assert response.json()["detail"] == "Invalid page."


def test_what_the_database_keeps_stays_in_english_when_written_from_a_hindi_page(admin_user, exporter_a):
    with translation.override("hi"):
        event = exporter_set_stage(
            actor=admin_user, exporter=exporter_a, stage=stage("storefront_live"), reason="कॉल पर पुष्टि हुई"
        )
        assert str(event.stage) == "स्टोरफ़्रंट चालू"  # shown in Hindi
    assert event.note == "Stage set by an admin from Assigned to Storefront live."  # kept in English


def test_a_choice_is_shown_in_the_language_of_the_moment_it_is_shown_and_an_unknown_one_as_stored(db):
    """get_FOO_display keeps each field's labels untranslated (models/choice_labels.py): the same
    exporter reads "Active", then "सक्रिय", then "Active" again; a value outside the choices
    is shown as stored, as Django's own method does."""
    exporter = ExporterFactory.build(status="active")
    with translation.override("en-in"):
        assert exporter.get_status_display() == "Active"
    with translation.override("hi"):
        assert exporter.get_status_display() == "सक्रिय"
    with translation.override("en-in"):
        assert exporter.get_status_display() == "Active"
    exporter.status = "archived"
    assert exporter.get_status_display() == "archived"
