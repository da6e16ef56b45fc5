from .activities import Activity
from .assignments import Assignment
from .bank_accounts import BankAccount
from .commissions import Commission, CommissionRule, CommissionTotal
from .contact_changes import ContactChange
from .disputes import Dispute
from .exporter_link import ConfirmationRequest, ExporterLink, LinkUse
from .exporters import Exporter
from .imports import ImportBatch
from .notifications import Notification
from .outbox import OutboxMessage
from .outcomes import ExporterJourney, MonthlyReport, OutcomeRefresh, OutcomeSummary
from .payouts import Payout, PayoutLine, PayoutRun
from .reference import Sector
from .sign_ins import SignIn
from .stages import EvidenceDocument, Stage, StageEvent
from .startups import Startup, StartupMember
from .summary import ProgrammeSummary
from .tax_rules import TaxRule
from .throttling import ThrottleHit
from .two_factor import SecondStepWait
from .users import Language, Role, User

__all__ = [
    "Activity",
    "Assignment",
    "BankAccount",
    "Commission",
    "CommissionRule",
    "CommissionTotal",
    "ConfirmationRequest",
    "ContactChange",
    "Dispute",
    "EvidenceDocument",
    "Exporter",
    "ExporterJourney",
    "ExporterLink",
    "ImportBatch",
    "Language",
    "LinkUse",
    "MonthlyReport",
    "Notification",
    "OutboxMessage",
    "OutcomeRefresh",
    "OutcomeSummary",
    "Payout",
    "PayoutLine",
    "PayoutRun",
    "ProgrammeSummary",
    "Role",
    "SecondStepWait",
    "Sector",
    "SignIn",
    "Stage",
    "StageEvent",
    "Startup",
    "StartupMember",
    "TaxRule",
    "ThrottleHit",
    "User",
]
