"""Fraud signals on claims: facts about a claim that make it worth a closer look, each said in
plain words for officers. A signal is never a refusal: nothing is rejected or held for one.

Each signal is one function from a list of claims (with their exporter, startup and stage
loaded) to `(claim id, explanation)` pairs, listed once in SIGNALS: adding a signal is one
function and one line. Each function asks a fixed number of queries, whatever the number of
claims, so a page of the review queue (or the whole queue, for the filter and the list of
signalled claims) costs the same number of queries for 3 claims or 3,000.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import database
from ..models import (
    Assignment,
    ConfirmationRequest,
    Dispute,
    EvidenceDocument,
    Exporter,
    SignIn,
    Stage,
    StageEvent,
    Startup,
)
from ..models.exporter_link import Answer
from ..models.stages import StageEventStatus

# A startup sending more than this many claims within an hour is a burst.
BURST_CLAIMS = 20
BURST_WINDOW = timedelta(hours=1)
# Explanations shown per claim and signal; beyond them, "and N more".
SHOWN_PER_SIGNAL = 3
MINUTE = timedelta(minutes=1)

Found = Iterator[tuple[int, str]]


@dataclass(frozen=True)
class Finding:
    """One signal on one claim, as the card shows it."""

    kind: str
    label: str
    text: str


@dataclass(frozen=True)
class Signal:
    code: str
    label: str
    meaning: str  # what it means and why it matters, for the list page
    find: Callable[[list[StageEvent]], Iterable[tuple[int, str]]]


# --- Who and what, in words -------------------------------------------------------------------


def _claim_words(other: StageEvent) -> str:
    names = {"stage": other.stage, "exporter": other.exporter}
    if other.startup_id:
        return _("the “%(stage)s” claim for %(exporter)s by %(startup)s") % {**names, "startup": other.startup}
    return _("the “%(stage)s” claim for %(exporter)s") % names


def _and_more(shown: str, more: int) -> str:
    return _("%(shown)s and %(count)s more") % {"shown": shown, "count": more} if more > 0 else shown


def _others(rows: list, total: int | None = None, *, at_least: bool = False) -> str:
    """The first two of `rows` named, and how many more of `total` (all of them by default);
    `at_least` when `total` were read of more."""
    shown = ", ".join(_claim_words(o) for o in rows[:2])
    more = (len(rows) if total is None else total) - 2
    if at_least:
        return _("%(shown)s and at least %(count)s more") % {"shown": shown, "count": more}
    return _and_more(shown, more)


def _day(moment, with_year: bool = True) -> str:
    """A date as "04 Dec 2026" (month names in the reader's language)."""
    return date_format(timezone.localtime(moment), "d M Y" if with_year else "d M")


OTHER_CLAIM_FIELDS = (
    "pk",
    "submitted_at",
    *Exporter.shown_as("exporter"),
    *Startup.shown_as("startup"),
    *Stage.shown_as("stage"),
)


def _other_claims(queryset):
    """Claims named in explanations: their exporter, startup and stage names in the same query."""
    return queryset.select_related("exporter", "startup", "stage").order_by("submitted_at", "pk")


# --- The signals ------------------------------------------------------------------------------


def same_file(events: list[StageEvent]) -> Found:
    """A file of the claim (same SHA-256) is in a claim for another exporter, or of another startup."""
    files: dict[int, dict[str, str]] = defaultdict(dict)  # claim -> digest -> file name
    for event in events:
        if event.evidence_sha256:
            files[event.pk][event.evidence_sha256] = event.file_name
    documents = EvidenceDocument.objects.filter(event_id__in=[e.pk for e in events]).exclude(sha256="")
    for event_id, digest, name in documents.values_list("event_id", "sha256", "file_name_kept"):
        files[event_id].setdefault(digest, name)
    digests = {digest for by_digest in files.values() for digest in by_digest}
    if not digests:
        return
    holders: dict[str, dict[int, StageEvent]] = defaultdict(dict)
    claims = StageEvent.objects.filter(evidence_sha256__in=digests)
    for other in _other_claims(claims).only(*OTHER_CLAIM_FIELDS, "evidence_sha256"):
        holders[other.evidence_sha256][other.pk] = other
    in_documents = list(EvidenceDocument.objects.filter(sha256__in=digests).values_list("sha256", "event_id"))
    carried = _other_claims(StageEvent.objects.filter(pk__in=[pk for _d, pk in in_documents]))
    by_pk = {other.pk: other for other in carried.only(*OTHER_CLAIM_FIELDS)}
    for digest, event_id in in_documents:
        holders[digest].setdefault(event_id, by_pk[event_id])
    for event in events:
        for digest, name in files.get(event.pk, {}).items():
            elsewhere = [
                other
                for other in holders[digest].values()
                if other.pk != event.pk
                and (other.exporter_id != event.exporter_id or other.startup_id != event.startup_id)
            ]
            if elsewhere:
                if name:
                    text = _("The file “%(name)s” is the same file as in %(others)s.")
                else:
                    text = _("A file of this claim is the same file as in %(others)s.")
                yield event.pk, text % {"name": name, "others": _others(elsewhere)}


def _url_key(url: str) -> str:
    return url.strip().lower().rstrip("/")


def _reference_key(reference: str) -> str:
    return reference.strip().upper()


# Claims read per link or reference: enough to name two of other exporters and count them. A
# generic link (a marketplace's home page) may be in thousands of claims; past this many the
# explanation says "at least N more" rather than counting them all on every page of the queue.
SHARED_READ = 100

# Each link's and reference's first claims by time, read off the indexes stageevent_url_time
# and stageevent_reference_time: at most SHARED_READ + 1 index entries a value, in one query.
# (kind, the key as the index writes it, its column, the parameter holding the page's keys)
FIRST_CLAIMS = (
    ("url", "LOWER(evidence_url)", "evidence_url", "urls"),
    ("reference", "UPPER(evidence_reference)", "evidence_reference", "references"),
)
FIRST_CLAIMS_SQL = " UNION ALL ".join(
    f"SELECT '{kind}', v.value, s.submitted_at, s.id, s.exporter_id "
    f"FROM unnest(%({values})s::text[]) AS v(value) CROSS JOIN LATERAL ("
    f"SELECT submitted_at, id, exporter_id FROM {{table}} WHERE {key} = v.value AND {column} <> '' "
    "ORDER BY submitted_at, id LIMIT %(limit)s) AS s"
    for kind, key, column, values in FIRST_CLAIMS
)


def _first_claims(urls: set[str], references: set[str]) -> dict[str, dict[str, tuple]]:
    """For "url" and "reference", each link's or reference's key: its first SHARED_READ claims by
    time, as (id, exporter id), and whether it has more. A link and the link with a last "/"
    are one key (`_url_key`)."""
    if database.joins_laterally():
        with connection.cursor() as cursor:
            sql = FIRST_CLAIMS_SQL.format(table=StageEvent._meta.db_table)
            cursor.execute(sql, {"urls": sorted(urls), "references": sorted(references), "limit": SHARED_READ + 1})
            rows = cursor.fetchall()
    else:  # every matching claim, in two queries
        by_url = StageEvent.objects.exclude(evidence_url="").annotate(key=Lower("evidence_url"))
        by_reference = StageEvent.objects.exclude(evidence_reference="").annotate(key=Upper("evidence_reference"))
        columns = ("key", "submitted_at", "pk", "exporter_id")
        rows = [("url", *row) for row in by_url.filter(key__in=urls).values_list(*columns)]
        rows += [("reference", *row) for row in by_reference.filter(key__in=references).values_list(*columns)]
    key_of = {"url": _url_key, "reference": _reference_key}
    grouped: dict[str, dict[str, list]] = {"url": defaultdict(list), "reference": defaultdict(list)}
    for kind, value, _submitted_at, pk, exporter_id in sorted(rows, key=lambda row: (row[2], row[3])):
        grouped[kind][key_of[kind](value)].append((pk, exporter_id))
    return {
        kind: {key: (read[:SHARED_READ], len(read) > SHARED_READ) for key, read in by_key.items()}
        for kind, by_key in grouped.items()
    }


def same_link_or_reference(events: list[StageEvent]) -> Found:
    """The claim's link (storefront, product) or reference (member ID, order) is in a claim for another exporter."""
    keys = {_url_key(e.evidence_url) for e in events if e.evidence_url}
    urls = {variant for key in keys for variant in (key, f"{key}/")}
    references = {_reference_key(e.evidence_reference) for e in events if e.evidence_reference}
    if not (urls or references):
        return
    first = _first_claims(urls, references)
    kinds = (
        (_("The link “%(value)s” is also in %(others)s."), "evidence_url", _url_key, first["url"]),
        (
            _("The reference “%(value)s” is also in %(others)s."),
            "evidence_reference",
            _reference_key,
            first["reference"],
        ),
    )
    found = []
    for event in events:
        for words, field, key_of, by_key in kinds:
            value = getattr(event, field)
            claims, more = by_key.get(key_of(value), ([], False)) if value else ([], False)
            elsewhere = [pk for pk, exporter_id in claims if exporter_id != event.exporter_id]
            if elsewhere:
                found.append((event.pk, words, value, elsewhere, more))
    shown = {pk for *_claim, elsewhere, _more in found for pk in elsewhere[:2]}
    named = _other_claims(StageEvent.objects.filter(pk__in=shown)).only(*OTHER_CLAIM_FIELDS)
    named = {other.pk: other for other in named}
    for event_pk, words, value, elsewhere, more in found:
        others = _others([named[pk] for pk in elsewhere[:2]], len(elsewhere), at_least=more)
        yield event_pk, words % {"value": value, "others": others}


def shared_contact(events: list[StageEvent]) -> Found:
    """The exporter's contact mobile or email is on an exporter of another firm (another PAN)."""
    exporters = {e.exporter_id: e.exporter for e in events}
    mobiles = {x.contact_mobile for x in exporters.values() if x.contact_mobile}
    emails = {x.contact_email.lower() for x in exporters.values() if x.contact_email}
    if not (mobiles or emails):
        return
    # Written as the indexes exporter_contact_mobile and exporter_contact_email_lower are.
    found = Exporter.objects.annotate(email_key=Lower("contact_email"))
    found = found.filter(
        (Q(contact_mobile__in=mobiles) & ~Q(contact_mobile="")) | (Q(email_key__in=emails) & ~Q(contact_email=""))
    )
    others = found.order_by("pk").only("pk", "pan", "legal_name", "trade_name", "contact_mobile", "contact_email")
    # Each exporter found, filed under its mobile and its email, so that a claim looks up its
    # own: comparing every claim with every exporter found took 140 s for a national queue of
    # 15,000 claims (7,500 exporters found).
    by_mobile, by_email = defaultdict(list), defaultdict(list)
    for other in others:
        if other.contact_mobile:
            by_mobile[other.contact_mobile].append(other)
        if other.contact_email:
            by_email[other.contact_email.lower()].append(other)
    mobile_words = _("The exporter's contact mobile %(value)s is also on %(others)s: another firm.")
    email_words = _("The exporter's contact email %(value)s is also on %(others)s: another firm.")
    for event in events:
        exporter = event.exporter
        for words, mine, sharing in (
            (mobile_words, exporter.contact_mobile, by_mobile),
            (email_words, exporter.contact_email.lower(), by_email),
        ):
            firms = [o for o in sharing.get(mine, ()) if o.pan != exporter.pan] if mine else []
            if firms:
                named = _and_more(", ".join(f"{o} (PAN {o.pan})" for o in firms[:2]), len(firms) - 2)
                yield event.pk, words % {"value": mine, "others": named}


def answered_from_startup_network(events: list[StageEvent]) -> Found:
    """The exporter's "Yes" about the startup's work came from a network a user of that startup signed in from."""
    pairs = {(e.exporter_id, e.startup_id) for e in events if e.startup_id}
    if not pairs:
        return
    answers = ConfirmationRequest.objects.filter(
        exporter_id__in={e for e, _s in pairs}, startup_id__in={s for _e, s in pairs}, answer=Answer.YES
    ).exclude(answered_network="")
    rows = answers.values_list("exporter_id", "startup_id", "answered_network", "kind", "occurred_at")
    by_pair = defaultdict(list)
    for exporter_id, startup_id, network, kind, occurred_at in rows:
        if (exporter_id, startup_id) in pairs:
            by_pair[(exporter_id, startup_id)].append((network, kind, occurred_at))
    networks = {network for found in by_pair.values() for network, _k, _o in found}
    if not networks:
        return
    sign_ins = SignIn.objects.filter(network__in=networks, startup_id__in={s for _e, s in by_pair})
    last = {
        (row["network"], row["startup_id"]): row["last"]
        for row in sign_ins.order_by().values("network", "startup_id").annotate(last=Max("at"))
    }
    for event in events:
        for network, kind, occurred_at in by_pair.get((event.exporter_id, event.startup_id), []):
            if (signed_in := last.get((network, event.startup_id))) is not None:
                said = {"network": network, "startup": event.startup, "last": _day(signed_in)}
                if kind == "milestone":
                    text = _(
                        "The exporter's “Yes” about the milestone came from network %(network)s, where a user of "
                        "%(startup)s signed in (last on %(last)s)."
                    )
                else:
                    said |= {"kind": CONTACT_WORDS.get(kind, kind), "day": _day(occurred_at, with_year=False)}
                    text = _(
                        "The exporter's “Yes” about the %(kind)s of %(day)s came from network %(network)s, where a "
                        "user of %(startup)s signed in (last on %(last)s)."
                    )
                yield event.pk, text % said


def too_fast(events: list[StageEvent]) -> Found:
    """Sent sooner after the exporter's assignment or previous stage than the stage can honestly take."""
    timed = [e for e in events if e.stage.earliest_after_minutes]
    if not timed:
        return
    assignments = Assignment.objects.filter(pk__in={e.assignment_id for e in timed if e.assignment_id})
    assigned = dict(assignments.values_list("pk", "assigned_at"))
    reached = defaultdict(list)
    exporter_ids = {e.exporter_id for e in timed}
    approved = StageEvent.objects.filter(status=StageEventStatus.APPROVED, exporter_id__in=exporter_ids)
    for exporter_id, at in approved.exclude(reviewed_at=None).values_list("exporter_id", "reviewed_at"):
        reached[exporter_id].append(at)
    for event in timed:
        starts = [(at, 0, "approved") for at in reached[event.exporter_id]]
        if event.assignment_id in assigned:
            starts.append((assigned[event.assignment_id], 1, "assigned"))
        starts = [start for start in starts if start[0] <= event.submitted_at]
        if not starts:
            continue
        since, _order, after_what = max(starts)
        least = timedelta(minutes=event.stage.earliest_after_minutes)
        if event.submitted_at - since < least:
            took = (
                timesince(since, event.submitted_at, depth=1) if event.submitted_at - since >= MINUTE else _("seconds")
            )
            needs = timesince(event.submitted_at - least, event.submitted_at, depth=2)
            if after_what == "approved":
                text = _("Sent %(took)s after the previous stage was approved; “%(stage)s” takes at least %(needs)s.")
            else:
                text = _("Sent %(took)s after the exporter was assigned; “%(stage)s” takes at least %(needs)s.")
            yield event.pk, text % {"took": took, "stage": event.stage, "needs": needs}


def burst(events: list[StageEvent]) -> Found:
    """The startup sent more than BURST_CLAIMS claims within an hour of this one."""
    ids = [e.pk for e in events if e.startup_id]
    if not ids:
        return
    same = StageEvent.objects.filter(startup_id=OuterRef("startup_id")).order_by().values("startup_id")
    at = OuterRef("submitted_at")
    before = same.filter(submitted_at__gt=at - BURST_WINDOW, submitted_at__lte=at)
    after = same.filter(submitted_at__gte=at, submitted_at__lt=at + BURST_WINDOW)
    counted = StageEvent.objects.filter(pk__in=ids).annotate(
        before=Subquery(before.annotate(n=Count("pk")).values("n")),
        after=Subquery(after.annotate(n=Count("pk")).values("n")),
    )
    by_pk = {e.pk: e for e in events}
    for pk, sent_before, sent_after in counted.values_list("pk", "before", "after"):
        most, when = max((sent_before or 0, "before"), (sent_after or 0, "after"))
        if most > BURST_CLAIMS:
            if when == "before":
                text = _("%(startup)s sent %(count)s claims within the hour before this one (this one included).")
            else:
                text = _("%(startup)s sent %(count)s claims within the hour after this one (this one included).")
            yield pk, text % {"startup": by_pk[pk].startup, "count": most}


def open_dispute(events: list[StageEvent]) -> Found:
    """The exporter disputes the claiming startup's work (until an officer resolves it)."""
    Dispute.objects.attach_blocking(events)
    for event in events:
        if dispute := event.dispute:
            yield event.pk, f"{dispute.staff_words()} {_('Open since %(date)s.') % {'date': _day(dispute.opened_at)}}"


def _burst_meaning() -> str:
    return _("The startup sent more than %(count)s claims within an hour: claims made in bulk deserve a look.") % {
        "count": BURST_CLAIMS
    }


# The kinds of contact an exporter confirms, as the explanations name them.
CONTACT_WORDS = {
    "call": gettext_lazy("call"),
    "visit": gettext_lazy("visit"),
    "training": gettext_lazy("training"),
}

# The registry: the order here is the order on the card and in the filter.
SIGNALS = [
    Signal(
        "same_file",
        gettext_lazy("Same file as another claim"),
        gettext_lazy(
            "A file of this claim has exactly the same content (SHA-256) as a file in a claim for another "
            "exporter, or in another startup's claim: one document sent as proof twice."
        ),
        same_file,
    ),
    Signal(
        "same_link",
        gettext_lazy("Link or reference claimed twice"),
        gettext_lazy(
            "The storefront or product link, or the member, order or other reference, is also in a claim for "
            "another exporter: one shop or order cannot belong to two exporters."
        ),
        same_link_or_reference,
    ),
    Signal(
        "shared_contact",
        gettext_lazy("Contact shared with another firm"),
        gettext_lazy(
            "The exporter's contact mobile or email is also on an exporter with another PAN: the questions "
            "and the status link may reach someone other than the exporter."
        ),
        shared_contact,
    ),
    Signal(
        "startup_network",
        gettext_lazy("Confirmed from the startup's network"),
        gettext_lazy(
            "The exporter's “Yes” came from a network a user of the claiming startup signed in from: the "
            "startup may have answered for the exporter. Shared office or mobile networks can explain it."
        ),
        answered_from_startup_network,
    ),
    Signal(
        "too_fast",
        gettext_lazy("Sent too soon"),
        gettext_lazy(
            "The evidence came sooner after the assignment or the previous stage than the stage can take "
            "(each stage's minimum is set by admins)."
        ),
        too_fast,
    ),
    Signal(
        "burst",
        gettext_lazy("Burst of claims"),
        lazy(_burst_meaning, str)(),
        burst,
    ),
    Signal(
        "open_dispute",
        gettext_lazy("Open dispute"),
        gettext_lazy(
            "The exporter said the startup's work did not happen, or that nobody has contacted them: the claim "
            "cannot be approved until an officer resolves the dispute."
        ),
        open_dispute,
    ),
]
SIGNAL_CHOICES = [(signal.code, signal.label) for signal in SIGNALS]


def signals_for(events: list[StageEvent], only: str = "") -> dict[int, list[Finding]]:
    """Claim id -> its findings, in SIGNALS order (`only`: that signal alone). The claims need
    their exporter, startup and stage loaded (StageEvent.objects.waiting() does)."""
    events = list(events)
    found: dict[int, list[Finding]] = defaultdict(list)
    if not events:
        return found
    for signal in SIGNALS:
        if only and signal.code != only:
            continue
        texts: dict[int, list[str]] = defaultdict(list)
        for pk, text in signal.find(events):
            if text not in texts[pk]:
                texts[pk].append(text)
        for pk, said in texts.items():
            if len(said) > SHOWN_PER_SIGNAL:
                more = _("… and %(count)s more like this.") % {"count": len(said) - SHOWN_PER_SIGNAL}
                said = [*said[:SHOWN_PER_SIGNAL], more]
            found[pk].extend(Finding(signal.code, signal.label, text) for text in said)
    return found


def attach_signals(events: list[StageEvent]) -> list[StageEvent]:
    """Set `signals` (a list of Finding) on each claim: what the review card shows."""
    found = signals_for(events)
    for event in events:
        event.signals = found.get(event.pk, [])
    return events


# What the signals read of every claim they look at, and what the list of signalled claims
# shows of each: the whole claim, exporter, startup and stage (100 columns) of every waiting
# claim was half of that list's time.
SIGNALLED_FIELDS = (
    *OTHER_CLAIM_FIELDS,
    "assignment_id",
    "evidence_url",
    "evidence_reference",
    "evidence_file",
    "evidence_file_name",
    "evidence_sha256",
    "exporter__gstin",
    "exporter__pan",
    "exporter__contact_mobile",
    "exporter__contact_email",
    "stage__earliest_after_minutes",
)


def signalled(queryset, only: str = "") -> list[StageEvent]:
    """The claims of `queryset` with at least one signal (`only`: that one), in its order,
    each with `signals` set and SIGNALLED_FIELDS read. Reads every claim of the queryset: meant
    for the waiting ones."""
    claims = queryset.select_related(None).select_related("exporter", "startup", "stage").prefetch_related(None)
    events = list(claims.only(*SIGNALLED_FIELDS))
    found = signals_for(events, only)
    for event in events:
        event.signals = found.get(event.pk, [])
    return [event for event in events if event.signals]
