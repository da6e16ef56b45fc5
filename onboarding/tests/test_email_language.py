"""Emails in their reader's language: each is composed in its recipient's `User.language` (an
exporter's preferred language), whatever language the request or worker that caused it runs
in, and one message is one language: subject, text, HTML and dates alike."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from ..models import Exporter, Notification
from ..models.notifications import NotificationKind
from ..models.outbox import MessageKind
from ..services.assignments import exporter_hand_to_agent
from ..services.reminders import reminders_sweep
from .factories import ExporterFactory, assign

IST = ZoneInfo("Asia/Kolkata")
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=IST)
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# Three Latin words in a row make an English sentence (or most of one); data (names, stage
# names, addresses, links) is taken out before looking.
ENGLISH_RUN = re.compile(r"[A-Za-z']+(?:[ ,]+[A-Za-z']+){2,}")
ENGLISH_WORDS = ("Hello", "exporter", "stalled", "Open", "Stop these emails", "Export Onboarding Portal", " for ")


def speaking(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def emails_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def parts(email) -> list[str]:
    """The subject, the text body and the HTML body (tags and entities dropped) of an email."""
    html = re.sub(r"<[^>]+>|&[a-z#0-9]+;", " ", email.alternatives[0][0])
    return [email.subject, email.body, html]


def without_data(text: str, *data: str) -> str:
    """The text with links, addresses and the given names taken out: what is left is the
    email's own words."""
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    for words in sorted({str(d) for d in data if d}, key=len, reverse=True):
        text = text.replace(words, " ")
    return text


def assert_all_hindi(email, *data: str) -> None:
    for part in parts(email):
        words = without_data(part, *data)
        assert DEVANAGARI.search(words), part
        assert not ENGLISH_RUN.search(words), (ENGLISH_RUN.search(words)[0], part)
        for english in ENGLISH_WORDS:
            assert english not in words, (english, part)


def assert_all_english(email, *data: str) -> None:
    for part in parts(email):
        assert not DEVANAGARI.search(without_data(part, *data)), part


def test_a_hindi_speaking_agent_hears_of_an_exporter_handed_to_them_entirely_in_hindi(
    manager_a, agent_a, exporter_a, django_capture_on_commit_callbacks
):
    speaking(agent_a, "hi")
    mail.outbox.clear()
    with translation.override("en-in"), django_capture_on_commit_callbacks(execute=True):
        exporter_hand_to_agent(actor=manager_a, exporter=exporter_a, agent=agent_a)
    [notice] = Notification.objects.filter(recipient=agent_a, kind=NotificationKind.EXPORTER_HANDED)
    assert notice.title == f"{exporter_a} आपको सौंपा गया"
    [email] = emails_to(agent_a)
    assert email.subject == notice.title
    assert "नमस्ते" in email.body and "यह सूचना पोर्टल की घंटी में भी दिखती है।" in email.body
    place = exporter_a.district or exporter_a.state_name
    assert_all_hindi(email, exporter_a, exporter_a.legal_name, manager_a, agent_a.first_name, place)


@pytest.mark.time_machine(MONDAY_9AM, tick=False)
def test_a_hindi_speaking_agents_stalled_reminder_is_in_hindi_with_its_date_in_hindi(
    startup_a, manager_a, agent_a, django_capture_on_commit_callbacks
):
    speaking(agent_a, "hi")
    exporter = assign(ExporterFactory(legal_name="Kaveri Silks"), startup_a)
    Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=MONDAY_9AM - timedelta(days=30), agent=agent_a)
    mail.outbox.clear()
    with time_machine.travel(MONDAY_9AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(now=MONDAY_9AM, kinds=(MessageKind.STALLED_DIGEST,))
    [email] = emails_to(agent_a)
    assert email.subject == "Alpha का 1 अटका हुआ निर्यातक: संपर्क करना ज़रूरी है"
    assert "30 नवंबर 2026" in email.body  # the period, a date in Hindi words
    assert "4 सप्ताह, 2 दिन" in email.body.replace("\xa0", " ")  # how long it has waited, in Hindi too
    assert_all_hindi(email, exporter, exporter.current_stage, startup_a, agent_a.first_name, "Stalled exporters digest")
    # The manager reads English: the same sweep, the same exporter, an English email.
    [english] = emails_to(manager_a)
    assert english.subject == "1 stalled exporter at Alpha needs a follow-up"
    assert "(30 Nov 2026)" in english.body and "4 weeks, 2 days" in english.body.replace("\xa0", " ")
    assert_all_english(english)


def test_an_english_managers_email_stays_english_when_the_request_that_caused_it_ran_in_hindi(
    client_for, manager_a, agent_a, exporter_a, django_capture_on_commit_callbacks
):
    speaking(manager_a, "hi")
    mail.outbox.clear()
    client = client_for(manager_a)
    with django_capture_on_commit_callbacks() as sends:
        response = client.post(
            reverse("onboarding:exporter-hand-to-agent", args=[exporter_a.pk]), {"agent": agent_a.pk}
        )
    assert response.status_code == 302 and sends
    assert response.headers["Content-Language"] == "hi"  # the manager's request ran in Hindi
    with translation.override("hi"):  # and so does whatever runs the sends (a worker would too)
        for send in sends:
            send()
        assert translation.get_language() == "hi"
    [email] = emails_to(agent_a)
    assert email.subject == f"{exporter_a} is handed to you"
    assert "Hello" in email.body and "You see this notification in the portal's bell too." in email.body
    assert_all_english(email)


def test_one_message_is_one_language_for_each_of_two_readers_of_the_same_event(
    manager_a, agent_a, exporter_a, startup_a, django_capture_on_commit_callbacks
):
    from ..services.notifications import notify

    speaking(manager_a, "hi")
    mail.outbox.clear()
    with translation.override("hi"), django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[manager_a, agent_a],
            kind=NotificationKind.EXPORTERS_ASSIGNED,
            title=lambda: (
                translation.ngettext(
                    "%(count)s new exporter assigned to your startup",
                    "%(count)s new exporters assigned to your startup",
                    2,
                )
                % {"count": 2}
            ),
            event_key="language-test",
            startup_id=startup_a.pk,
        )
    [hindi] = emails_to(manager_a)
    [english] = emails_to(agent_a)
    assert hindi.subject == "आपके स्टार्टअप को 2 नए निर्यातक सौंपे गए"
    assert english.subject == "2 new exporters assigned to your startup"
    assert_all_hindi(hindi, manager_a.first_name)
    assert_all_english(english)
