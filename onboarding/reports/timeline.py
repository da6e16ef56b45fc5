"""An exporter's story, newest first: assignments, work, evidence and reviews, reminders,
field changes; each source filtered to what the viewer may see.

One query per source (bounded; none for a source the page found empty), merged in Python;
history rows are compared pairwise without a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ..models import (
    Activity,
    Assignment,
    ConfirmationRequest,
    Dispute,
    EvidenceDocument,
    Exporter,
    LinkUse,
    OutboxMessage,
    Stage,
    StageEvent,
    Startup,
    User,
)
from ..models.contact_changes import ContactChange, ContactChangeStatus
from ..models.exporter_link import ExporterLink
from ..models.stages import StageEventStatus
from ..reference import hs_words
from ..validators import country_name

IGNORED = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "id", "updated_at"}
PER_SOURCE = 50


@dataclass
class Entry:
    at: datetime
    icon: str
    title: str
    who: object = None
    detail: str = ""
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    tone: str = "secondary"
    files: list[tuple[str, str]] = field(default_factory=list)  # (protected download URL, file name)


# Labels people use for fields whose model names read like code.
# The other fields are named here too, with the same words their model gives them, so that
# they can be translated (their models name them only implicitly, from the field name).
LABELS = {
    "current_stage": gettext_lazy("Stage"),
    "stage_entered_at": gettext_lazy("In the stage since"),
    "sector": gettext_lazy("Sector (HS section)"),
    "storefront_url": gettext_lazy("Storefront URL"),
    "marketplace_member_id": gettext_lazy("Marketplace member ID"),
    "is_manufacturer": gettext_lazy("Manufacturer"),
    "contact_mobile": gettext_lazy("Contact mobile"),
    "contact_email": gettext_lazy("Contact email"),
    "legal_name": gettext_lazy("Legal name"),
    "trade_name": gettext_lazy("Trade name"),
    "state": gettext_lazy("State"),
    "district": gettext_lazy("District"),
    "contact_name": gettext_lazy("Contact name"),
    "products": gettext_lazy("Products"),
    "target_markets": gettext_lazy("Target markets"),
    "preferred_language": gettext_lazy("Preferred language"),
    "marketplace": gettext_lazy("Marketplace"),
    "products_listed": gettext_lazy("Products listed"),
    "startup": gettext_lazy("Startup"),
    "agent": gettext_lazy("Agent"),
    "status": gettext_lazy("Status"),
    "status_reason": gettext_lazy("Status reason"),
}


def field_changes(records: list) -> list[Entry]:
    """`records` newest first, as fetched; each compared with the one before it in time."""
    entries, raw = [], []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        if record.history_type == "+":
            entries.append(Entry(record.history_date, "plus-circle", _("Registered the exporter"), record.history_user))
            continue
        if previous is None:
            continue
        diff = []
        for model_field in record.instance_type._meta.fields:
            name = model_field.attname
            if name in IGNORED or not hasattr(record, name):
                continue
            before, after = getattr(previous, name), getattr(record, name)
            if before != after:
                diff.append((model_field, before, after))
        if diff:
            entry = Entry(record.history_date, "pencil", _("Changed the record"), record.history_user)
            entries.append(entry)
            raw.append((entry, diff))
    _describe(raw)
    return entries


def _describe(raw: list[tuple[Entry, list]]) -> None:
    """Fill each entry's changes in words: names for linked rows (one query per kind of row
    that changed, not per change), labels for choices, country and product names for lists."""
    linked: dict = {}
    for _entry, diff in raw:
        for model_field, before, after in diff:
            if model_field.is_relation:
                linked.setdefault(model_field.related_model, set()).update({before, after} - {None})
    names = {model: model._default_manager.in_bulk(list(ids)) for model, ids in linked.items()}
    for entry, diff in raw:
        for model_field, before, after in diff:
            label = LABELS.get(model_field.name, capfirst(str(model_field.verbose_name)))
            if model_field.is_relation:
                found = names[model_field.related_model]
                words = [str(found.get(value, "")) if value is not None else "" for value in (before, after)]
            else:
                words = [in_words(model_field, value) for value in (before, after)]
            entry.changes.append((label, *words))


def in_words(model_field, value) -> str:
    """One stored value as a person reads it."""
    if value in (None, "", []):
        return ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "j M Y, H:i")
    if model_field.name == "target_markets":
        return ", ".join(country_name(code) for code in value)
    if model_field.name == "products":
        return ", ".join(hs_words(code) for code in value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


# Sources most exporters have no row in. The exporter page reads, with the exporter itself,
# whether it has any (`with_sources`: an EXISTS each, off the exporter's index in each table),
# and the timeline skips the empty ones: building and running an empty source's query cost
# 1.2-2.2 ms, most of it Django's; for an exporter with none of them, 8 ms of the page's 37
# against 1.8 ms for the five EXISTS.
SOURCES = {
    "answers": lambda: ConfirmationRequest.objects.filter(exporter=OuterRef("pk"), answered_at__isnull=False),
    "link_uses": lambda: LinkUse.objects.filter(exporter=OuterRef("pk")),
    "disputes": lambda: Dispute.objects.filter(exporter=OuterRef("pk")),
    "contact_changes": lambda: ContactChange.objects.filter(exporter=OuterRef("pk")),
    "link_rotations": lambda: ExporterLink.history.filter(exporter_id=OuterRef("pk"), rotated_at__isnull=False),
}


@cache
def _source_checks() -> dict[str, Exists]:
    # Built once a process: an annotation resolves a copy of each, and building the five
    # subqueries' filters took 1.2 ms of every exporter page.
    return {f"has_{name}": Exists(rows()) for name, rows in SOURCES.items()}


def with_sources(exporters):
    """`exporters` with `has_<source>` for each of SOURCES: whether it has any row there, whoever
    may see it (the timeline still scopes what it reads)."""
    return exporters.annotate(**_source_checks())


def _has(exporter, source: str) -> bool:
    """Whether the timeline must read `source`: unless `with_sources` said it is empty."""
    return getattr(exporter, f"has_{source}", True)


def exporter_rows(exporter, viewer) -> tuple[list, list]:
    """The exporter's assignments (all) and contact changes (the newest PER_SOURCE) that `viewer`
    may see, newest first with the names the page shows: the exporter page reads them once for
    its panels and hands them to `exporter_timeline`. The waiting contact change is among them: a
    newer proposal replaces it (the constraint one_pending_contact_change). No query for the
    changes when `with_sources` found the exporter has none."""
    assignments = Assignment.objects.visible_to(viewer).filter(exporter=exporter).for_page()
    changes = ContactChange.objects.visible_to(viewer).filter(exporter=exporter).for_page()
    if not _has(exporter, "contact_changes"):
        changes = changes.none()
    return list(assignments), list(changes[:PER_SOURCE])


def exporter_timeline(exporter, viewer, *, assignments=None, contact_changes=None) -> list[Entry]:
    """What `viewer` may see of the exporter's story, newest first (at most PER_SOURCE a source).

    Staff see everything. A startup sees its own side only: its assignments (to it and
    from it), its own work, its own claims with their reviews and files, reminders sent
    to its people about it, and changes to the record since it got the exporter; never
    another startup's notes, evidence, people or reasons.

    `assignments` and `contact_changes`: `exporter_rows`, when the page has read them for its
    own panels; read here otherwise.
    """
    mine = None if viewer.is_programme_staff else viewer.active_membership.startup_id
    if assignments is None or contact_changes is None:
        assignments, contact_changes = exporter_rows(exporter, viewer)
    records = exporter.history.select_related("history_user").order_by("-history_date")
    if mine is not None:
        # The startup's open assignment (at most one an exporter, the newest when there is one).
        since = next((a.assigned_at for a in assignments if a.ended_at is None), None)
        records = records.filter(history_date__gte=since) if since else records.none()
    entries = [
        *_assignment_entries(assignments[:PER_SOURCE]),
        *_work_entries(exporter, mine),
        *_evidence_entries(exporter, mine),
        *_reminder_entries(exporter, mine),
        *_exporter_entries(exporter, mine),
        *_dispute_entries(exporter, mine),
        *_channel_entries(exporter, mine, contact_changes[:PER_SOURCE]),
        *field_changes(list(records[: PER_SOURCE + 1])),
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _own(queryset, startup_id: int | None):
    return queryset if startup_id is None else queryset.filter(startup_id=startup_id)


def _assignment_entries(assignments) -> list[Entry]:
    entries = []
    for a in assignments:
        title = _("Assigned to %(startup)s (%(how)s)") % {"startup": a.startup, "how": a.get_how_display().lower()}
        entries.append(Entry(a.assigned_at, "person-check", title, a.assigned_by, a.why, tone="primary"))
        if a.ended_at:
            title = _("Assignment to %(startup)s ended: %(reason)s") % {
                "startup": a.startup,
                "reason": a.get_end_reason_display(),
            }
            entries.append(Entry(a.ended_at, "person-dash", title, a.ended_by, a.end_note))
    return entries


def _work_entries(exporter, mine: int | None) -> list[Entry]:
    entries = []
    for act in _own(Activity.objects.filter(exporter=exporter), mine).select_related("user")[:PER_SOURCE]:
        minutes = " · " + _("%(minutes)s min") % {"minutes": act.duration_minutes} if act.duration_minutes else ""
        outcome = f" · {capfirst(act.outcome_words)}" if act.outcome_words else ""
        title = f"{act.get_kind_display()}{outcome}{minutes}"
        entry = Entry(act.occurred_at, "telephone", title, act.user, act.note)
        entry.files = [(act.download_url, act.file_name)] if act.attachment else []
        entries.append(entry)
    return entries


REVIEW_LOOK = {
    StageEventStatus.APPROVED: ("check-circle", gettext_lazy("“%(stage)s” approved"), "success"),
    StageEventStatus.REJECTED: ("x-circle", gettext_lazy("“%(stage)s” rejected"), "danger"),
    StageEventStatus.WITHDRAWN: ("slash-circle", gettext_lazy("“%(stage)s” withdrawn"), "secondary"),
}


# What a claim's entries show: the stage, the startup, who sent it and when, its note and
# files, and the review (who, when, what, why). Whole rows of the claim, its stage, startup and
# two people (83 columns) took longer to read than the query.
EVIDENCE_ENTRY_FIELDS = (
    *Stage.shown_as("stage"),
    *Startup.shown_as("startup"),
    *("submitted_at", "note", "evidence_file", "evidence_file_name", *User.shown_as("submitted_by")),
    *("status", "reviewed_at", "review_note", "unconfirmed_reason", *User.shown_as("reviewed_by")),
)


def _evidence_entries(exporter, mine: int | None) -> list[Entry]:
    """Claims with every file each carries (the first, then its further documents: one
    query for all of them), scoped alike: a document is its claim's startup's."""
    entries = []
    events = _own(StageEvent.objects.filter(exporter=exporter), mine)
    documents = EvidenceDocument.objects.all() if mine is None else EvidenceDocument.objects.for_startup(mine)
    events = events.select_related("stage", "startup", "submitted_by", "reviewed_by").only(*EVIDENCE_ENTRY_FIELDS)
    for event in events.prefetch_related(Prefetch("documents", queryset=documents))[:PER_SOURCE]:
        if event.startup_id and mine is None:
            title = _("Evidence for “%(stage)s” submitted by %(startup)s") % {
                "stage": event.stage,
                "startup": event.startup,
            }
        else:
            title = _("Evidence for “%(stage)s” submitted") % {"stage": event.stage}
        entry = Entry(event.submitted_at, "upload", title, event.submitted_by)
        entry.detail = event.note
        # A checklist document says what it is ("GST certificate: gst.pdf").
        entry.files = [
            (f.download_url, f"{f.kind_label}: {f.file_name}" if getattr(f, "kind", "") else f.file_name)
            for f in event.all_files()
        ]
        entries.append(entry)
        if event.reviewed_at and event.status in REVIEW_LOOK:
            icon, words, tone = REVIEW_LOOK[event.status]
            title, detail = str(words) % {"stage": event.stage}, event.review_note
            if event.unconfirmed_reason:  # approved before the exporter confirmed the contact
                title, tone = _("%(title)s without the exporter's confirmation") % {"title": title}, "warning"
                reason = _("Reason: %(reason)s") % {"reason": event.unconfirmed_reason}
                detail = " ".join(filter(None, [reason, detail]))
            entries.append(Entry(event.reviewed_at, icon, title, event.reviewed_by, detail, tone=tone))
    return entries


# What a reminder's entry shows: its kind, subject and when it went, and to whom. Not the ids
# of every exporter a digest covers, nor whole rows of the person and the exporter.
REMINDER_ENTRY_FIELDS = (
    *("kind", "subject", "sent_at", *User.shown_as("recipient"), *Exporter.shown_as("to_exporter")),
)


def _reminder_entries(exporter, mine: int | None) -> list[Entry]:
    """Staff see every reminder about the exporter; a startup those sent to its own people."""
    sent = OutboxMessage.objects.about(exporter.pk).filter(sent_at__isnull=False)
    reminders = _own(sent, mine).select_related("recipient", "to_exporter").only(*REMINDER_ENTRY_FIELDS)
    return [
        Entry(r.sent_at, "bell", f"{r.get_kind_display()} sent to {r.addressee}", detail=r.subject, tone="warning")
        for r in reminders[:PER_SOURCE]
    ]


def network_words(network: str) -> str:
    """A recorded network as staff read it: "From addresses 203.0.113.x" for the IPv4 /24 the
    portal keeps (the last number dropped for privacy), the network itself otherwise."""
    if network.endswith(".0/24"):
        return _("From addresses %(network)s") % {"network": network.removesuffix("0/24") + "x"}
    return _("From addresses in %(network)s") % {"network": network} if network else ""


def answered_from(confirmation) -> str:
    """Where an answer came from, for staff only: "From addresses … with …" ("" when not recorded)."""
    parts = [network_words(confirmation.answered_network)]
    agent = confirmation.answered_user_agent
    parts.append(_("with %(agent)s") % {"agent": agent} if agent else "")
    return " ".join(filter(None, parts))


ANSWER_LOOK = {"yes": ("hand-thumbs-up", "success"), "no": ("flag", "danger")}


def _exporter_entries(exporter, mine: int | None) -> list[Entry]:
    """The exporter's own voice: answers (staff, and the startup asked about), and each use
    of their status link with its network (staff only)."""
    entries = []
    answered = _own(ConfirmationRequest.objects.filter(exporter=exporter, answered_at__isnull=False), mine)
    if not _has(exporter, "answers"):
        answered = answered.none()  # read as empty without a query
    for c in answered.select_related("startup").order_by("-answered_at")[:PER_SOURCE]:
        icon, tone = ANSWER_LOOK.get(c.answer, ("question-circle", "secondary"))
        # The question in the reader's language where the exporter's page has it (English or Hindi).
        question = c.question("hi" if get_language() == "hi" else "en")
        title = _("Exporter answered “%(answer)s”: %(question)s") % {
            "answer": c.get_answer_display(),
            "question": question,
        }
        detail = c.comment if mine is not None else " · ".join(filter(None, [c.comment, answered_from(c)]))
        entries.append(Entry(c.answered_at, icon, title, detail=detail, tone=tone))
    if mine is None and _has(exporter, "link_uses"):
        for use in LinkUse.objects.filter(exporter=exporter)[:PER_SOURCE]:
            detail = network_words(use.network)
            if use.count > 1:
                detail = " · ".join(
                    filter(
                        None,
                        [
                            _("%(count)s times since %(time)s")
                            % {"count": use.count, "time": f"{timezone.localtime(use.first_at):%H:%M}"},
                            detail,
                        ],
                    )
                )
            title = _("Status link used: %(action)s") % {"action": use.action}
            entries.append(Entry(use.at, "link-45deg", title, detail=detail))
    return entries


def _dispute_entries(exporter, mine: int | None) -> list[Entry]:
    """Disputes about the exporter (staff: all; a startup: those about its work), opened and resolved."""
    entries = []
    if not _has(exporter, "disputes"):
        return entries
    disputes = _own(Dispute.objects.filter(exporter=exporter), mine).for_page()
    for d in disputes[:PER_SOURCE]:
        entries.append(Entry(d.opened_at, "flag", _("Dispute opened"), detail=d.staff_words(), tone="danger"))
        if d.resolved_at:
            title = _("Dispute resolved") if d.resolved_by else _("Dispute closed by the exporter")
            entries.append(Entry(d.resolved_at, "flag", title, d.resolved_by, d.resolution, tone="success"))
    return entries


CHANGE_ENDED = {
    ContactChangeStatus.CONFIRMED: (
        gettext_lazy("Contact change confirmed by the exporter: it now applies"),
        "check-circle",
        "success",
    ),
    ContactChangeStatus.APPROVED: (
        gettext_lazy("Contact change approved by programme staff: it now applies"),
        "check-circle",
        "success",
    ),
    ContactChangeStatus.REJECTED: (
        gettext_lazy("Contact change refused: the contact stays as it was"),
        "x-circle",
        "danger",
    ),
    ContactChangeStatus.SUPERSEDED: (
        gettext_lazy("Contact change not applied: replaced by a later change"),
        "slash-circle",
        "secondary",
    ),
}


def _channel_entries(exporter, mine: int | None, changes) -> list[Entry]:
    """The exporter's channel: contact changes proposed by a startup and how each ended
    (staff, and the startup that proposed it), and each time the status link was replaced,
    with why (staff only)."""
    entries = []
    for change in changes:
        title = _("Contact change proposed by %(startup)s: waits for the exporter or programme staff") % {
            "startup": change.startup
        }
        entries.append(Entry(change.proposed_at, "person-lines-fill", title, change.proposed_by, change.described()))
        if change.decided_at and change.status in CHANGE_ENDED:
            title, icon, tone = CHANGE_ENDED[change.status]
            entries.append(Entry(change.decided_at, icon, title, change.decided_by, change.described(), tone=tone))
    if mine is None and _has(exporter, "link_rotations"):
        replaced = ExporterLink.history.filter(exporter_id=exporter.pk, rotated_at__isnull=False)
        seen = set()
        for record in replaced.select_related("history_user").order_by("history_date")[:PER_SOURCE]:
            if record.rotated_at in seen:
                continue  # a later row for another reason (messages turned off, say)
            seen.add(record.rotated_at)
            title = _("Status link replaced: every link sent before no longer works")
            entries.append(
                Entry(
                    record.history_date, "arrow-repeat", title, record.history_user, record.history_change_reason or ""
                )
            )
    return entries
