from django.urls import path
from django.views.generic import RedirectView

from .views import (
    account,
    analytics,
    assignments,
    bank_accounts,
    commissions,
    disputes,
    exporter_link,
    exporters,
    files,
    fraud_signals,
    home,
    imports,
    language,
    notifications,
    outbox,
    payouts,
    preferences,
    progress,
    reports,
    reviews,
    startups,
    team,
    two_factor,
)

app_name = "onboarding"

urlpatterns = [
    path("", home.home, name="home"),
    path("startups/", startups.startup_list, name="startup-list"),
    path("startups/new/", startups.startup_create_view, name="startup-create"),
    path("startups/<int:pk>/", startups.startup_detail, name="startup-detail"),
    path("startups/<int:pk>/edit/", startups.startup_update_view, name="startup-update"),
    path("startups/<int:pk>/bank/", bank_accounts.startup_bank, name="startup-bank"),
    path("startups/<int:pk>/bank/confirm/", bank_accounts.startup_bank_confirm, name="startup-bank-confirm"),
    path("startups/<int:pk>/members/new/", startups.startup_member_add_view, name="startup-member-add"),
    path("exporters/", exporters.exporter_list, name="exporter-list"),
    path("exporters/new/", exporters.exporter_create_view, name="exporter-create"),
    path("exporters/lookup.json", exporters.exporter_lookup, name="exporter-lookup"),
    path("exporters/import/", imports.import_upload, name="exporter-import"),
    path("exporters/import/template.<str:kind>", imports.import_template, name="exporter-import-template"),
    path("exporters/import/<int:pk>/", imports.import_detail, name="exporter-import-detail"),
    path("exporters/import/<int:pk>/status.json", imports.import_status, name="exporter-import-status"),
    path("exporters/import/<int:pk>/errors.csv", imports.import_errors_csv, name="exporter-import-errors"),
    path("exporters/import/<int:pk>/commit/", imports.import_commit, name="exporter-import-commit"),
    path("exporters/import/<int:pk>/discard/", imports.import_discard, name="exporter-import-discard"),
    path("exporters/<int:pk>/", exporters.exporter_detail, name="exporter-detail"),
    path("exporters/<int:pk>/edit/", exporters.exporter_update_view, name="exporter-update"),
    path("exporters/<int:pk>/contact/", exporters.exporter_contact_view, name="exporter-contact"),
    path(
        "contact-changes/<int:pk>/approve/",
        exporters.contact_change_decide_view,
        {"decision": "approve"},
        name="contact-change-approve",
    ),
    path(
        "contact-changes/<int:pk>/refuse/",
        exporters.contact_change_decide_view,
        {"decision": "refuse"},
        name="contact-change-refuse",
    ),
    # Assignments, startup lifecycle, team, distribution report
    path("assignments/auto/", assignments.auto_assign_view, name="assignment-auto"),
    path("assignments/auto/applied/<str:batch>/", assignments.auto_assign_batch_view, name="assignment-auto-batch"),
    path("assignments/auto/applied/<str:batch>/undo/", assignments.auto_assign_undo_view, name="assignment-auto-undo"),
    path("exporters/assign/", assignments.exporter_bulk_assign_view, name="exporter-bulk-assign"),
    path("exporters/<int:pk>/assign/", assignments.exporter_assign_view, name="exporter-assign"),
    path("exporters/<int:pk>/unassign/", assignments.exporter_unassign_view, name="exporter-unassign"),
    path("exporters/<int:pk>/decline/", assignments.assignment_decline_view, name="assignment-decline"),
    path("exporters/<int:pk>/agent/", assignments.exporter_hand_to_agent_view, name="exporter-hand-to-agent"),
    path("startups/<int:pk>/accepting/", startups.startup_accepting_view, name="startup-accepting"),
    path("startups/<int:pk>/status/", startups.startup_status_view, name="startup-status"),
    path("startups/<int:pk>/release/", startups.startup_release_view, name="startup-release"),
    path("team/", team.team_view, name="team"),
    path("team/<int:pk>/remove/", team.team_member_remove_view, name="team-member-remove"),
    path("team/<int:pk>/invite/", team.team_member_reinvite_view, name="team-member-reinvite"),
    path("reports/", reports.distribution_report, name="reports"),
]

# Analytics: outcomes the programme is judged by, and the frozen monthly packs.
urlpatterns += [
    path("reports/milestones/", analytics.milestones, name="analytics-milestones"),
    path("reports/trends/", analytics.trends, name="analytics-trends"),
    path("reports/scorecards/", analytics.scorecards_view, name="analytics-scorecards"),
    path("reports/outcomes/", analytics.outcomes, name="analytics-outcomes"),
    path("reports/monthly/", analytics.monthly_reports, name="analytics-monthly"),
    path("reports/monthly/<int:pk>/<str:kind>/", analytics.monthly_report_file, name="analytics-monthly-file"),
]

# Listing progress: the work log, milestone evidence, reviews, the board and commissions.
urlpatterns += [
    path("activities/", progress.activity_list, name="activity-list"),
    path("exporters/<int:pk>/log/", progress.exporter_log_work, name="exporter-log-work"),
    path("exporters/<int:pk>/submit/", progress.exporter_submit_stage, name="exporter-submit-stage"),
    path("exporters/<int:pk>/stage/", progress.exporter_set_stage_view, name="exporter-set-stage"),
    path("reviews/", reviews.review_queue, name="review-queue"),
    path("reviews/signals/", fraud_signals.review_signals, name="review-signals"),
    path("reviews/<int:pk>/approve/", reviews.review_decide, {"decision": "approve"}, name="review-approve"),
    path("reviews/<int:pk>/reject/", reviews.review_decide, {"decision": "reject"}, name="review-reject"),
    path("reviews/<int:pk>/undo/", reviews.review_undo, name="review-undo"),
    path("reviews/undo/", reviews.review_undo_bulk, name="review-undo-bulk"),
    path("disputes/", disputes.dispute_list, name="dispute-list"),
    path("disputes/<int:pk>/resolve/", disputes.dispute_resolve_view, name="dispute-resolve"),
    path("board/", progress.board, name="board"),
    path("commissions/", commissions.commission_statement, name="commission-list"),
    path("commissions/rules/", commissions.commission_rules, name="commission-rules"),
    path("commissions/approve/", commissions.commission_approve_matching, name="commission-approve-matching"),
    path("commissions/payouts/", payouts.payout_list, name="payout-list"),
    path("commissions/payouts/<int:pk>/", payouts.payout_run, name="payout-run"),
    path("commissions/payouts/<int:pk>/bank-file.csv", payouts.payout_bank_file, name="payout-bank-file"),
    path("commissions/payouts/<int:pk>/bank-response/", payouts.payout_bank_response, name="payout-bank-response"),
    path("commissions/payouts/tds/", payouts.payout_tds, name="payout-tds"),
    path("commissions/payouts/statements/<int:pk>/pay/", payouts.payout_pay_view, name="payout-pay"),
    path("commissions/payouts/statements/<int:pk>.<str:kind>", payouts.payout_statement, name="payout-statement"),
    path("commissions/rules/<int:pk>/", commissions.commission_rules, name="commission-rule-edit"),
    path("commissions/<int:pk>/<str:action>/", commissions.commission_action, name="commission-action"),
]

# The outbox and the people's email preferences.
urlpatterns += [
    path("outbox/", outbox.outbox_list, name="outbox"),
    path("outbox/<int:pk>/resend/", outbox.outbox_resend_view, name="outbox-resend"),
    # Its address before it was called the outbox: links in emails already sent still work.
    path("reminders/", RedirectView.as_view(pattern_name="onboarding:outbox", permanent=True, query_string=True)),
    # Uploaded files, each checked against who may see its record.
    path("files/evidence/<int:pk>/", files.evidence_file, name="file-evidence"),
    path("files/work/<int:pk>/", files.activity_file, name="file-activity"),
    path("files/evidence-documents/<int:pk>/", files.evidence_document_file, name="file-evidence-document"),
    path("account/preferences/", preferences.preferences, name="preferences"),
    path("language/", language.switch, name="language"),
    path("notifications/", notifications.notification_list, name="notification-list"),
    path("notifications/read/", notifications.notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification-open"),
]

# A person's API tokens.
urlpatterns += [
    path("account/api/", account.api_access, name="account-api"),
    path("account/api/new/", account.api_token_create_view, name="account-api-token-create"),
    path("account/api/revoke-all/", account.api_tokens_revoke_all_view, name="account-api-revoke-all"),
    path("account/api/<str:digest>/revoke/", account.api_token_revoke_view, name="account-api-token-revoke"),
]

# Two-factor sign-in: set up, recovery codes, and the code after the password.
urlpatterns += [
    path("account/two-factor/", two_factor.two_factor, name="two-factor"),
    path("account/two-factor/start/", two_factor.two_factor_start, name="two-factor-start"),
    path("account/two-factor/confirm/", two_factor.two_factor_confirm, name="two-factor-confirm"),
    path("account/two-factor/codes/", two_factor.two_factor_codes, name="two-factor-codes"),
    path("account/two-factor/disable/", two_factor.two_factor_disable, name="two-factor-disable"),
    path("account/two-factor/verify/", two_factor.two_factor_verify, name="two-factor-verify"),
]

# The exporter in the loop: their status page by signed link (public, no account), and the
# link's actions on the exporter page.
urlpatterns += [
    path("e/<str:token>/", exporter_link.exporter_status, name="exporter-status"),
    path("s/<str:code>/", exporter_link.exporter_status_short, name="exporter-status-short"),
    path("exporters/<int:pk>/link/resend/", exporter_link.exporter_link_resend_view, name="exporter-link-resend"),
    path("exporters/<int:pk>/link/rotate/", exporter_link.exporter_link_rotate_view, name="exporter-link-rotate"),
]
