from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from onboarding.views.health import healthz
from onboarding.views.metrics import metrics
from onboarding.views.throttling import password_reset_view

urlpatterns = [
    # Django's password-reset confirmation doubles as "choose your password" for
    # invited members, and signs them straight in afterwards.
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            post_reset_login=True, post_reset_login_backend="django.contrib.auth.backends.ModelBackend"
        ),
        name="password_reset_confirm",
    ),
    # Django's reset request, limited per email and per client address (views/throttling.py).
    path("accounts/password_reset/", password_reset_view, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Prometheus only: a token or an allowed address, else 404 (docs/operations.md#metrics).
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("onboarding.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as a file: the CSP allows no inline script.
    # Both for signed-in people and integrations only (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]);
    # the docs page, a browser's, sends an anonymous visitor to sign in.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")),
        name="api-docs",
    ),
    path("", include("onboarding.urls")),
]
