"""manage.py curator_token: the API token with which a curator's (or a contributor's) scripts
write the catalogue."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from catalogue.management.commands.create_curator import CONTRIBUTORS_GROUP, CURATORS_GROUP


class Command(BaseCommand):
    help = (
        "Prints a curator's or a contributor's API token, creating it on first use. Send it as "
        "the header 'Authorization: Token <key>'; it writes what its user may write in admin. "
        "Refuses anyone who is not an active staff user in the Curators or Contributors group."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"There is no user named {username!r}.") from None
        is_editor = user.groups.filter(name__in=[CURATORS_GROUP, CONTRIBUTORS_GROUP]).exists()
        if not (user.is_active and user.is_staff and is_editor):
            raise CommandError(
                f"{username!r} is not a curator or a contributor (an active staff user in the "
                f"{CURATORS_GROUP} or {CONTRIBUTORS_GROUP} group); create one with "
                "manage.py create_curator."
            )
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
