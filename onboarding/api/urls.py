from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from . import views
from .auth import token_obtain

router = DefaultRouter()
router.register("startups", views.StartupViewSet, basename="startup")
router.register("exporters", views.ExporterViewSet, basename="exporter")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("stages", views.StageViewSet, basename="stage")
router.register("stage-events", views.StageEventViewSet, basename="stageevent")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("commissions", views.CommissionViewSet, basename="commission")

app_name = "api"

urlpatterns = [
    path("auth/token/", token_obtain, name="token"),
    *router.urls,
    # Anything else under /api/v1/ (e.g. `/exporters/1.5/`) is a 404 in the API's error shape, not a page.
    re_path(r"^.*/$", views.not_found, name="not-found"),
]
