"""Search documents: each record's words as PostgreSQL searches them, stored beside the record.

A record's search document is its `search_fields` (catalogue/search.py) turned into one weighted
`tsvector`, including the names of the records it is related to (an initiative's actors and
cities), kept current by `catalogue.search.update_search_vectors` whenever one of them is
written. It lives in a table of its own, one per kind of record like citations, rather than in a
column of the record: every read of a record (lists, exports, documents, validation) would
otherwise carry its vector along, and it is derived data, no part of the record's document,
history or API.

A search reads no document, though: each is also kept turned inside out, one row per word of the
record (`SearchTerm`, a table per kind), with what the word adds to the record's rank, so that a
search finds the records of its words, ranked, from one index alone. SQLite keeps only the terms
(stemmed in catalogue/search.py) and leaves the document tables empty.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.ddl_references import Statement

from catalogue.models.base import SlugManager
from catalogue.models.text import multi_line


class PostgresGinIndex(GinIndex):
    """A GIN index on PostgreSQL and nothing on other databases, which have no GIN: SQLite
    would refuse the index when it creates or rebuilds the table. (Migrations 0005 to 0015 held
    one on each search document.)"""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("")
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("")
        return super().remove_sql(model, schema_editor, **kwargs)


class SearchDocument(models.Model):
    """The weighted words of one record; a subclass per kind of record names it as `record`."""

    vector = SearchVectorField()

    class Meta:
        abstract = True
        # As admin lists it among what deleting a record deletes.
        verbose_name = "search document"

    def __str__(self) -> str:
        return str(self.record)


def search_document_of(record_model: str) -> models.OneToOneField:
    """The key of a search document: the record it holds the words of."""
    return models.OneToOneField(
        record_model, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )


class CitySearch(SearchDocument):
    record = search_document_of("catalogue.City")


class ActorSearch(SearchDocument):
    record = search_document_of("catalogue.Actor")


class InitiativeSearch(SearchDocument):
    record = search_document_of("catalogue.Initiative")


class CourseSearch(SearchDocument):
    record = search_document_of("catalogue.Course")


class AgreementSearch(SearchDocument):
    record = search_document_of("catalogue.Agreement")


class SearchTerm(models.Model):
    """One word (a stemmed lexeme) of one record's search document, and what it adds to the
    record's rank when a search matches it: `ts_rank`'s share of the word, from the weight and
    place of each of its occurrences (catalogue.search.TERM_SCORE). Rebuilt with the document.

    The index on (lexeme, record, score) is what a search reads: the lexemes a search word starts
    are neighbours in it, so the records and scores of a word are one range of one index, read
    without visiting the table (its columns are all keys, as SQLite has no included columns). No
    foreign key: a term is no part of its record, and deleting a record would otherwise list
    every one of its words among what it deletes."""

    pk = models.CompositePrimaryKey("record_id", "lexeme")
    record_id = models.BigIntegerField()
    lexeme = models.TextField()
    score = models.FloatField()

    class Meta:
        abstract = True
        indexes = [
            models.Index(
                fields=["lexeme", "record_id", "score"],
                opclasses=["text_pattern_ops", "int8_ops", "float8_ops"],
                name="%(class)s_lexeme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lexeme} ({self.record_id})"


class CitySearchTerm(SearchTerm):
    pass


class ActorSearchTerm(SearchTerm):
    pass


class InitiativeSearchTerm(SearchTerm):
    pass


class CourseSearchTerm(SearchTerm):
    pass


class AgreementSearchTerm(SearchTerm):
    pass


class SynonymGroup(models.Model):
    """Words and phrases a search takes for one another: spellings (centre, center), a name and
    its short form (EU, European Union). A search for one finds the records holding any of
    them (catalogue/search.py reads the groups as it reads a search, so an edit counts from the
    next search on, with no document rebuilt). Case and accents count for nothing."""

    slug = models.SlugField(max_length=100, unique=True)
    terms = models.TextField(
        validators=[multi_line],
        help_text="Two or more words or phrases, one a line, that mean the same to a search.",
    )
    note = models.TextField(
        blank=True, validators=[multi_line], help_text="Why they are synonyms, for curators."
    )

    objects = SlugManager()

    class Meta:
        ordering = ["slug"]
        verbose_name = "search synonym group"

    def __str__(self) -> str:
        return " = ".join(self.term_list())

    def clean(self) -> None:
        from catalogue.search import phrase_words

        terms = self.term_list()
        phrases = {phrase_words(term) for term in terms}
        if () in phrases:
            raise ValidationError({"terms": "Each line must hold a word."})
        if len(phrases) < 2:
            raise ValidationError(
                {"terms": "Enter at least two different words or phrases, one a line."}
            )
        for group in SynonymGroup.objects.exclude(pk=self.pk):
            theirs = {phrase_words(term) for term in group.term_list()}
            shared = [term for term in terms if phrase_words(term) in theirs]
            if shared:
                raise ValidationError(
                    {
                        "terms": f"“{shared[0]}” is already in the group “{group}” (as it is "
                        "or as another form of its words): a phrase belongs to one group only."
                    }
                )

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def term_list(self) -> list[str]:
        return [line.strip() for line in self.terms.splitlines() if line.strip()]
