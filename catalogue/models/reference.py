"""Reference data: countries, SDGs, controlled vocabularies and the sources records cite."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from catalogue.constraints import FieldCheckConstraint
from catalogue.models.base import SlugManager
from catalogue.models.text import multi_line, single_line, web_address
from catalogue.partial_dates import (
    PartialDateField,
    PartialDateProperty,
    partial_date_constraints,
    precision_field,
)


class CountryManager(models.Manager):
    def get_by_natural_key(self, code: str):
        return self.get(code=code)


class Country(models.Model):
    """An ISO 3166-1 country or territory, placed in its UN M49 region and sub-region."""

    code = models.CharField(
        "ISO 3166-1 alpha-2 code",
        max_length=2,
        primary_key=True,
        validators=[RegexValidator(r"^[A-Z]{2}\Z", "Enter two capital letters, such as CH.")],
    )
    name = models.CharField(max_length=100, unique=True, validators=[single_line])
    numeric_code = models.CharField(
        "M49 / ISO numeric code",
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{3}\Z", "Enter three digits, such as 756.")],
    )
    region = models.CharField(
        "UN M49 region", max_length=50, blank=True, db_index=True, validators=[single_line]
    )
    sub_region = models.CharField(
        "UN M49 sub-region", max_length=50, blank=True, db_index=True, validators=[single_line]
    )

    objects = CountryManager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class SDGManager(models.Manager):
    def get_by_natural_key(self, number: int):
        return self.get(number=number)


class SDG(models.Model):
    """One of the 17 UN Sustainable Development Goals."""

    number = models.PositiveSmallIntegerField(
        primary_key=True, validators=[MinValueValidator(1), MaxValueValidator(17)]
    )
    name = models.CharField(max_length=100, unique=True, validators=[single_line])

    objects = SDGManager()

    class Meta:
        ordering = ["number"]
        verbose_name = "SDG"
        verbose_name_plural = "SDGs"
        constraints = [
            FieldCheckConstraint(
                field="number",
                condition=Q(number__gte=1, number__lte=17),
                name="catalogue_sdg_number_range",
                violation_error_message="There are 17 SDGs: enter a number from 1 to 17.",
            ),
        ]

    def __str__(self) -> str:
        return f"SDG {self.number}: {self.name}"

    def natural_key(self) -> tuple[int]:
        return (self.number,)


class Vocabulary(models.Model):
    """A term of a small controlled vocabulary, looked up by slug."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100, unique=True, validators=[single_line])
    description = models.TextField(blank=True, validators=[multi_line])

    objects = SlugManager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Theme(Vocabulary):
    """A subject area; curators may add themes."""


class Dimension(Vocabulary):
    """Science in diplomacy, diplomacy for science, science for diplomacy (Royal Society and
    AAAS, 2010)."""


class Driver(Vocabulary):
    """National interests, cross-border needs, global challenges (Gluckman et al., 2017)."""


class Audience(Vocabulary):
    """Who a course is for; curators may add audiences."""


class SourceKind(models.TextChoices):
    REPORT = "report", "report"
    ARTICLE = "article", "article"
    WEB_PAGE = "web_page", "web page"
    DATASET = "dataset", "dataset"
    LEGAL_TEXT = "legal_text", "legal text"


class Source(models.Model):
    """A document a record rests on."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=500, validators=[single_line])
    author = models.CharField(
        "author or publisher",
        max_length=300,
        validators=[single_line],
        help_text="Authors, or the publishing body.",
    )
    publisher = models.CharField(max_length=300, blank=True, validators=[single_line])
    kind = models.CharField(max_length=10, choices=SourceKind.choices, db_index=True)
    url = models.URLField("URL", max_length=500, blank=True, validators=[web_address])
    published_on = PartialDateField("published")
    published_on_precision = precision_field()
    accessed_on = models.DateField(
        "accessed", null=True, blank=True, help_text="When the online copy was last read."
    )
    note = models.TextField(blank=True, validators=[multi_line])

    objects = SlugManager()

    class Meta:
        ordering = ["title"]
        constraints = [*partial_date_constraints("published_on")]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    published = PartialDateProperty("published_on")
