from django.urls import path

from onboarding.views import assignments, reports, startup_lifecycle, team

from .views import exporters, home, startups

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
    path("exporters/<int:pk>/", exporters.exporter_detail, name="exporter-detail"),
    path("exporters/<int:pk>/edit/", exporters.exporter_update_view, name="exporter-update"),
    # Issue 4: assignments, startup lifecycle, team, distribution report
    path("assignments/auto/", assignments.auto_assign_view, name="assignment-auto"),
    path("exporters/assign/", assignments.exporter_bulk_assign_view, name="exporter-bulk-assign"),
    path("exporters/<int:pk>/assign/", assignments.exporter_assign_view, name="exporter-assign"),
    path("exporters/<int:pk>/unassign/", assignments.exporter_unassign_view, name="exporter-unassign"),
    path("exporters/<int:pk>/decline/", assignments.assignment_decline_view, name="assignment-decline"),
    path("exporters/<int:pk>/agent/", assignments.exporter_hand_to_agent_view, name="exporter-hand-to-agent"),
    path("startups/<int:pk>/accepting/", startup_lifecycle.startup_accepting_view, name="startup-accepting"),
    path("startups/<int:pk>/status/", startup_lifecycle.startup_status_view, name="startup-status"),
    path("startups/<int:pk>/release/", startup_lifecycle.startup_release_view, name="startup-release"),
    path("team/", team.team_view, name="team"),
    path("team/<int:pk>/remove/", team.team_member_remove_view, name="team-member-remove"),
    path("reports/", reports.distribution_report, name="reports"),
]
