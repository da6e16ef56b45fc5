from .activities import Activity
from .assignments import Assignment
from .commissions import Commission, CommissionRule
from .exporters import Exporter
from .imports import ImportBatch
from .reference import Sector
from .reminders import Reminder
from .stages import Stage, StageEvent
from .startups import Startup, StartupMember
from .summary import ProgrammeSummary
from .throttling import ThrottleHit
from .users import Role, User

__all__ = [
    "Activity",
    "Assignment",
    "Commission",
    "CommissionRule",
    "Exporter",
    "ImportBatch",
    "ProgrammeSummary",
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
