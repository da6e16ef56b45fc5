from django.urls import path

from .views import exporters, home, imports, startups

app_name = "onboarding"

urlpatterns = [
    path("", home.home, name="home"),
    path("startups/", startups.startup_list, name="startup-list"),
    path("startups/new/", startups.startup_create_view, name="startup-create"),
    path("startups/<int:pk>/", startups.startup_detail, name="startup-detail"),
    path("startups/<int:pk>/edit/", startups.startup_update_view, name="startup-update"),
    path("startups/<int:pk>/members/new/", startups.startup_member_add_view, name="startup-member-add"),
    path("exporters/", exporters.exporter_list, name="exporter-list"),
    path("exporters/new/", exporters.exporter_create_view, name="exporter-create"),
    path("exporters/import/", imports.import_upload, name="exporter-import"),
    path("exporters/import/template.<str:kind>", imports.import_template, name="exporter-import-template"),
    path("exporters/import/<int:pk>/", imports.import_detail, name="exporter-import-detail"),
    path("exporters/import/<int:pk>/status.json", imports.import_status, name="exporter-import-status"),
    path("exporters/import/<int:pk>/errors.csv", imports.import_errors_csv, name="exporter-import-errors"),
    path("exporters/import/<int:pk>/commit/", imports.import_commit, name="exporter-import-commit"),
    path("exporters/<int:pk>/", exporters.exporter_detail, name="exporter-detail"),
    path("exporters/<int:pk>/edit/", exporters.exporter_update_view, name="exporter-update"),
]
