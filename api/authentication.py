"""How a script proves who it is: a token, which works only while its user writes the catalogue,
and whose failures count towards the sign-in lock-out as wrong passwords do (django-axes)."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.throttling import BaseThrottle

from catalogue.workflow import is_editor

# The user name under which failed token authentications from one address are counted.
TOKEN_CREDENTIALS = {"username": "(API token)"}


def client_address(request) -> str:
    """The client's address as the API's rate limits find it (`NUM_PROXIES`)."""
    return BaseThrottle().get_ident(request)


class EditorTokenAuthentication(TokenAuthentication):
    """A token of an active staff user in the Curators or Contributors group, as
    `manage.py curator_token` hands out: a user who leaves both groups (or staff) loses the
    token's reads of drafts and its writes at once, without anyone deleting it. An address that
    sent too many tokens that are not valid is refused (429) until its lock-out ends."""

    def authenticate(self, request):
        if "HTTP_AUTHORIZATION" not in request.META:
            return None
        if AxesProxyHandler.is_locked(request._request, TOKEN_CREDENTIALS):
            raise Throttled(
                wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                detail="Too many tokens that are not valid came from this address.",
            )
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            user_login_failed.send(
                sender=type(self), credentials=TOKEN_CREDENTIALS, request=request._request
            )
            raise

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not is_editor(user):
            raise AuthenticationFailed("This token's user is no longer a curator or a contributor.")
        return user, token
