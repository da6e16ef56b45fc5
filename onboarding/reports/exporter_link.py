"""What the exporter's status page says, in English or Hindi: their stages as tasks (done, in
progress, not started) with the next one first, the documents received and still needed, who
helps them and who answers their call, and the questions about work logged with them.

Only the exporter's own record: no other exporter, no commission, no staff notes.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings

from ..models import ConfirmationRequest, EvidenceDocument, Exporter, ExporterLink, Stage
from ..models.contact_changes import ContactChange
from ..models.exporter_link import RATE_WINDOW, Answer, ConfirmationKind, day_in_words
from ..models.stages import DocumentKind, StageEventStatus

LANGUAGES = ("en", "hi")

TEXT = {
    "en": {
        "title": "Your export onboarding",
        "switch": "हिंदी में देखें",
        "switch_lang": "hi",
        "done": "Done",
        "in_progress": "In progress",
        "not_started": "Not started",
        "now": "Now",
        "next": "Next step",
        "open_questions": "{count} question waits for your answer",
        "open_questions_many": "{count} questions wait for your answer",
        "finished": "All steps are done. Well done!",
        "steps": "Your steps",
        "documents": "Your documents",
        "documents_needed": "Still needed",
        "documents_received": "Received",
        "documents_none": "No documents are needed from you right now.",
        "helper": "Who is helping you",
        "call": "Call",
        "roles": {"agent": "agent at {startup}", "contact": "contact person at {startup}"},
        "ask_for": "When you call, ask for {name}.",
        "helpline": "Programme helpline",
        "unassigned": "No startup is helping you yet. We will tell you when one is chosen.",
        "questions": "Please tell us",
        "questions_none": "No questions for you right now.",
        "yes": "Yes",
        "no": "No",
        "comment": "Comment (optional)",
        "you_said": "You said: {answer}, on {date}",
        "change": "Change your answer",
        "change_comment": "Change your comment",
        "no_contact_more": "Nobody from the startup has contacted you?",
        "withdrawn": "The startup removed this record: nothing to answer.",
        "no_contact": "Nobody has contacted me",
        "no_contact_help": "Tap this if nobody from the startup has called or visited you.",
        "messages": "Messages",
        "opted_out": "You get no emails from us. Tap to get them again.",
        "opt_in": "Send me messages again",
        "opt_out": "Stop messages",
        "opted_in": "We email you when something changes, at most once a day.",
        "private": "This page is only for you. Do not share the link.",
        "saved": "Thank you, your answer is saved.",
        "unchanged": "Your answer was already saved.",
        "flag_saved": "Thank you. The programme team will look into it.",
        "messages_off": "You will get no more messages from us.",
        "messages_on": "You will get messages again.",
        "throttled_title": "Please wait a few minutes",
        "throttled": "This page was opened many times in the last few minutes. Please try again in 10 minutes.",
        "invalid_title": "This link is no longer valid",
        "invalid": (
            "Links stop working after some time, or when a new one is sent. "
            "Call the programme helpline for a new link: the programme sends it to your email."
        ),
        "errors": {
            "unknown_answer": "Tap Yes or No.",
            "not_yours": "This question is not on your page.",
            "withdrawn": "The startup removed this record: nothing to answer.",
            "too_late": "Answers can be changed for 7 days only.",
            "too_long": "Please keep the comment under 500 letters.",
            "control_characters": "The comment holds a hidden character that cannot be saved. Please type it again.",
            "no_startup": "No startup is helping you yet, so there is nobody to report.",
            "unknown": "That did not work. Please try again.",
        },
    },
    "hi": {
        "title": "आपकी निर्यात ऑनबोर्डिंग",
        "switch": "View in English",
        "switch_lang": "en",
        "done": "पूरा",
        "in_progress": "चल रहा है",
        "not_started": "शुरू नहीं हुआ",
        "now": "अभी",
        "next": "अगला कदम",
        "open_questions": "{count} सवाल आपके जवाब का इंतज़ार कर रहा है",
        "open_questions_many": "{count} सवाल आपके जवाब का इंतज़ार कर रहे हैं",
        "finished": "सभी कदम पूरे हो गए। बधाई!",
        "steps": "आपके कदम",
        "documents": "आपके दस्तावेज़",
        "documents_needed": "अभी चाहिए",
        "documents_received": "मिल गए",
        "documents_none": "अभी आपसे किसी दस्तावेज़ की ज़रूरत नहीं है।",
        "helper": "आपकी मदद कौन कर रहा है",
        "call": "फ़ोन करें",
        "roles": {"agent": "{startup} के एजेंट", "contact": "{startup} के संपर्क व्यक्ति"},
        "ask_for": "फ़ोन करने पर {name} से बात करने को कहें।",
        "helpline": "कार्यक्रम हेल्पलाइन",
        "unassigned": "अभी कोई स्टार्टअप आपकी मदद नहीं कर रहा। चुने जाने पर हम आपको बताएँगे।",
        "questions": "कृपया हमें बताएँ",
        "questions_none": "अभी आपके लिए कोई सवाल नहीं है।",
        "yes": "हाँ",
        "no": "नहीं",
        "comment": "टिप्पणी (ज़रूरी नहीं)",
        "you_said": "आपने कहा: {answer}, {date} को",
        "change": "अपना जवाब बदलें",
        "change_comment": "अपनी टिप्पणी बदलें",
        "no_contact_more": "क्या स्टार्टअप से किसी ने आपसे संपर्क नहीं किया?",
        "withdrawn": "स्टार्टअप ने यह जानकारी हटा दी: जवाब की ज़रूरत नहीं।",
        "no_contact": "किसी ने मुझसे संपर्क नहीं किया",
        "no_contact_help": "अगर स्टार्टअप से किसी ने फ़ोन नहीं किया या मिलने नहीं आया, तो यह दबाएँ।",
        "messages": "संदेश",
        "opted_out": "आपको हमारे ईमेल नहीं आते। फिर से पाने के लिए दबाएँ।",
        "opt_in": "मुझे फिर से संदेश भेजें",
        "opt_out": "संदेश बंद करें",
        "opted_in": "कुछ बदलने पर हम आपको ईमेल करते हैं, दिन में ज़्यादा से ज़्यादा एक बार।",
        "private": "यह पेज सिर्फ़ आपके लिए है। लिंक किसी को न भेजें।",
        "saved": "धन्यवाद, आपका जवाब सेव हो गया।",
        "unchanged": "आपका जवाब पहले से सेव है।",
        "flag_saved": "धन्यवाद। कार्यक्रम की टीम इसे देखेगी।",
        "messages_off": "अब आपको हमसे कोई संदेश नहीं आएगा।",
        "messages_on": "आपको फिर से संदेश आएँगे।",
        "throttled_title": "कृपया कुछ मिनट रुकें",
        "throttled": "यह पेज पिछले कुछ मिनटों में कई बार खोला गया। कृपया 10 मिनट बाद फिर से कोशिश करें।",
        "invalid_title": "यह लिंक अब काम नहीं करता",
        "invalid": (
            "लिंक कुछ समय बाद, या नया लिंक भेजे जाने पर, बंद हो जाता है। "
            "नया लिंक कार्यक्रम हेल्पलाइन से माँगें: कार्यक्रम उसे आपके ईमेल पर भेजता है।"
        ),
        "errors": {
            "unknown_answer": "हाँ या नहीं दबाएँ।",
            "not_yours": "यह सवाल आपके पेज पर नहीं है।",
            "withdrawn": "स्टार्टअप ने यह जानकारी हटा दी: जवाब की ज़रूरत नहीं।",
            "too_late": "जवाब सिर्फ़ 7 दिन तक बदला जा सकता है।",
            "too_long": "कृपया टिप्पणी 500 अक्षरों से छोटी रखें।",
            "control_characters": "टिप्पणी में एक छिपा हुआ चिह्न है जो सहेजा नहीं जा सकता। कृपया इसे फिर से लिखें।",
            "no_startup": "अभी कोई स्टार्टअप आपकी मदद नहीं कर रहा।",
            "unknown": "यह नहीं हो पाया। कृपया फिर से कोशिश करें।",
        },
    },
}

# The question about a contact change the startup proposed (services/contact_changes.py).
CONTACT_TEXT = {
    "en": {
        "title": "Your contact details are about to change",
        "question": "{startup} asked to change your contact details to the ones below. Is this right?",
        "contact_name": "Name",
        "contact_email": "Email",
        "contact_mobile": "Mobile",
        "empty": "(none)",
        "yes": "Yes, this is right",
        "no": "No, keep my details",
        "help": "If you tap No, we keep writing to you here, and the programme team sees your answer.",
        "confirmed": "Thank you: your new contact details are saved. Our next message goes there.",
        "refused": "Thank you: your contact details stay as they are.",
        "superseded": "Your contact details changed meanwhile: nothing was changed.",
        "errors": {
            "not_yours": "This change is not on your page.",
            "decided": "This change is already decided.",
            "unknown_answer": "Tap Yes or No.",
        },
    },
    "hi": {
        "title": "आपकी संपर्क जानकारी बदलने वाली है",
        "question": "{startup} ने आपकी संपर्क जानकारी नीचे दी गई जानकारी में बदलने को कहा है। क्या यह सही है?",
        "contact_name": "नाम",
        "contact_email": "ईमेल",
        "contact_mobile": "मोबाइल",
        "empty": "(कुछ नहीं)",
        "yes": "हाँ, यह सही है",
        "no": "नहीं, मेरी जानकारी वही रखें",
        "help": "नहीं दबाने पर हम आपको यहीं लिखते रहेंगे, और कार्यक्रम की टीम आपका जवाब देखेगी।",
        "confirmed": "धन्यवाद: आपकी नई संपर्क जानकारी सेव हो गई। हमारा अगला संदेश वहीं जाएगा।",
        "refused": "धन्यवाद: आपकी संपर्क जानकारी पहले जैसी रहेगी।",
        "superseded": "इस बीच आपकी संपर्क जानकारी बदल चुकी है: कुछ नहीं बदला गया।",
        "errors": {
            "not_yours": "यह बदलाव आपके पेज पर नहीं है।",
            "decided": "इस बदलाव पर फ़ैसला हो चुका है।",
            "unknown_answer": "हाँ या नहीं दबाएँ।",
        },
    },
}

# The default stages (docs/domain.md#the-listing-stages) worded as tasks, not as facts: a step
# ahead must not read as done ("आपका खाता बन गया" read as "your account is made"). Hindi uses the
# neutral task form (खाता बनाना: "making the account"), plain words for small-business owners.
# A stage added later shows its own name.
STAGE_TASKS = {
    "en": {
        "assigned": "Get a startup to help you",
        "contacted": "Talk with your startup",
        "documents_collected": "Hand over your documents",
        "account_created": "Make your Alibaba.com account",
        "membership_active": "Start your paid membership",
        "storefront_live": "Open your online shop (storefront)",
        "products_listed": "Put your products on the site",
        "trade_assurance": "Turn on Trade Assurance (buyer protection)",
        "first_inquiry": "Get your first buyer enquiry",
        "first_order": "Get your first order",
    },
    "hi": {
        "assigned": "मदद के लिए स्टार्टअप मिलना",
        "contacted": "स्टार्टअप से बात करना",
        "documents_collected": "अपने दस्तावेज़ देना",
        "account_created": "Alibaba.com खाता बनाना",
        "membership_active": "सदस्यता (पेड मेंबरशिप) शुरू करना",
        "storefront_live": "अपनी ऑनलाइन दुकान (स्टोरफ़्रंट) खोलना",
        "products_listed": "अपने उत्पाद साइट पर डालना",
        "trade_assurance": "ट्रेड एश्योरेंस (खरीदार सुरक्षा) चालू करना",
        "first_inquiry": "खरीदार की पहली पूछताछ पाना",
        "first_order": "पहला ऑर्डर पाना",
    },
}
# A step's state and its tag's words (TEXT): done, the one in progress now, or not started.
DONE, IN_PROGRESS, NOT_STARTED = "done", "in_progress", "not_started"
# The checklist's documents (models.stages.DocumentKind) in plain words; a kind added later shows its own label.
DOCUMENT_WORDS = {
    "en": {
        "gst_certificate": "GST certificate",
        "iec_certificate": "IEC (Import Export Code) certificate",
        "bank_proof": "Bank proof (a cancelled cheque or a letter from your bank)",
        "catalogue": "Product catalogue",
        "membership_contract": "Membership contract",
    },
    "hi": {
        "gst_certificate": "जीएसटी प्रमाणपत्र",
        "iec_certificate": "आईईसी (आयात-निर्यात कोड) प्रमाणपत्र",
        "bank_proof": "बैंक का प्रमाण (रद्द किया हुआ चेक या बैंक का पत्र)",
        "catalogue": "उत्पादों की सूची (कैटलॉग)",
        "membership_contract": "सदस्यता अनुबंध",
    },
}


# The message staff send with the short link by WhatsApp, in the exporter's language.
SHARE_TEXT = {
    "en": (
        "Your export onboarding page (your steps, documents and questions): {url} "
        "This page is only for you. Do not share the link."
    ),
    "hi": "आपकी निर्यात ऑनबोर्डिंग का पेज (आपके कदम, दस्तावेज़ और सवाल): {url} यह पेज सिर्फ़ आपके लिए है। लिंक किसी को न भेजें।",
}


def whatsapp_share(exporter: Exporter, url: str) -> str:
    """A wa.me link opening a chat with the exporter's mobile, the message with `url` typed in
    for staff to send; "" without a mobile. (wa.me takes the number as digits, no "+".)"""
    digits = "".join(ch for ch in exporter.contact_mobile or "" if ch.isdigit())
    if not digits:
        return ""
    text = SHARE_TEXT["hi" if exporter.preferred_language == "hi" else "en"].format(url=url)
    return f"https://wa.me/{digits}?{urlencode({'text': text})}"


def language_of(choice: str | None, exporter: Exporter | None = None) -> str:
    """The page's language: the exporter's choice, else their preferred language if Hindi."""
    if choice in LANGUAGES:
        return choice
    return "hi" if exporter is not None and exporter.preferred_language == "hi" else "en"


def _steps(exporter: Exporter, stages: list[Stage], lang: str) -> tuple[list[dict], dict | None]:
    """Each stage as a task with its state: the stages reached are done, the first after them
    is in progress (the exporter's next step, the only one tagged "Now"), the rest not started."""
    current = exporter.current_stage.order if exporter.current_stage else 0
    words, text = STAGE_TASKS[lang], TEXT[lang]
    steps, upcoming = [], None
    for stage in stages:
        state = DONE if stage.order <= current else NOT_STARTED if upcoming else IN_PROGRESS
        step = {"name": words.get(stage.code, stage.name), "state": state, "tag": text[state]}
        step["now"] = state == IN_PROGRESS
        upcoming = step if step["now"] else upcoming
        steps.append(step)
    return steps, upcoming


def _questions(exporter: Exporter, now: datetime, lang: str) -> list[dict]:
    """The exporter's questions of the last 90 days (one query), unanswered first."""
    rows = ConfirmationRequest.objects.filter(exporter=exporter, created_at__gte=now - RATE_WINDOW).select_related(
        "startup", "stage_event"
    )
    text = TEXT[lang]
    shown = []
    for c in rows:
        question = {"c": c, "text": c.question(lang), "withdrawn": c.withdrawn, "changeable": c.changeable(now)}
        if c.answer and c.kind != ConfirmationKind.NO_CONTACT:
            answer = text["yes"] if c.answer == Answer.YES else text["no"]
            question["said"] = text["you_said"].format(answer=answer, date=day_in_words(c.answered_at, lang, year=True))
        shown.append(question)
    return sorted(shown, key=lambda q: (q["c"].answer != "", -q["c"].created_at.timestamp()))


def _waiting(questions: list[dict], lang: str) -> str:
    """ "2 questions wait for your answer", the first line of the page; "" when none does."""
    count = sum(1 for q in questions if not q["c"].answer and not q["withdrawn"])
    if not count:
        return ""
    return TEXT[lang]["open_questions" if count == 1 else "open_questions_many"].format(count=count)


def _no_contact(exporter: Exporter, questions: list[dict]) -> dict:
    """How the page offers "Nobody has contacted me": not at all without a startup; behind the
    standing flag's "change" while the exporter may still change it (a tap updates that flag);
    folded away once they have answered anything; else in plain sight."""
    if exporter.startup_id is None:
        return {"shown": False, "folded": False}
    standing = any(
        q["c"].kind == ConfirmationKind.NO_CONTACT and q["c"].startup_id == exporter.startup_id and q["changeable"]
        for q in questions
    )
    answered = any(q["c"].answer for q in questions)
    return {"shown": not standing, "folded": answered}


def _helper(exporter: Exporter, lang: str) -> dict | None:
    """Who answers when the exporter calls: their agent, by name and role, else the startup's
    contact person (whose number it is). No query: the link brings the startup and agent."""
    startup = exporter.startup
    if startup is None:
        return None
    text = TEXT[lang]
    agent_name = exporter.agent.get_full_name() if exporter.agent else ""
    name = agent_name or startup.contact_name
    return {
        "name": name,
        "role": text["roles"]["agent" if agent_name else "contact"].format(startup=startup),
        "ask_for": text["ask_for"].format(name=name) if name != startup.contact_name else "",
    }


def _documents(exporter: Exporter, stages: list[Stage], lang: str) -> tuple[list[str], list[str]]:
    """(received, still needed), in words: received are the checklist documents stored with the
    exporter's claims waiting for review or approved (a rejected or withdrawn claim's are not
    counted); needed are those the stages still ahead ask for and nobody has sent."""
    waiting_or_approved = [StageEventStatus.SUBMITTED, StageEventStatus.APPROVED]
    stored = EvidenceDocument.objects.filter(event__exporter=exporter, event__status__in=waiting_or_approved)
    received = set(stored.exclude(kind="").values_list("kind", flat=True).distinct())
    current = exporter.current_stage.order if exporter.current_stage else 0
    ahead = [kind for stage in stages if stage.order > current for kind in stage.required_documents]
    words, labels = DOCUMENT_WORDS[lang], dict(DocumentKind.choices)
    order = {kind: index for index, kind in enumerate(DocumentKind.values)}
    received_words = [
        words.get(k) or labels.get(k, k) for k in sorted(received, key=lambda k: order.get(k, len(order)))
    ]
    needed = [words.get(k) or labels.get(k, k) for k in dict.fromkeys(ahead) if k not in received]
    return received_words, needed


def contact_question(exporter: Exporter, lang: str) -> dict | None:
    """The waiting contact change the exporter is asked about, in their words (one query)."""
    change = ContactChange.objects.pending().filter(exporter=exporter).select_related("startup").first()
    if change is None:
        return None
    words = CONTACT_TEXT[lang]
    rows = [(words[name], after or words["empty"]) for name, _before, after in change.changes()]
    return {"change": change, "question": words["question"].format(startup=change.startup), "rows": rows}


def status_page(link: ExporterLink, *, lang: str, now: datetime) -> dict:
    """Everything the page shows, in four queries after the link's own."""
    exporter = link.exporter
    stages = list(Stage.objects.ordered())
    steps, upcoming = _steps(exporter, stages, lang)
    received, needed = _documents(exporter, stages, lang)
    questions = _questions(exporter, now, lang)
    return {
        "t": TEXT[lang],
        "lang": lang,
        "exporter": exporter,
        "startup": exporter.startup,
        "helper": _helper(exporter, lang),
        "steps": steps,
        "upcoming": upcoming,
        "documents_received": received,
        "documents_needed": needed,
        "questions": questions,
        "questions_waiting": _waiting(questions, lang),
        "no_contact": _no_contact(exporter, questions),
        "helpline": settings.PROGRAMME_HELPLINE,
        "opted_out": link.opted_out,
        "ct": CONTACT_TEXT[lang],
        "contact_question": contact_question(exporter, lang),
    }
