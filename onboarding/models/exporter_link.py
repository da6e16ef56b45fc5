"""The exporter in the loop: a status page by signed link, the uses of that link, and the
exporter's yes/no on the work a startup logged with them.

The link's token is `signing.dumps` of the exporter's random `key` (never the id), signed
with the secret key and timestamped: it expires after EXPORTER_LINK_DAYS, and rotating the
key revokes every link sent before. Only the status page reads tokens.

The short link (`/s/<short_code>/`) is an alias of the same link for staff to share by
WhatsApp or read out: a random code replaced together with the key, so it dies exactly when
the long link is revoked.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .activities import ActivityKind, ContactOutcome
from .choice_labels import ChoiceLabels
from .exporters import Exporter
from .scoped import ScopedQuerySet
from .startups import Startup

TOKEN_SALT = "onboarding.exporter-status"
# How long an exporter may change an answer after giving it.
ANSWER_CHANGEABLE = timedelta(days=7)
# The window of the confirmation rate shown to staff.
RATE_WINDOW = timedelta(days=90)
# The work an exporter is asked about: what a startup could claim and not have done.
CONFIRMED_KINDS = (ActivityKind.CALL, ActivityKind.VISIT, ActivityKind.TRAINING)
CONTACT_KINDS = (ActivityKind.CALL, ActivityKind.VISIT)
# Milestones the exporter can see for themselves.
CONFIRMED_STAGES = ("storefront_live",)


# The questions, in the exporter's words (English, and plain Hindi reviewed for everyday use).
QUESTIONS = {
    "en": {
        "call": "Did {person} of {startup} call you on {date}?",
        "visit": "Did {person} of {startup} visit you on {date}?",
        "training": "Did {person} of {startup} give you a training on {date}?",
        "milestone": "{startup} says your shop (storefront) on Alibaba.com went live on {date}. Is it live?",
        "no_contact": "You told us on {date} that nobody from {startup} has contacted you.",
        "someone": "someone",
    },
    "hi": {
        "call": "क्या {startup} के {person} ने {date} को आपको फ़ोन किया था?",
        "visit": "क्या {startup} के {person} {date} को आपसे मिलने आए थे?",
        "training": "क्या {startup} के {person} ने {date} को आपको ट्रेनिंग दी थी?",
        "milestone": "{startup} का कहना है कि Alibaba.com पर आपकी दुकान (स्टोरफ़्रंट) {date} को चालू हो गई। क्या यह चालू है?",
        "no_contact": "आपने {date} को बताया कि {startup} से किसी ने आपसे संपर्क नहीं किया।",
        "someone": "कोई व्यक्ति",
    },
}


# Month names for the exporter's page and questions: a Hindi reader gets Hindi months.
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "hi": ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्टूबर", "नवंबर", "दिसंबर"),
}


def day_in_words(moment: datetime, lang: str = "en", *, year: bool = False) -> str:
    """ "4 Dec" (or "4 Dec 2026"), "4 दिसंबर" in Hindi, on the portal's clock."""
    when = timezone.localtime(moment)
    words = f"{when.day} {MONTHS.get(lang, MONTHS['en'])[when.month - 1]}"
    return f"{words} {when.year}" if year else words


def new_key() -> str:
    return secrets.token_urlsafe(18)


# The short link's code: SHORT_CODE_LENGTH symbols of a 32-letter alphabet (digits and lower-case
# letters without i, l, o, u: nothing to misread or mistype, one case) drawn by `secrets`, so
# 5 bits a symbol, 70 bits a code (about 1.2e21 codes). Unlike the token it carries no signature,
# so its strength is its randomness against the /e/ throttle it shares: one address gets
# EXPORTER_LINK_LIMIT_PER_IP (300) tries in 10 minutes, 15.8 million a year. With a million
# live links a guess hits one with a chance of 1e6 / 1.2e21, under 1 in 10^15: ten thousand
# addresses guessing at the limit for a year would find one link with a chance of about 1 in 7,500.
SHORT_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
SHORT_CODE_LENGTH = 14


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))


def new_short_codes(count: int) -> list[str]:
    """`count` distinct new codes. (A clash with a stored code, at 1 in 10^15 a code, would be
    refused by the unique index: the caller's transaction rolls back and can be tried again.)"""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_short_code())
    return list(codes)


def is_short_code(code: str) -> bool:
    """A string shaped like a short code: anything else is refused without a query."""
    return len(code) == SHORT_CODE_LENGTH and all(ch in SHORT_CODE_ALPHABET for ch in code)


class ExporterLinkQuerySet(models.QuerySet):
    def from_token(self, token: str) -> ExporterLink | None:
        """The link a token opens, or None: expired, revoked (key rotated), tampered or junk."""
        max_age = timedelta(days=settings.EXPORTER_LINK_DAYS)
        try:
            key = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        if not isinstance(key, str):
            return None
        return (
            self.select_related("exporter__current_stage", "exporter__startup", "exporter__agent")
            .filter(key=key)
            .first()
        )

    def from_short_code(self, code: str) -> ExporterLink | None:
        """The link a short code opens, or None: revoked (replaced with the key), junk or unknown.
        Codes are written in lower case; a phone that capitalised one still opens the page."""
        code = (code or "").lower()
        if not is_short_code(code):
            return None
        return (
            self.select_related("exporter__current_stage", "exporter__startup", "exporter__agent")
            .filter(short_code=code)
            .first()
        )


class ExporterLink(models.Model):
    """One exporter's status link and message preferences (made on first need)."""

    exporter = models.OneToOneField("onboarding.Exporter", on_delete=models.CASCADE, related_name="link")
    key = models.CharField(max_length=32, unique=True, default=new_key)
    # The short link's code, replaced whenever the key is (services/exporter_link.py).
    short_code = models.CharField(max_length=SHORT_CODE_LENGTH, unique=True, default=new_short_code)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    # Something worth telling happened (assignment, stage change, a new question) ...
    news_at = models.DateTimeField(null=True, blank=True)
    # ... and the last digest was planned then: news after it goes in the next one.
    told_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["key", "short_code", "news_at", "told_at"])

    objects = ExporterLinkQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["news_at"], name="exporter_link_news")]

    def __str__(self) -> str:
        return f"Status link of {self.exporter_id}"

    def token(self) -> str:
        return signing.dumps(self.key, salt=TOKEN_SALT, compress=False)

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None


class LinkUse(models.Model):
    """A day's uses of an exporter's status link for one action, shown on the exporter's timeline
    to staff: one row per exporter, day and action, its count and first and last time (a row
    per request filled the timeline's newest entries with page loads)."""

    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.CASCADE, related_name="link_uses")
    at = models.DateTimeField()  # the last use that day
    day = models.DateField(null=True, blank=True)  # local date; null on rows kept before uses were counted
    first_at = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(default=1)
    # The client's network only (/24 for IPv4, /48 for IPv6): enough to tell a field visit
    # from a cybercafé, not enough to single out a person.
    network = models.CharField(max_length=50, blank=True)
    action = models.CharField(max_length=40)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["exporter", "at"])]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%d %b %Y %H:%M}"


class ConfirmationKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    TRAINING = "training", _("Training")
    MILESTONE = "milestone", _("Milestone")
    # Raised by the exporter themselves: nobody from the startup has been in touch.
    NO_CONTACT = "no_contact", _("Nobody has contacted me")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


# What a flag shows: the exporter (its link and name), the question (its kind, person, startup
# and day), the answer's day and the comment.
FLAG_FIELDS = (
    *Exporter.shown_as("exporter"),
    *Startup.shown_as("startup"),
    *("kind", "person", "occurred_at", "answered_at", "comment"),
)


class ConfirmationQuerySet(ScopedQuerySet):
    def flagged(self) -> ConfirmationQuerySet:
        """An exporter said the work did not happen, or that nobody has contacted them."""
        return self.filter(answer=Answer.NO)

    def contact_confirmed(self) -> ConfirmationQuerySet:
        """Yes answers to calls and visits that reached the exporter: what confirms contact."""
        return self.filter(kind__in=CONTACT_KINDS, answer=Answer.YES, activity__outcome=ContactOutcome.REACHED)

    def recent(self, now: datetime) -> ConfirmationQuerySet:
        return self.filter(created_at__gte=now - RATE_WINDOW)

    def for_page(self) -> ConfirmationQuerySet:
        return self.select_related("exporter", "startup", "stage_event").order_by("-created_at", "-pk")

    def for_flags(self) -> ConfirmationQuerySet:
        """Newest answer first, with only what a flag on a startup's home shows (the exporter,
        the question and the comment): all three rows' 91 columns took longer to read than the query."""
        return self.select_related("exporter", "startup").only(*FLAG_FIELDS).order_by("-answered_at", "-pk")

    def open_for(self, exporter_id: int, now: datetime) -> list[ConfirmationRequest]:
        """The exporter's unanswered questions of the last 90 days, still standing."""
        rows = self.filter(exporter_id=exporter_id, answer="", created_at__gte=now - RATE_WINDOW)
        return [c for c in rows.select_related("startup", "stage_event") if not c.withdrawn]

    def rate_table(self, now: datetime) -> list[dict]:
        """Per startup over the last 90 days: asked, answered, yes, no and the share confirmed,
        most denials first. One grouped query (indexed on created_at)."""
        rows = (
            self.recent(now)
            .exclude(kind=ConfirmationKind.NO_CONTACT)
            .order_by()
            .values("startup_id", "startup__brand_name", "startup__legal_name")
            .annotate(
                asked=Count("pk"),
                answered=Count("pk", filter=~Q(answer="")),
                yes=Count("pk", filter=Q(answer=Answer.YES)),
                no=Count("pk", filter=Q(answer=Answer.NO)),
            )
        )
        table = [rate(row) for row in rows]
        return sorted(table, key=lambda r: (-r["no"], r["percent"] if r["percent"] is not None else 101, r["name"]))

    def rates(self, now: datetime) -> dict[int, dict]:
        """Startup id -> the row of `rate_table`."""
        return {row["startup_id"]: row for row in self.rate_table(now)}

    def verdicts(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """(exporter id, startup id) -> "denied", "confirmed" or "no answer" for the work the
        startup logged with the exporter (one query for a whole page of claims)."""
        exporters = {e for e, _ in pairs}
        rows = self.filter(exporter_id__in=exporters).order_by().values_list("exporter_id", "startup_id", "answer")
        rows = rows.distinct()
        found: dict[tuple[int, int], set] = {}
        for exporter_id, startup_id, answer in rows:
            found.setdefault((exporter_id, startup_id), set()).add(answer)
        verdict = {}
        for pair, answers in found.items():
            verdict[pair] = "denied" if Answer.NO in answers else "confirmed" if Answer.YES in answers else "no answer"
        return verdict


def rate(row: dict) -> dict:
    row["name"] = row.pop("startup__brand_name", "") or row.pop("startup__legal_name", "")
    row.pop("startup__legal_name", None)
    answered = row.get("answered") or 0
    row["percent"] = round(100 * (row.get("yes") or 0) / answered) if answered else None
    return row


class ConfirmationRequest(ChoiceLabels, models.Model):
    """A question to the exporter about work a startup logged (or a milestone it claimed)."""

    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.CASCADE, related_name="confirmations")
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.PROTECT, related_name="confirmations")
    # Empty once the startup's record is gone: shown to the exporter as withdrawn.
    activity = models.ForeignKey(
        "onboarding.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="confirmations"
    )
    stage_event = models.ForeignKey(
        "onboarding.StageEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="confirmations"
    )
    kind = models.CharField(max_length=12, choices=ConfirmationKind.choices)
    # Copied when asked, so the question reads the same if the person or stage is renamed.
    person = models.CharField(max_length=150, blank=True)
    what = models.CharField(max_length=120, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField()
    answer = models.CharField(max_length=3, choices=Answer.choices, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    first_answered_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Where the last answer came from, for staff: the network only (as LinkUse) and the
    # browser's own description. A "yes" from a network the startup signs in from is a fraud signal.
    answered_network = models.CharField(max_length=50, blank=True, default="", db_default="")
    answered_user_agent = models.CharField(
        "answered with (browser)", max_length=200, blank=True, default="", db_default=""
    )
    history = HistoricalRecords()

    objects = ConfirmationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["exporter", "created_at"]),
            models.Index(fields=["startup", "created_at"]),
            models.Index(fields=["created_at"], name="confirmation_flagged", condition=Q(answer="no")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["activity"], condition=Q(activity__isnull=False), name="one_confirmation_per_activity"
            ),
            models.UniqueConstraint(
                fields=["stage_event"], condition=Q(stage_event__isnull=False), name="one_confirmation_per_claim"
            ),
            models.CheckConstraint(condition=Q(answer__in=["", "yes", "no"]), name="confirmation_answer_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.exporter_id} on {self.occurred_at:%d %b %Y}"

    @property
    def withdrawn(self) -> bool:
        """The startup's record behind the question is gone (deleted, or a claim withdrawn)."""
        if self.kind in CONFIRMED_KINDS:
            return self.activity_id is None
        if self.kind == ConfirmationKind.MILESTONE:
            return self.stage_event_id is None or self.stage_event.status in ("withdrawn", "rejected")
        return False

    def question(self, lang: str = "en") -> str:
        words = QUESTIONS.get(lang, QUESTIONS["en"])
        return words[self.kind].format(
            person=self.person or words["someone"], startup=self.startup, date=day_in_words(self.occurred_at, lang)
        )

    @property
    def question_en(self) -> str:
        return self.question("en")

    def changeable(self, now: datetime) -> bool:
        if self.withdrawn:
            return False
        return self.first_answered_at is None or now - self.first_answered_at <= ANSWER_CHANGEABLE
