"""The programme's aggregate figures, computed once and read by every dashboard request.

Counting every exporter on each dashboard request made it the slowest page under load;
one row read is constant work whatever the programme's size. The row is recomputed
after every change that moves exporters (queued on commit), every minute by beat (the
stalled figure moves with the clock alone), and by the page itself when it is missing,
too old (no worker running) or of another `SUMMARY_VERSION`: the page shows when it was
computed. Every figure in the row is named (`SummaryFigures`), so nothing is read by position.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# Raise it by hand whenever what the row holds changes (a figure added, renamed or counted
# differently): a row of another version, or of none (the positional rows stored before
# versions), is stale, recounted before it is read, never misread.
SUMMARY_VERSION = 3


@dataclass(frozen=True)
class StageCount:
    """Exporters of one state, current stage and status."""

    state: str
    stage_id: int | None
    status: str
    exporters: int
    assigned: int
    stalled: int


@dataclass(frozen=True)
class SectorCount:
    """Active exporters of one state and sector."""

    state: str
    sector_id: int | None
    exporters: int
    assigned: int


@dataclass(frozen=True)
class SummaryFigures:
    """What a summary row holds, as the readers use it; stored as JSON with its version."""

    breakdown: list[StageCount]
    spread: list[SectorCount]
    # The distribution report's figures that read every startup, each one's load among them, as
    # JSON, with the startups' fingerprint they were computed at (reports/distribution.py:
    # distribution_cells).
    distribution: dict

    def as_json(self) -> dict:
        return {
            "version": SUMMARY_VERSION,
            "breakdown": [asdict(row) for row in self.breakdown],
            "spread": [asdict(row) for row in self.spread],
            "distribution": self.distribution,
        }

    @classmethod
    def from_json(cls, stored: object) -> SummaryFigures | None:
        """The stored figures, or None when they are of another version (stale: recount)."""
        if not isinstance(stored, dict) or stored.get("version") != SUMMARY_VERSION:
            return None
        return cls(
            breakdown=[StageCount(**row) for row in stored["breakdown"]],
            spread=[SectorCount(**row) for row in stored["spread"]],
            distribution=stored["distribution"],
        )

    def load_of(self) -> dict[int, int]:
        """The exporters each startup held at the count (every startup holding any is among the
        distribution's rows)."""
        return {pk: load for pk, load, _percent in self.distribution["startups"] if load}


class ProgrammeSummary(models.Model):
    key = models.CharField(max_length=20, unique=True, default="programme")
    # When the computation began: every change committed before then is counted.
    as_of = models.DateTimeField()
    # `SummaryFigures.as_json()`: {"version": SUMMARY_VERSION, "breakdown": [{state, stage_id,
    # status, exporters, assigned, stalled}, …], "spread": [{state, sector_id, exporters,
    # assigned}, …], "distribution": {seen, startups: [[startup_id, load, percent], …], states,
    # sectors, histogram}}
    figures = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = _("programme summaries")

    def __str__(self) -> str:
        return f"Programme figures as of {self.as_of:%d %b %Y %H:%M}"

    @property
    def counts(self) -> SummaryFigures | None:
        """The figures by name; None when the row is stale (of another version)."""
        return SummaryFigures.from_json(self.figures)
