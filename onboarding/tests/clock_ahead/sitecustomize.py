"""The clock ahead, for the test command's second run of the time-sensitive tests.

`scripts/test.sh` puts this folder on PYTHONPATH, so every Python process of that run imports
this module as it starts: pytest, the Celery worker and beat, the commands a test starts. Each
travels PORTAL_CLOCK_AHEAD_SECONDS ahead with time-machine (400 days; for the unit, page and API
tests, to 00:00:30 IST on the day 400 days on), and its clock keeps ticking from there.
(libfaketime, which moves PostgreSQL's clock, breaks Python 3.11's timed waits here: `time.sleep`
fails with EINVAL and `Event.wait` never returns.) A test's own time-machine travel
nests inside this one and returns to it.
"""

import os

if seconds := os.environ.get("PORTAL_CLOCK_AHEAD_SECONDS"):
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(seconds=int(seconds)), tick=True).start()
