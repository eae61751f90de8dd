"""manage.py create_curator: a staff account in the Curators group, or with --contributor in the
Contributors group."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalogue.workflow import CONTRIBUTORS_GROUP, CURATORS_GROUP


class Command(BaseCommand):
    help = (
        "Creates a curator: a staff account in the Curators group, which may edit, publish and "
        "delete every record in admin but not manage user accounts. With --contributor, a "
        "contributor instead: in the Contributors group, which writes drafts and submits them "
        "for review. Asks for the password, or reads CURATOR_PASSWORD."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--contributor",
            action="store_true",
            help="Put the account in the Contributors group: it adds and changes drafts and "
            "submits them for review, but neither publishes nor deletes.",
        )

    def handle(self, *args, username: str, email: str, contributor: bool, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = os.environ.get("CURATOR_PASSWORD") or self.ask_password()
        user = User(username=username, email=email, is_staff=True)
        try:
            validate_password(password, user)
            user.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user.set_password(password)
        with transaction.atomic():
            user.save()
            user.groups.add(
                Group.objects.get(name=CONTRIBUTORS_GROUP if contributor else CURATORS_GROUP)
            )
        role = "Contributor" if contributor else "Curator"
        self.stdout.write(self.style.SUCCESS(f"{role} {username!r} created."))

    def ask_password(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return password
