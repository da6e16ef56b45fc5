from django.urls import path

from .views import commissions, exporters, home, imports, progress, startups

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

# Listing progress: the work log, milestone evidence, reviews and the board (issue 5).
urlpatterns += [
    path("activities/", progress.activity_list, name="activity-list"),
    path("exporters/<int:pk>/log/", progress.exporter_log_work, name="exporter-log-work"),
    path("exporters/<int:pk>/submit/", progress.exporter_submit_stage, name="exporter-submit-stage"),
    path("exporters/<int:pk>/stage/", progress.exporter_set_stage_view, name="exporter-set-stage"),
    path("reviews/", progress.review_queue, name="review-queue"),
    path("reviews/<int:pk>/approve/", progress.review_decide, {"decision": "approve"}, name="review-approve"),
    path("reviews/<int:pk>/reject/", progress.review_decide, {"decision": "reject"}, name="review-reject"),
    path("board/", progress.board, name="board"),
    path("commissions/", commissions.commission_statement, name="commission-list"),
    path("commissions/rules/", commissions.commission_rules, name="commission-rules"),
    path("commissions/rules/<int:pk>/", commissions.commission_rules, name="commission-rule-edit"),
    path("commissions/<int:pk>/<str:action>/", commissions.commission_action, name="commission-action"),
]
