from .activities import Activity
from .assignments import Assignment
from .commissions import Commission, CommissionRule
from .exporters import Exporter
from .imports import ImportBatch
from .notifications import Notification
from .reference import Sector
from .reminders import Reminder
from .stages import EvidenceDocument, Stage, StageEvent
from .startups import Startup, StartupMember
from .throttling import ThrottleHit
from .users import Role, User

__all__ = [
    "Activity",
    "Assignment",
    "Commission",
    "CommissionRule",
    "EvidenceDocument",
    "Exporter",
    "ImportBatch",
    "Notification",
    "Reminder",
    "Role",
    "Sector",
    "Stage",
    "StageEvent",
    "Startup",
    "StartupMember",
    "ThrottleHit",
    "User",
]
