"""How a script proves who it is: a token, which works only while its user writes the catalogue."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from catalogue.workflow import is_editor


class EditorTokenAuthentication(TokenAuthentication):
    """A token of an active staff user in the Curators or Contributors group, as
    `manage.py curator_token` hands out: a user who leaves both groups (or staff) loses the
    token's reads of drafts and its writes at once, without anyone deleting it."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not is_editor(user):
            raise AuthenticationFailed("This token's user is no longer a curator or a contributor.")
        return user, token
