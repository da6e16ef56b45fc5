"""`POST /api/v1/auth/token/`: email and password in, a new API token out.

The key is django-rest-knox's: only its SHA-512 digest is stored, it expires after API_TOKEN_DAYS
and its owner can revoke it at /account/api/. Credentials go through Django's `authenticate()`,
so django-axes counts failures and locks out exactly as on the sign-in page.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services.users import api_token_create


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`. It is shown only once.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")


class TokenObtainView(APIView):
    """Issue an API token for the email address (`username`) and password."""

    permission_classes = []
    throttle_classes = []
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(request=AuthTokenSerializer, responses=IssuedTokenSerializer, operation_id="auth_token_create")
    def post(self, request):
        # The plain HttpRequest, not DRF's wrapper: django-axes marks a lockout on the request it is
        # given, and its middleware reads the mark there to answer 429 instead of a bare 400.
        serializer = AuthTokenSerializer(data=request.data, context={"request": request._request})
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(user=serializer.validated_data["user"])
        return Response(IssuedTokenSerializer({"token": key, "expiry": token.expiry}).data)


token_obtain = TokenObtainView.as_view()
