from django.urls import path

from .views import exporters, home, startups
from .views import reminders as reminder_views

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
    path("reminders/", reminder_views.reminder_list, name="reminder-list"),
    path("account/preferences/", reminder_views.preferences, name="preferences"),
]
