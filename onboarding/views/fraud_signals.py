"""The claims waiting for review that carry fraud signals, for officers: by signal, each
explained, with a link to the claim in the review queue."""

from __future__ import annotations

from collections import Counter

from django.shortcuts import render

from ..models import StageEvent
from ..pagination import paginate
from ..reports.fraud_signals import SIGNALS, signalled
from .access import staff_required

PER_PAGE = 50


@staff_required
def review_signals(request):
    """Waiting claims with signals, oldest first; `?kind=` keeps one signal (anything else: all)."""
    kind = request.GET.get("kind", "")
    kinds = {signal.code: signal for signal in SIGNALS}
    chosen = kinds.get(kind)
    claims = signalled(StageEvent.objects.waiting())
    counts = Counter(code for event in claims for code in {finding.kind for finding in event.signals})
    total = len(claims)
    if chosen is not None:
        claims = [event for event in claims if any(f.kind == chosen.code for f in event.signals)]
    context = {
        "page": paginate(request, claims, per_page=PER_PAGE),
        "signals": [(signal, counts[signal.code]) for signal in SIGNALS],
        "chosen": chosen,
        "total": total,
    }
    return render(request, "onboarding/review_signals.html", context)
