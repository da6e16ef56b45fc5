"""The programme's aggregate figures, computed once and read by every dashboard request.

Counting every exporter on each dashboard request made it the slowest page under load;
one row read is constant work whatever the programme's size. The row is recomputed
after every change that moves exporters (queued on commit), every minute by beat (the
stalled figure moves with the clock alone), and by the page itself when it is missing
or too old (no worker running): the page shows when it was computed.
"""

from __future__ import annotations

from django.db import models


class ProgrammeSummary(models.Model):
    key = models.CharField(max_length=20, unique=True, default="programme")
    # When the computation began: every change committed before then is counted.
    as_of = models.DateTimeField()
    # {"breakdown": [[state, stage id, status, n, assigned, stalled], …],
    #  "spread": [[state, sector id, active n, assigned], …], "loads": [[startup id, n], …]}
    figures = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "programme summaries"

    def __str__(self) -> str:
        return f"Programme figures as of {self.as_of:%d %b %Y %H:%M}"
