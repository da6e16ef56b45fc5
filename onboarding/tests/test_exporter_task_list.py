"""The exporter's page as a task list (issue 29, point 5): steps worded as tasks with their state,
the next action first, answered questions shown as answered, who answers the call; and the
short link staff share (by copy, QR code or WhatsApp), an alias that dies with the long one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ..models import ConfirmationRequest, Exporter, ExporterLink, Stage
from ..models.activities import ActivityKind
from ..models.exporter_link import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH, Answer, ConfirmationKind
from ..services.assignments import exporter_hand_to_agent, exporter_reassign, exporters_assign_bulk
from ..services.exporter_link import exporter_link_get, exporter_link_rotate, exporter_opt_out
from ..services.progress import activity_log
from .factories import ExporterFactory, assign, reached_if_contact

pytestmark = pytest.mark.django_db

# A step of the list: its state (the <li>'s class), its words, its tags.
STEP = re.compile(r'<li class="(\w+)"[^>]*>([^<]+?) <span class="tag \w+">([^<]+)</span>(?: <span class="tag now">)?')


def long_url(exporter) -> str:
    return reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter).token()])


def short_url(exporter) -> str:
    return reverse("onboarding:exporter-status-short", args=[exporter_link_get(exporter=exporter).short_code])


def page(client, exporter, lang="en") -> str:
    response = client.get(short_url(exporter), {"lang": lang})
    assert response.status_code == 200
    return response.content.decode()


def steps_of(body: str) -> list[tuple[str, str, str]]:
    """(state, task, tag) of each step in the list, in order."""
    listing = body.split('<ol class="steps">')[1].split("</ol>")[0]
    return [(state, name.strip(), tag) for state, name, tag in STEP.findall(listing)]


def visit(exporter, user) -> ConfirmationRequest:
    activity = activity_log(
        actor=user,
        exporter=exporter,
        kind=ActivityKind.VISIT,
        occurred_at=timezone.now() - timedelta(hours=3),
        note="n",
        outcome=reached_if_contact(ActivityKind.VISIT),
    )
    return activity.confirmations.get()


@pytest.fixture
def at_account(startup_a):
    """An exporter of startup A whose documents are collected: making the account is next."""
    return assign(ExporterFactory(legal_name="Kaveri Spices LLP"), startup_a, stage_code="documents_collected")


# --- Steps as tasks -------------------------------------------------------------------------


def test_the_steps_read_as_tasks_done_in_progress_or_not_started_with_the_next_one_first(client, at_account):
    body = page(client, at_account)
    steps = steps_of(body)
    assert steps[:5] == [
        ("done", "Get a startup to help you", "Done"),
        ("done", "Talk with your startup", "Done"),
        ("done", "Hand over your documents", "Done"),
        ("in_progress", "Make your Alibaba.com account", "In progress"),
        ("not_started", "Start your paid membership", "Not started"),
    ]
    assert all(state == "not_started" for state, _task, _tag in steps[4:])
    next_step = body.index("<strong>Next step:</strong> Make your Alibaba.com account")
    assert next_step < body.index('<ol class="steps">')
    assert "account is made" not in body


def test_the_steps_read_as_tasks_in_plain_hindi_and_never_as_already_done(client, at_account):
    body = page(client, at_account, lang="hi")
    steps = steps_of(body)
    assert steps[2] == ("done", "अपने दस्तावेज़ देना", "पूरा")
    assert steps[3] == ("in_progress", "Alibaba.com खाता बनाना", "चल रहा है")
    assert steps[4] == ("not_started", "सदस्यता (पेड मेंबरशिप) शुरू करना", "शुरू नहीं हुआ")
    assert "<strong>अगला कदम:</strong> Alibaba.com खाता बनाना" in body
    assert "खाता बन गया" not in body  # the wording that read as already made


@pytest.mark.parametrize("code", ["assigned", "contacted", "storefront_live", "first_inquiry"])
def test_the_now_tag_sits_only_on_the_step_in_progress_never_on_a_done_one(client, startup_a, code):
    exporter = assign(ExporterFactory(), startup_a, stage_code=code)
    body = page(client, exporter)
    now_steps = re.findall(
        r'<li class="(\w+)"[^>]*>[^<]+<span class="tag \w+">[^<]+</span> <span class="tag now">', body
    )
    assert now_steps == ["in_progress"]
    reached = Stage.objects.get(code=code).order
    orders = [s.order for s in Stage.objects.ordered()]
    following = min(order for order in orders if order > reached)
    expected = ["done" if o <= reached else "in_progress" if o == following else "not_started" for o in orders]
    assert [state for state, _task, _tag in steps_of(body)] == expected


def test_with_every_step_done_no_step_is_tagged_now(client, startup_a):
    last = list(Stage.objects.ordered())[-1]
    exporter = assign(ExporterFactory(), startup_a, stage_code=last.code)
    body = page(client, exporter)
    assert "All steps are done" in body and 'class="tag now"' not in body
    assert {state for state, _task, _tag in steps_of(body)} == {"done"}


def test_a_question_waiting_for_an_answer_is_the_first_thing_on_the_page(client, exporter_a, agent_a):
    visit(exporter_a, agent_a)
    body = page(client, exporter_a)
    assert '<a href="#questions">1 question waits for your answer</a>' in body
    assert body.index("1 question waits") < body.index('aria-labelledby="steps"')
    assert "1 सवाल आपके जवाब का इंतज़ार कर रहा है" in page(client, exporter_a, lang="hi")


# --- Answered questions ---------------------------------------------------------------------


def test_an_answered_question_shows_what_was_said_and_when_with_the_buttons_behind_change(client, exporter_a, agent_a):
    question = visit(exporter_a, agent_a)
    with time_machine.travel(timezone.make_aware(datetime(2026, 12, 4, 11, 0)), tick=False):
        client.post(short_url(exporter_a), {"action": "answer", "question": question.pk, "answer": "yes"})
        body = page(client, exporter_a)
        hindi = page(client, exporter_a, lang="hi")
    assert "You said: Yes, on 4 Dec 2026" in body
    folded = body.split("<details><summary>Change your answer</summary>")[1].split("</details>")[0]
    assert 'value="yes"' in folded and 'value="no"' in folded
    assert body.count('name="answer" value="yes"') == 1  # nowhere else
    # "Nobody has contacted me" is folded away once the exporter has answered.
    assert "<details><summary>Nobody from the startup has contacted you?</summary>" in body
    assert "waits for your answer" not in body
    assert "आपने कहा: हाँ, 4 दिसंबर 2026 को" in hindi and "<summary>अपना जवाब बदलें</summary>" in hindi


def test_the_answer_can_still_be_changed_through_change_and_opens_a_dispute(client, exporter_a, agent_a):
    question = visit(exporter_a, agent_a)
    url = short_url(exporter_a)
    client.post(url, {"action": "answer", "question": question.pk, "answer": "yes"})
    response = client.post(url, {"action": "answer", "question": question.pk, "answer": "no"}, follow=True)
    assert "your answer is saved" in response.content.decode()
    question.refresh_from_db()
    assert question.answer == Answer.NO and hasattr(question, "dispute")


def test_an_answer_past_its_week_shows_as_answered_with_no_change(client, exporter_a, agent_a):
    question = visit(exporter_a, agent_a)
    client.post(short_url(exporter_a), {"action": "answer", "question": question.pk, "answer": "yes"})
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        body = page(client, exporter_a)
    assert "You said: Yes, on" in body and "Change your answer" not in body


def test_a_standing_no_contact_flag_hides_the_button_which_stays_reachable_through_change(client, exporter_a):
    url = short_url(exporter_a)
    assert "Nobody has contacted me</button>" in page(client, exporter_a)  # in plain sight before
    client.post(url, {"action": "no_contact", "comment": "No call yet"})
    body = page(client, exporter_a)
    assert body.count("Nobody has contacted me</button>") == 1
    folded = body.split("<details><summary>Change your comment</summary>")[1].split("</details>")[0]
    assert "Nobody has contacted me</button>" in folded and "No call yet</textarea>" in folded
    client.post(url, {"action": "no_contact", "comment": "Still nothing"})
    [flag] = ConfirmationRequest.objects.filter(exporter=exporter_a, kind=ConfirmationKind.NO_CONTACT)
    assert flag.comment == "Still nothing"


# --- Who answers the call -------------------------------------------------------------------


def test_the_call_button_says_who_answers_the_agent_by_name_and_role(client, exporter_a, agent_a, manager_a):
    agent_a.first_name, agent_a.last_name = "Asha", "Verma"
    agent_a.save()
    exporter_hand_to_agent(actor=manager_a, exporter=exporter_a, agent=agent_a)
    body = page(client, exporter_a)
    helper = body.split('id="helper"')[1].split("</section>")[0]
    assert "<strong>Asha Verma</strong><br>agent at Alpha" in helper
    assert 'href="tel:+919876543210">Call +91 98765 43210</a>' in helper
    assert "When you call, ask for Asha Verma." in helper
    hindi = page(client, exporter_a, lang="hi")
    assert "Alpha के एजेंट" in hindi and "फ़ोन करने पर Asha Verma से बात करने को कहें।" in hindi


def test_without_an_agent_the_startups_contact_person_answers(client, exporter_a, startup_a):
    helper = page(client, exporter_a).split('id="helper"')[1].split("</section>")[0]
    assert f"<strong>{startup_a.contact_name}</strong><br>contact person at Alpha" in helper
    assert "ask for" not in helper


# --- The short link -------------------------------------------------------------------------


def test_the_short_code_is_a_few_random_symbols_unlike_the_long_token(exporter_a, exporter_b):
    link = exporter_link_get(exporter=exporter_a)
    assert len(link.short_code) == SHORT_CODE_LENGTH and set(link.short_code) <= set(SHORT_CODE_ALPHABET)
    assert link.short_code != exporter_link_get(exporter=exporter_b).short_code
    assert len(short_url(exporter_a)) == len("/s//") + SHORT_CODE_LENGTH < len(long_url(exporter_a)) / 3


def test_the_short_link_opens_the_exporters_page_and_takes_their_answers(client, exporter_a, agent_a):
    question = visit(exporter_a, agent_a)
    url = short_url(exporter_a)
    response = client.get(url)
    assert response.status_code == 200 and str(exporter_a) in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin" and "noindex" in response["X-Robots-Tag"]
    answered = client.post(url, {"action": "answer", "question": question.pk, "answer": "yes"})
    assert answered.status_code == 302 and answered["Location"] == url
    question.refresh_from_db()
    assert question.answer == Answer.YES
    assert client.get(url.upper().replace("/S/", "/s/")).status_code == 200  # a phone capitalised it


def test_the_short_link_remembers_the_language_on_its_own_path(client, exporter_a):
    response = client.get(short_url(exporter_a), {"lang": "hi"})
    assert response.cookies["exporter_lang"]["path"] == "/s/"
    assert "आपकी निर्यात ऑनबोर्डिंग" in client.get(short_url(exporter_a)).content.decode()


def test_an_admin_half_signed_in_still_sees_the_short_link_page(client, admin_user, exporter_a):
    client.force_login(admin_user)  # the second factor not yet given
    assert client.get(short_url(exporter_a)).status_code == 200


def test_the_short_link_dies_with_the_long_one_when_staff_revoke_it(client, exporter_a, officer):
    old_short, old_long = short_url(exporter_a), long_url(exporter_a)
    exporter_link_rotate(actor=officer, exporter=exporter_a)
    for url in (old_short, old_long):
        response = client.get(url)
        assert response.status_code == 404 and "This link is no longer valid" in response.content.decode()
        assert str(exporter_a) not in response.content.decode()
    assert short_url(exporter_a) != old_short and client.get(short_url(exporter_a)).status_code == 200


def test_the_short_link_dies_when_the_exporter_moves_to_another_startup(client, exporter_a, officer, startup_b):
    old = short_url(exporter_a)
    exporter_reassign(actor=officer, exporter=exporter_a, startup=startup_b, reason="Alpha stopped calling")
    assert client.get(old).status_code == 404
    assert client.get(short_url(exporter_a)).status_code == 200


def test_a_bulk_move_gives_every_exporter_a_new_distinct_short_code(officer, startup_a, startup_b):
    moving = [assign(ExporterFactory(), startup_a) for _ in range(4)]
    before = {e.pk: exporter_link_get(exporter=e).short_code for e in moving}
    exporters_assign_bulk(actor=officer, exporters=moving, startup=startup_b, reason="Alpha is full")
    after = dict(ExporterLink.objects.filter(exporter__in=moving).values_list("exporter_id", "short_code"))
    assert all(after[pk] != code for pk, code in before.items()) and len(set(after.values())) == len(moving)
    assert all(len(code) == SHORT_CODE_LENGTH for code in after.values())


@pytest.mark.parametrize("code", ["junk", "0" * SHORT_CODE_LENGTH, "i" * SHORT_CODE_LENGTH, "a" * 400, "%00"])
def test_a_guessed_or_malformed_code_opens_nothing(client, exporter_a, code):
    response = client.get(f"/s/{code}/")
    assert response.status_code == 404 and str(exporter_a) not in response.content.decode()


def test_guessing_codes_is_throttled_per_address_like_the_long_link(client, exporter_a, settings):
    """The adversary: someone guessing short codes from one address."""
    settings.EXPORTER_LINK_LIMIT_PER_IP = 3
    for _ in range(3):
        assert client.get("/s/" + "2" * SHORT_CODE_LENGTH + "/", REMOTE_ADDR="198.51.100.9").status_code == 404
    assert client.get(short_url(exporter_a), REMOTE_ADDR="198.51.100.9").status_code == 429
    assert client.get(short_url(exporter_a), REMOTE_ADDR="198.51.100.10").status_code == 200


def test_the_short_and_long_links_share_one_limit_per_link(client, exporter_a, settings):
    settings.EXPORTER_LINK_LIMIT_PER_LINK = 2
    assert client.get(long_url(exporter_a)).status_code == 200
    assert client.get(short_url(exporter_a)).status_code == 200
    assert client.get(short_url(exporter_a) + "?lang=hi").status_code == 429


# --- The staff panel: short link, WhatsApp --------------------------------------------------


def whatsapp_of(body: str) -> str:
    [href] = re.findall(r'href="(https://wa\.me/[^"]+)"', body)
    return href.replace("&amp;", "&")


def test_staff_get_the_short_link_and_a_whatsapp_message_holding_it(client_for, officer, exporter_a):
    body = client_for(officer).get(exporter_a.get_absolute_url()).content.decode()
    short = "http://testserver" + short_url(exporter_a)
    assert f'id="status-link" value="{short}"' in body and "Email it again" in body
    href = whatsapp_of(body)
    address = urlsplit(href)
    assert address.path == "/919812345678"  # the exporter's mobile, digits only
    [text] = parse_qs(address.query)["text"]
    assert short in text and "only for you" in text
    anchor = body[body.rindex("<a", 0, body.index("https://wa.me/")) : body.index("Share on WhatsApp")]
    assert 'target="_blank"' in anchor and "noopener" in anchor


def test_the_whatsapp_message_is_in_hindi_for_an_exporter_who_prefers_hindi(client_for, officer, exporter_a):
    Exporter.objects.filter(pk=exporter_a.pk).update(preferred_language="hi")
    body = client_for(officer).get(exporter_a.get_absolute_url()).content.decode()
    [text] = parse_qs(urlsplit(whatsapp_of(body)).query)["text"]
    assert "यह पेज सिर्फ़ आपके लिए है" in text


def test_no_whatsapp_share_without_a_mobile_or_once_the_exporter_stopped_messages(client_for, officer, exporter_a):
    client = client_for(officer)
    exporter_opt_out(link=exporter_link_get(exporter=exporter_a), opt_out=True)
    assert "wa.me" not in client.get(exporter_a.get_absolute_url()).content.decode()
    exporter_opt_out(link=exporter_link_get(exporter=exporter_a), opt_out=False)
    Exporter.objects.filter(pk=exporter_a.pk).update(contact_mobile="")
    body = client.get(exporter_a.get_absolute_url()).content.decode()
    assert "wa.me" not in body and "No mobile on record" in body


@pytest.mark.parametrize("persona", ["manager_a", "agent_a", "manager_b"])
def test_no_startup_user_gets_the_short_link_or_the_whatsapp_share(request, client_for, persona, exporter_a):
    """The adversary: a startup user, holding the exporter or not, looking for the exporter's channel."""
    user = request.getfixturevalue(persona)
    response = client_for(user).get(exporter_a.get_absolute_url())
    assert response.status_code in (200, 404)
    body = response.content.decode()
    code = exporter_link_get(exporter=exporter_a).short_code
    assert code not in body and "/s/" not in body and "wa.me" not in body
