"""Bearer-token authentication for the SCIM client. django-scim2 leaves authentication to Django
(its SCIMAuthCheckMiddleware only asks `request.user.is_authenticated`), so this sets
`request.user` before it: the benchmark's token makes the request a superuser's."""
import hmac

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from .models import User


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.expected = f"Bearer {settings.SCIM_BEARER_TOKEN}".encode()
        # An unsaved superuser: an identity for the client that is not itself a SCIM User row,
        # so it never shows up in /Users.
        self.client = User(username="scim-client", is_superuser=True, is_staff=True)

    def __call__(self, request):
        given = request.META.get("HTTP_AUTHORIZATION", "").encode()
        request.user = self.client if hmac.compare_digest(given, self.expected) else AnonymousUser()
        return self.get_response(request)
