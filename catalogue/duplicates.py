"""Likely duplicates of a record about to be created or renamed.

Two rules find them, on any model of records:

- **Similar name.** Names are compared after normalising: case, accents ("Genève" is "geneve"),
  "&" read as "and", punctuation and extra spaces ignored. PostgreSQL scores every name in the
  database with pg_trgm's trigram similarity; SQLite, which has no such function, narrows the
  candidates in SQL to names containing the beginning of a significant word of the new name and
  scores them in Python with `difflib`. Each engine's threshold lies just above the closest pair
  of distinct records in the seed catalogue under its own measure (`SIMILAR_NAME_THRESHOLD`).
- **Acronyms.** "GESDA" is an acronym of "Geneva Science and Diplomacy Anticipator": it splits
  into consecutive non-empty prefixes of the name's significant words, in order, GE(neva)
  S(cience) D(iplomacy) A(nticipator), a stop word ("and", "of", "the" …) giving a prefix or
  nothing. A short one-word name, or a record's acronym, is tried against the records whose name
  starts with its first letter and holds its other letters in order; a name of several words is
  tried the other way, against the records whose one-word name, or acronym, is made of its
  letters. Two records with the same acronym are likely duplicates too.

`likely_duplicates` runs at most three queries, whatever the size of the catalogue and the number
of matches.
"""

import dataclasses
import difflib
import enum
import functools
import re
import unicodedata

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connections, models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Length, Replace
from django.db.models.lookups import Exact

# The distinct records of the seed catalogue that look most alike score 0.63 under trigram
# similarity ("Government of the United Kingdom" and "… of the United States") and 0.86 under
# difflib's ratio (the 9th and 10th editions of the AAAS-TWAS course); a name differing from
# another by a typo, an article or an acronym in brackets scores 0.8 and 0.93 or more.
SIMILAR_NAME_THRESHOLD = {"postgresql": 0.65, "python": 0.87}
ACRONYM_SCORE = 0.9
SAME_ACRONYM_SCORE = 0.95
LONGEST_ACRONYM = 12
# SQLite narrows candidates to names containing the first letters of a significant word: enough
# to survive a typo or an accent further on in the word.
NARROWING_PREFIX_LENGTH = 4

# Linking words an acronym may skip, in the catalogue's languages ("für" once accents are gone).
# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to",
    "de", "del", "des", "du", "e", "el", "en", "et", "la", "le", "les", "y",
    "der", "di", "fur", "und",
})
# fmt: on
WORD = re.compile(r"[^\W_]+")
# Accents are the combining marks that canonical decomposition (NFD) splits off a letter; a few
# letters carry theirs inseparably.
COMBINING_MARKS = "[\u0300-\u036f]"
INSEPARABLE_ACCENTS = {"Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d"}
WITHOUT_INSEPARABLE_ACCENTS = str.maketrans(INSEPARABLE_ACCENTS)


class MatchReason(enum.StrEnum):
    SIMILAR_NAME = "similar name"
    SAME_ACRONYM = "same acronym"
    ACRONYM_OF_ITS_NAME = "acronym of its name"
    ITS_NAME_IS_AN_ACRONYM = "its name is an acronym of this name"
    ITS_ACRONYM_STANDS_FOR_THIS_NAME = "its acronym stands for this name"


@dataclasses.dataclass(frozen=True)
class LikelyDuplicate:
    record: models.Model
    score: float
    reason: MatchReason


def normalise(name: str) -> str:
    """`name` in lower case, without accents, "&" as "and", words separated by one space."""
    text = unicodedata.normalize("NFD", name.replace("&", " and "))
    text = re.sub(COMBINING_MARKS, "", text).translate(WITHOUT_INSEPARABLE_ACCENTS)
    return " ".join(WORD.findall(text.lower()))


def normalised_in_postgres(field: str) -> models.Expression:
    """`normalise(field)` as far as pg_trgm needs it: it ignores case and punctuation itself."""
    with_and = Replace(field, Value("&"), Value(" and "))
    without_accents = models.Func(
        models.Func(
            models.Func(with_and, template="NORMALIZE(%(expressions)s, NFD)"),
            Value(COMBINING_MARKS),
            Value(""),
            Value("g"),
            function="REGEXP_REPLACE",
        ),
        Value("".join(INSEPARABLE_ACCENTS)),
        Value("".join(INSEPARABLE_ACCENTS.values())),
        function="TRANSLATE",
        output_field=models.TextField(),
    )
    # Most names are ASCII; sparing them the decomposition saves a third of the query's time.
    is_ascii = Exact(
        models.Func(field, function="OCTET_LENGTH", output_field=models.IntegerField()),
        Length(field),
    )
    return Case(
        When(is_ascii, then=with_and), default=without_accents, output_field=models.TextField()
    )


def compact(text: str) -> str:
    """`text` normalised, without spaces: how acronyms are compared."""
    return "".join(normalise(text).split())


def is_acronym_of(acronym: str, name: str) -> bool:
    """Whether `acronym` splits into consecutive non-empty prefixes of the significant words of
    `name` (two or more of them), in order; a stop word gives a prefix or nothing."""
    return spells(compact(acronym), tuple(normalise(name).split()))


def spells(letters: str, words: tuple[str, ...]) -> bool:
    """`is_acronym_of` on a normalised acronym and name."""
    if not letters or sum(word not in STOP_WORDS for word in words) < 2:
        return False

    @functools.cache
    def spelled_from(start: int, word_index: int) -> bool:
        """Whether letters[start:] is spelled by words[word_index:]."""
        if word_index == len(words):
            return start == len(letters)
        word = words[word_index]
        if word in STOP_WORDS and spelled_from(start, word_index + 1):
            return True
        length = 1
        while start + length <= len(letters) and letters[start : start + length] == word[:length]:
            if spelled_from(start + length, word_index + 1):
                return True
            length += 1
        return False

    return spelled_from(0, 0)


def likely_duplicates(
    model: type[models.Model],
    name: str,
    *,
    acronym: str = "",
    exclude_pk=None,
    limit: int = 5,
) -> list[LikelyDuplicate]:
    """Records of `model` that `name` (and `acronym`) probably duplicates, best
    first: at most `limit`, never the record `exclude_pk`."""
    normalised = normalise(name)
    if not normalised:
        return []
    queryset = model._default_manager.order_by()
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    if connections[queryset.db].vendor == "postgresql":
        matches = similar_names_in_postgres(queryset, normalised, limit)
    else:
        matches = similar_names_in_python(queryset, normalised)
    for pk, score, reason in acronym_matches(queryset, normalised, compact(acronym)):
        if pk not in matches or matches[pk][0] < score:
            matches[pk] = (score, reason)
    if not matches:
        return []
    records = queryset.in_bulk(matches)
    duplicates = [
        LikelyDuplicate(record=records[pk], score=score, reason=reason)
        for pk, (score, reason) in matches.items()
    ]
    duplicates.sort(key=lambda duplicate: (-duplicate.score, duplicate.record.name))
    return duplicates[:limit]


def similar_names_in_postgres(
    queryset: models.QuerySet, normalised: str, limit: int
) -> dict[object, tuple[float, MatchReason]]:
    scored = (
        queryset.annotate(score=TrigramSimilarity(normalised_in_postgres("name"), normalised))
        .filter(score__gte=SIMILAR_NAME_THRESHOLD["postgresql"])
        .order_by("-score")
        .values_list("pk", "score")[:limit]
    )
    return {pk: (score, MatchReason.SIMILAR_NAME) for pk, score in scored}


def similar_names_in_python(
    queryset: models.QuerySet, normalised: str
) -> dict[object, tuple[float, MatchReason]]:
    words = normalised.split()
    significant = [word for word in words if word not in STOP_WORDS and len(word) > 2] or words
    sharing_a_word = Q()
    for word in significant:
        sharing_a_word |= Q(name__icontains=word[:NARROWING_PREFIX_LENGTH])
    threshold = SIMILAR_NAME_THRESHOLD["python"]
    # SequenceMatcher caches what it learns about its second sequence: the new name.
    matcher = difflib.SequenceMatcher(None, b=normalised, autojunk=False)
    matches = {}
    for pk, candidate in queryset.filter(sharing_a_word).values_list("pk", "name"):
        matcher.set_seq1(normalise(candidate))
        if (
            matcher.real_quick_ratio() >= threshold
            and matcher.quick_ratio() >= threshold
            and (score := matcher.ratio()) >= threshold
        ):
            matches[pk] = (score, MatchReason.SIMILAR_NAME)
    return matches


def acronym_matches(
    queryset: models.QuerySet, normalised: str, acronym: str
) -> list[tuple[object, float, MatchReason]]:
    """(pk, score, reason) of the records related by an acronym to the normalised name (or the
    compacted acronym) of a new record."""
    words = tuple(normalised.split())
    typed_acronyms = {
        letters
        for letters in (acronym, words[0] if len(words) == 1 else "")
        if 2 <= len(letters) <= LONGEST_ACRONYM
    }
    spelled_out = words if sum(word not in STOP_WORDS for word in words) >= 2 else ()
    candidates = Q()
    for letters in typed_acronyms:
        candidates |= Q(name__iregex="^" + ".*".join(letters)) | Q(acronym__iexact=letters)
    if spelled_out:
        initials = "".join(sorted(possible_initials(words)))
        letters_of_name = "".join(sorted(set("".join(words))))
        made_of_its_letters = f"^[{initials}][{letters_of_name}]{{1,{LONGEST_ACRONYM - 1}}}$"
        candidates |= Q(name__iregex=made_of_its_letters) | Q(acronym__iregex=made_of_its_letters)
    if not candidates:
        return []
    matches = []
    for pk, name, candidate_acronym in queryset.filter(candidates).values_list(
        "pk", "name", "acronym"
    ):
        match = acronym_match(typed_acronyms, spelled_out, name, candidate_acronym)
        if match is not None:
            matches.append((pk, *match))
    return matches


def possible_initials(words: tuple[str, ...]) -> set[str]:
    """The letters an acronym of these words may start with: that of the first significant word
    or of a stop word before it."""
    initials = set()
    for word in words:
        initials.add(word[0])
        if word not in STOP_WORDS:
            break
    return initials


def acronym_match(
    typed_acronyms: set[str],
    spelled_out: tuple[str, ...],
    candidate_name: str,
    candidate_acronym: str,
) -> tuple[float, MatchReason] | None:
    """The strongest acronym rule relating a new record to a candidate, if any."""
    candidate_words = tuple(normalise(candidate_name).split())
    candidate_acronyms = {compact(candidate_acronym)} - {""}
    if len(candidate_words) == 1:
        candidate_acronyms.add(candidate_words[0])
    if typed_acronyms & candidate_acronyms:
        return SAME_ACRONYM_SCORE, MatchReason.SAME_ACRONYM
    if any(spells(letters, candidate_words) for letters in typed_acronyms):
        return ACRONYM_SCORE, MatchReason.ACRONYM_OF_ITS_NAME
    if candidate_acronym and spells(compact(candidate_acronym), spelled_out):
        return ACRONYM_SCORE, MatchReason.ITS_ACRONYM_STANDS_FOR_THIS_NAME
    if len(candidate_words) == 1 and spells(candidate_words[0], spelled_out):
        return ACRONYM_SCORE, MatchReason.ITS_NAME_IS_AN_ACRONYM
    return None
