"""`POST /api/v1/auth/token/`: email and password in, a new API token out.

The key is django-rest-knox's: only its SHA-512 digest is stored, it expires after API_TOKEN_DAYS
and its owner can revoke it at /account/api/. Credentials go through Django's `authenticate()`,
so django-axes counts failures and locks out exactly as on the sign-in page; an account with
two-factor sign-in also sends its code, and one that must use two-factor sign-in but has not set
it up gets no token (services/users.py `api_token_create`). The body is closed: any other field
is a 400 naming it, before the password is even checked.
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services.users import api_token_create, user_two_factor_verify
from .binding import unknown_fields


class TokenRequestSerializer(AuthTokenSerializer):
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Two-factor code (authenticator app or a recovery code): required when the account has it on.",
    )

    def to_internal_value(self, data):
        if hasattr(data, "keys") and (unknown := unknown_fields(data.keys(), self.fields)):
            raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if user.two_factor_enabled:
            # The password alone must not hand out a token that skips the second step.
            if not attrs.get("code"):
                raise serializers.ValidationError({"code": ["This account signs in with two-factor: send `code`."]})
            try:
                user_two_factor_verify(
                    user=user, code=attrs["code"].strip(), address=get_client_ip_address(self.context["request"])
                )
            except DjangoValidationError as refused:
                raise serializers.ValidationError({"code": refused.message_dict["code"]}) from None
        return attrs


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`. It is shown only once.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")


class TokenObtainView(APIView):
    """Issue an API token for the email address (`username`) and password."""

    permission_classes = []
    throttle_classes = []
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        request=TokenRequestSerializer,
        responses=IssuedTokenSerializer,
        operation_id="auth_token_create",
        description=(
            "Issue an API token for the email address (`username`) and password, plus `code` when the account "
            "has two-factor sign-in. A 400 when the account must use two-factor sign-in and has not set it up, "
            "when it already holds API_TOKENS_PER_USER live tokens, or when the body has any other field."
        ),
    )
    def post(self, request):
        # The plain HttpRequest, not DRF's wrapper: django-axes marks a lockout on the request it is
        # given, and its middleware reads the mark there to answer 429 instead of a bare 400.
        serializer = TokenRequestSerializer(data=request.data, context={"request": request._request})
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(user=serializer.validated_data["user"])
        return Response(IssuedTokenSerializer({"token": key, "expiry": token.expiry}).data)


token_obtain = TokenObtainView.as_view()
