from django.db import models


class Sector(models.Model):
    """An HS section (I–XXI): the unit startups declare expertise in."""

    code = models.CharField(max_length=5, unique=True)  # Roman numeral
    name = models.CharField(max_length=120)
    first_chapter = models.PositiveSmallIntegerField()
    last_chapter = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["first_chapter"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
