"""The catalogue's revision: one row whose token changes with every write to the catalogue."""

from django.db import models


class Revision(models.Model):
    """What is computed from the catalogue (facet counts, numbers of results) is kept in the
    cache under the current token, so a write, which draws a new one, retires all of it at once
    (catalogue/revision.py). The token is drawn at random rather than counted so that a write
    rolled back and another made after it never share one."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
