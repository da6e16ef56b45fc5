"""A claim's card in the review queue, written in Python (`{% review_card event %}`): a page of
25 cards through the template language (five templates a card) took 16 ms of the queue's 65,
and takes about 5 now. It writes the HTML the templates wrote (compared on a seeded queue when
it replaced them).

The card is the queue's row and what reviews.js swaps in after a decision (the view renders
`_review_card.html`, which calls this tag). Reject is the decision form's first button and its
default action: Enter in the note rejects (or, with no note, asks for one), never approves.
"""

from django import template
from django.template.defaultfilters import time as time_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..links import link
from .formats import country_names
from .lists import post_fields

register = template.Library()

CARD = (
    '<article class="card mb-2 review-card" id="claim-{pk}" tabindex="-1" data-review-card '
    'aria-labelledby="claim-{pk}-title"><div class="card-body py-2">{outcome}'
    '<div class="d-flex justify-content-between flex-wrap gap-1"><div class="form-check mb-0">{tick}'
    '<label class="form-check-label fw-semibold" for="tick-{pk}" id="claim-{pk}-title">{title}</label></div>'
    '<span class="badge {badge_tone}">{waiting}</span></div>{verdict}{signals}'
    '<div class="small text-muted mb-1">{startup} · {by} · GSTIN {gstin} · <a href="{exporter_url}">{exporter_page}</a>'
    '</div><div class="row g-2 small"><div class="col-md-4"><div class="text-muted">{asks}</div>'
    '<ul class="list-unstyled mb-1">{requirements}</ul></div><dl class="col-md-8 row mb-1 gx-2">{evidence}</dl></div>'
    "{check}{dispute}{decision}</div></article>"
)
TICK = (
    '<input class="form-check-input" type="checkbox" name="event" value="{}" form="bulk" id="tick-{}" data-review-tick>'
)
VERDICTS = {  # the exporter's word on the claim (views/parts.exporter_verdicts)
    "confirmed": ("text-bg-success", "hand-thumbs-up", gettext_lazy("Confirmed by exporter")),
    "denied": ("text-bg-danger", "flag", gettext_lazy("Denied by exporter")),
}
VERDICT = '<span class="badge {}"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>'
SIGNALS = (
    '<div class="alert alert-warning py-1 px-2 my-1 small" role="note" aria-labelledby="claim-{pk}-signals">'
    '<div class="fw-semibold" id="claim-{pk}-signals"><i class="bi bi-exclamation-triangle" aria-hidden="true">'
    '</i> {heading}</div><ul class="mb-1 ps-3">{findings}</ul><div class="text-muted">{meaning} '
    '<a href="{url}">{what}</a></div></div>'
)
EXTERNAL = '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>'
REQUIREMENT = '<li><i class="bi {}" aria-hidden="true"></i> {}<span class="visually-hidden"> {}</span></li>'
FACT = '<dt class="col-4 col-md-3">{}</dt><dd class="col-8 col-md-9{}">{}</dd>'
FILE_LINK = '<a href="{}" target="_blank" rel="noopener"><i class="bi bi-{}" aria-hidden="true"></i> {}</a>'
DOCUMENT_ICONS = {"pdf": "file-earmark-pdf", "image": "file-earmark-image"}
DECISION = (
    '<form method="post" class="row g-2" action="{reject_url}" data-review-form novalidate>{hidden}{unconfirmed}'
    '<div class="col-md-8"><label class="visually-hidden" for="note-{pk}">{note_label}</label>'
    '<input class="form-control form-control-sm{invalid}" id="note-{pk}" name="note" maxlength="2000" '
    'placeholder="{note_placeholder}"{described} data-review-note>{note_error}</div>'
    '<div class="col-md-4 d-flex gap-2">'
    '<button class="btn btn-outline-danger btn-sm flex-fill" type="submit" data-review-reject>{reject}</button>'
    '<button class="btn btn-success btn-sm flex-fill" type="submit" formaction="{approve_url}" '
    "data-review-approve{held}>{approve}</button></div>"
    '<p class="small text-muted mb-0 d-none" data-review-armed role="status">{armed}</p></form>'
)
UNCONFIRMED = (
    '<div class="col-12"><div class="alert alert-warning py-1 px-2 mb-1 small" id="unconfirmed-{pk}-why">{why}</div>'
    '<label class="form-label small mb-0" for="unconfirmed-{pk}">{label}</label>'
    '<input class="form-control form-control-sm" id="unconfirmed-{pk}" name="unconfirmed_reason" maxlength="500" '
    'aria-describedby="unconfirmed-{pk}-why" data-review-unconfirmed></div>'
)
UNDO = (
    '<form method="post" action="{url}" data-review-form class="d-flex align-items-center gap-2 flex-wrap">{hidden}'
    '<button class="btn btn-outline-secondary btn-sm" type="submit" data-review-undo>'
    '<i class="bi bi-arrow-counterclockwise" aria-hidden="true"></i> {undo}</button>'
    '<span class="small text-muted">{when}</span></form>'
)


def literal(text: str) -> SafeString:
    """A fixed text of the card in the reader's language, unescaped as a template writes its own
    translated texts (the catalogue is the project's): "exporter's", not "exporter&#x27;s"."""
    return mark_safe(text)


@register.simple_tag(takes_context=True)
def review_card(context, event) -> SafeString:
    """One claim's card: what was claimed, by whom, what the stage asks for and what came, the
    exporter's word and the fraud signals, then the decision (or, once decided, the note and
    the undo while it lasts). `event` is prepared by views/reviews.py (`_prepare`)."""
    pk = event.pk
    submitted = event.status == "submitted"
    return format_html(
        CARD,
        pk=pk,
        outcome=_alert(context.get("tone"), context.get("outcome")),
        tick=format_html(TICK, pk, pk) if submitted else "",
        title=_("“%(stage)s” for %(exporter)s") % {"stage": event.stage, "exporter": event.exporter},
        badge_tone="text-bg-warning" if event.waiting_days >= 3 else "text-bg-light",
        waiting=_waiting(event, submitted),
        verdict=_verdict(getattr(event, "exporter_verdict", None)),
        signals=_signals(event),
        startup=event.startup or _("Unassigned"),
        by=_("by %(person)s") % {"person": event.submitted_by} if event.submitted_by else _("sent automatically"),
        gstin=event.exporter.gstin,
        exporter_url=event.exporter.get_absolute_url(),
        exporter_page=_("exporter page"),
        asks=_("The stage asks for"),
        requirements=_requirements(event.requirements),
        evidence=_evidence(event),
        check=_check(event, submitted),
        dispute=_dispute(event),
        decision=_decision(context, event) if submitted else _decided(context, event),
    )


def _alert(tone, outcome) -> str:
    if not outcome:
        return ""
    return format_html('<div class="alert alert-{} py-1 px-2 mb-2 small" role="status">{}</div>', tone, outcome)


def _waiting(event, submitted: bool) -> str:
    if not submitted:
        return event.get_status_display()
    if event.waiting_days == 0:
        return _("waiting since today")
    days = event.waiting_days
    return ngettext("waiting %(counter)s day", "waiting %(counter)s days", days) % {"counter": localize(days)}


def _verdict(verdict: str) -> str:
    if verdict in VERDICTS:
        return format_html(VERDICT, *VERDICTS[verdict])
    if verdict == "no answer":
        return format_html('<span class="badge text-bg-light border">{}</span>', _("Exporter: no answer yet"))
    return ""


def _signals(event) -> str:
    """The claim's fraud signals: reasons to look closer, never a verdict."""
    if not getattr(event, "signals", None):
        return ""
    findings = format_html_join(
        "", '<li><span class="fw-semibold">{}:</span> {}</li>', ((f.label, f.text) for f in event.signals)
    )
    return format_html(
        SIGNALS,
        pk=event.pk,
        heading=_("Check before deciding"),
        findings=findings,
        meaning=_("Signals are reasons to look closer, not proof: nothing is refused because of them."),
        url=reverse("onboarding:review-signals"),
        what=_("What the signals mean"),
    )


def _requirements(requirements) -> str:
    if not requirements:
        return format_html("<li>{}</li>", literal(_("No evidence: a reviewer's judgement")))
    sent, missing = _("(sent)"), _("(missing)")
    return format_html_join(
        "",
        REQUIREMENT,
        (
            ("bi-check-circle text-success" if came else "bi-x-circle text-danger", label, sent if came else missing)
            for label, came in requirements
        ),
    )


def _evidence(event) -> str:
    """The facts the claim carries, each named; its file (a thumbnail for an image) and any
    further files without a checklist kind."""
    facts = []
    if event.evidence_url:
        facts.append((_("Link"), " text-break", format_html(EXTERNAL, event.evidence_url, event.evidence_url)))
    if event.evidence_number is not None:
        facts.append((_("Count"), "", localize(event.evidence_number)))
    if event.evidence_reference:
        facts.append((_("Reference"), " text-break", event.evidence_reference))
    if event.evidence_amount is not None:
        facts.append((_("Value"), "", f"USD {localize(event.evidence_amount)}"))
    if event.evidence_country:
        facts.append((_("Country"), "", country_names(event.evidence_country)))
    if event.evidence_date:
        facts.append((_("Date"), "", localize(event.evidence_date)))
    if event.evidence_file:
        facts.append((_("File"), " text-break", _file(event)))
    if event.note:
        facts.append((_("Note"), "", event.note))
    return format_html_join("", FACT, facts)


def _file(event) -> str:
    thumbnail = ""
    if event.file_kind == "image":
        alt = _("Evidence: %(name)s") % {"name": event.file_name}
        thumbnail = format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" class="img-thumbnail d-block mb-1 '
            'evidence-thumb" loading="lazy"></a>',
            event.download_url,
            event.download_url,
            alt,
        )
    icon = "file-earmark-pdf" if event.file_kind == "pdf" else "paperclip"
    further = format_html_join(
        "",
        '<br><a href="{}" target="_blank" rel="noopener"><i class="bi bi-paperclip" aria-hidden="true"></i> {}</a>',
        ((d.download_url, d.file_name) for d in event.documents.all() if not d.kind),
    )
    return format_html("{}{}{}", thumbnail, format_html(FILE_LINK, event.download_url, icon, event.file_name), further)


def _check(event, submitted: bool) -> str:
    """What the claim lacks (StageEvent.missing_evidence, on which the service refuses approval)
    and each document it carries, by kind."""
    parts = []
    if submitted and event.missing:
        count = len(event.missing)
        parts.append(
            format_html(
                '<div class="alert alert-warning py-1 px-2 mb-2 small" id="claim-{}-missing" data-review-missing>'
                '<i class="bi bi-exclamation-triangle" aria-hidden="true"></i> <strong>{}</strong> {}. {}</div>',
                event.pk,
                _("Missing:"),
                ", ".join(str(label) for label in event.missing),
                ngettext(
                    "It cannot be approved until the startup sends it: reject it with a note saying what to send.",
                    "It cannot be approved until the startup sends them: reject it with a note saying what to send.",
                    count,
                ),
            )
        )
    if event.checklist_documents:
        documents = format_html_join(
            "",
            '<li><span class="fw-semibold">{}:</span> ' + FILE_LINK + "</li>",
            (
                (d.kind_label, d.download_url, DOCUMENT_ICONS.get(d.file_kind, "paperclip"), d.file_name)
                for d in event.checklist_documents
            ),
        )
        parts.append(
            format_html(
                '<div class="small mb-2"><div class="text-muted">{}</div><ul class="list-unstyled mb-0">{}</ul></div>',
                _("Documents received"),
                documents,
            )
        )
    return mark_safe("".join(parts))  # each part built by format_html


def _dispute(event) -> str:
    dispute = event.dispute
    if not dispute:
        return ""
    until = _('It cannot be approved until the dispute is <a href="%(disputes_url)s#dispute-%(pk)s">resolved</a>.') % {
        "disputes_url": escape(reverse("onboarding:dispute-list")),
        "pk": dispute.pk,
    }
    return format_html(
        '<div class="alert alert-danger py-1 px-2 mb-2 small" id="dispute-note-{}"><i class="bi bi-flag" '
        'aria-hidden="true"></i> <strong>{}</strong> {} {}</div>',
        event.pk,
        _("Disputed:"),
        dispute.staff_words,
        mark_safe(until),  # the translated sentence's own link, around escaped values
    )


def _decision(context, event) -> str:
    pk = event.pk
    unconfirmed = ""
    if getattr(event, "contact_unconfirmed", False):
        unconfirmed = format_html(
            UNCONFIRMED,
            pk=pk,
            why=_(
                "The exporter has not confirmed a call or visit from this startup that reached them. To approve "
                "anyway, say why; the reason is kept on the claim and listed in the monthly report."
            ),
            label=literal(_("Approve without the exporter's confirmation because")),
        )
    error = event.note_error
    if event.dispute:
        held = format_html(' disabled aria-describedby="dispute-note-{}"', pk)
    elif event.missing:
        held = format_html(' disabled aria-describedby="claim-{}-missing"', pk)
    else:
        held = ""
    return format_html(
        DECISION,
        pk=pk,
        reject_url=link("onboarding:review-reject", pk),
        approve_url=link("onboarding:review-approve", pk),
        hidden=post_fields(context, context.get("here", "")),
        unconfirmed=unconfirmed,
        note_label=_("Note to the startup"),
        note_placeholder=_("Note to the startup (required to reject)"),
        invalid=" is-invalid" if error else "",
        described=format_html(' aria-invalid="true" aria-describedby="note-{}-error"', pk) if error else "",
        note_error=format_html('<div class="invalid-feedback" id="note-{}-error">{}</div>', pk, error) if error else "",
        reject=_("Reject"),
        approve=_("Approve"),
        held=held,
        armed=literal(_("Press <kbd>a</kbd> again to approve, <kbd>Esc</kbd> to cancel.")),
    )


def _decided(context, event) -> str:
    note = format_html('<p class="small mb-1">{}</p>', _("Note: %(note)s") % {"note": event.review_note})
    undo = ""
    if event.undoable:
        when = time_filter(timezone.localtime(event.undo_until), "H:i")
        undo = format_html(
            UNDO,
            url=link("onboarding:review-undo", event.pk),
            hidden=post_fields(context, context.get("here", "")),
            undo=_("Undo"),
            when=_("The startup is told at %(time)s unless you undo it before.") % {"time": when},
        )
    return format_html("{}{}", note if event.review_note else "", undo)
