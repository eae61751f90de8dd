"""Search terms: each search document turned inside out, one row per word with its share of the
rank, which searches read instead of PostgreSQL's GIN indexes of the documents (dropped) and
SQLite's FTS5 tables (migration 0016). `migrate` then fills them for the records there are
(`apps.build_missing_search_documents`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0014_texts_hold_no_control_characters"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActorSearchTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "record_id",
                        "lexeme",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("record_id", models.BigIntegerField()),
                ("lexeme", models.TextField()),
                ("score", models.FloatField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="AgreementSearchTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "record_id",
                        "lexeme",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("record_id", models.BigIntegerField()),
                ("lexeme", models.TextField()),
                ("score", models.FloatField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="CitySearchTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "record_id",
                        "lexeme",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("record_id", models.BigIntegerField()),
                ("lexeme", models.TextField()),
                ("score", models.FloatField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="CourseSearchTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "record_id",
                        "lexeme",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("record_id", models.BigIntegerField()),
                ("lexeme", models.TextField()),
                ("score", models.FloatField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="InitiativeSearchTerm",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "record_id",
                        "lexeme",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("record_id", models.BigIntegerField()),
                ("lexeme", models.TextField()),
                ("score", models.FloatField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.RemoveIndex(
            model_name="actorsearch",
            name="actorsearch_vector",
        ),
        migrations.RemoveIndex(
            model_name="agreementsearch",
            name="agreementsearch_vector",
        ),
        migrations.RemoveIndex(
            model_name="citysearch",
            name="citysearch_vector",
        ),
        migrations.RemoveIndex(
            model_name="coursesearch",
            name="coursesearch_vector",
        ),
        migrations.RemoveIndex(
            model_name="initiativesearch",
            name="initiativesearch_vector",
        ),
        migrations.AddIndex(
            model_name="actorsearchterm",
            index=models.Index(
                fields=["lexeme", "record_id", "score"],
                name="actorsearchterm_lexeme",
                opclasses=["text_pattern_ops", "int8_ops", "float8_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="agreementsearchterm",
            index=models.Index(
                fields=["lexeme", "record_id", "score"],
                name="agreementsearchterm_lexeme",
                opclasses=["text_pattern_ops", "int8_ops", "float8_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="citysearchterm",
            index=models.Index(
                fields=["lexeme", "record_id", "score"],
                name="citysearchterm_lexeme",
                opclasses=["text_pattern_ops", "int8_ops", "float8_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="coursesearchterm",
            index=models.Index(
                fields=["lexeme", "record_id", "score"],
                name="coursesearchterm_lexeme",
                opclasses=["text_pattern_ops", "int8_ops", "float8_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="initiativesearchterm",
            index=models.Index(
                fields=["lexeme", "record_id", "score"],
                name="initiativesearchterm_lexeme",
                opclasses=["text_pattern_ops", "int8_ops", "float8_ops"],
            ),
        ),
    ]
