"""Where startup users sign in from: the network of each sign-in, kept so that an exporter's
answer coming from the same network as the startup it is about can be shown to officers."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SignIn(models.Model):
    """One sign-in of a startup user: when, from which network (/24 or /48, never the full
    address), and the startup they were a member of then. Append-only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ins")
    # Copied at sign-in: a user who later moves to another startup still counts for the first.
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.CASCADE, related_name="+", db_index=False)
    at = models.DateTimeField()
    network = models.CharField(max_length=50)

    class Meta:
        ordering = ["-at"]
        indexes = [
            # The fraud signal asks "did a user of these startups sign in from these networks?".
            models.Index(fields=["network", "startup"], name="signin_network"),
            models.Index(fields=["user", "at"], name="signin_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} from {self.network} at {self.at:%d %b %Y %H:%M}"
