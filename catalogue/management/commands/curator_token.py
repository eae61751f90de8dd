"""manage.py curator_token: the API token with which a curator's (or a contributor's) scripts
write the catalogue."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from catalogue.workflow import CONTRIBUTORS_GROUP, CURATORS_GROUP, is_editor


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
        if not is_editor(user):
            raise CommandError(
                f"{username!r} is not a curator or a contributor (an active staff user in the "
                f"{CURATORS_GROUP} or {CONTRIBUTORS_GROUP} group); create one with "
                "manage.py create_curator."
            )
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
