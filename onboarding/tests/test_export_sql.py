"""CSV downloads written by PostgreSQL (reports/export_sql.py) are the Python writer's files,
cell for cell: every list's columns, with the cells that are easy to get wrong (formula starts,
phone numbers, quotes, commas and new lines, empty and missing values, Hindi, unknown codes,
times in the portal's zone), in English and in Hindi; and the list page serves them, scoped."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from ..models import Activity, Assignment, Commission, Exporter, OutboxMessage, StageEvent, Startup
from ..reports import exports
from ..reports.export_sql import copied_csv
from ..services.progress import activity_log
from ..spreadsheets import csv_stream
from .factories import ExporterFactory, assign

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


LISTS = {
    "exporters": (Exporter.objects.for_list, exports.EXPORTERS),
    "startups": (Startup.objects.with_load, exports.STARTUPS),
    "work log": (Activity.objects.all, exports.ACTIVITIES),
    "reviews": (StageEvent.objects.all, exports.REVIEWS),
    "commissions": (Commission.objects.all, exports.COMMISSIONS),
    "outbox": (OutboxMessage.objects.with_exporter_count, exports.OUTBOX),
    "assignments": (Assignment.objects.all, exports.ASSIGNMENTS),
}


def rows_of(pieces) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"), newline="")))


def python_csv(queryset, columns) -> list[list[str]]:
    return rows_of(csv_stream([column.label for column in columns], exports.export_rows(queryset, columns)))


@pytest.fixture
def awkward(startup_a, agent_a, officer, exporter_a):
    """Rows whose cells are easy to get wrong."""
    tricky = assign(ExporterFactory(legal_name="Plain Exports LLP"), startup_a, stage_code="storefront_live")
    Exporter.objects.filter(pk=tricky.pk).update(
        legal_name='=HYPERLINK("http://evil.example","click")',
        trade_name="",
        district='Quote "here", and a comma',
        products=["-61", "6109", "6110", "6111", "6112", "6113", "6114", "6115"],  # longer than a short list
        contact_mobile="+919812345678",
        contact_name="@risky श्री गणेश",
        state="97",  # a code only GSTINs use
        target_markets=["AE", "us", "ZZ"],
    )
    Exporter.objects.filter(pk=exporter_a.pk).update(state="", target_markets=[], pin_code="")
    Startup.objects.filter(pk=startup_a.pk).update(brand_name="", city="+ not a phone 12")
    agent_a.first_name = agent_a.last_name = ""
    agent_a.save(update_fields=["first_name", "last_name"])
    moment = timezone.now().replace(hour=20, minute=45, second=7, microsecond=123456)  # another day in UTC
    activity_log(
        actor=agent_a,
        exporter=tricky,
        kind="call",
        outcome="reached",
        occurred_at=moment,
        note="=1+1, then\na new line",
    )
    activity_log(actor=agent_a, exporter=tricky, kind="email", outcome="", occurred_at=moment, note="")
    Activity.objects.create(
        exporter=exporter_a, startup=startup_a, user=agent_a, kind="call", outcome="", occurred_at=moment
    )
    return tricky


@pytest.mark.parametrize("language", ["en-in", "hi"])
@pytest.mark.parametrize("name", LISTS)
def test_postgresql_writes_every_lists_csv_cell_for_cell_as_python_does(awkward, name, language):
    rows, columns = LISTS[name]
    with translation.override(language):
        queryset = rows()
        copied = copied_csv(queryset, columns)
        assert copied is not None, f"{name}: a column has no SQL twin"
        assert rows_of(copied) == python_csv(queryset, columns)


def test_the_awkward_cells_come_out_as_people_should_read_them(awkward):
    header, *rows = rows_of(copied_csv(Exporter.objects.filter(pk=awkward.pk), exports.EXPORTERS))
    row = dict(zip(header, rows[0], strict=True))
    assert row["Legal name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Products (HS)"] == "'-61; 6109; 6110; 6111; 6112; 6113; 6114; 6115"
    assert row["Mobile"] == "+919812345678" and row["Contact"] == "'@risky श्री गणेश"
    assert row["Target markets"] == "United Arab Emirates; United States; ZZ"
    assert row["Trade name"] == "" and row["State"] == "Other Territory"
    assert row["Startup"] == "Alpha Exports Private Limited"


def test_the_connection_keeps_its_own_time_zone_after_a_download_even_one_cut_short(awkward):
    pieces = copied_csv(Exporter.objects.all(), exports.EXPORTERS)
    next(pieces), next(pieces)
    pieces.close()  # the person closed the tab
    with connection.cursor() as cursor:
        cursor.execute("SHOW TimeZone")
        assert cursor.fetchone()[0] == "UTC"


def test_the_exporter_list_download_is_written_by_postgresql_and_scoped(
    client_for, officer, manager_b, awkward, exporter_b
):
    staff = client_for(officer).get(reverse("onboarding:exporter-list") + "?format=csv")
    body = b"".join(staff.streaming_content)
    assert body.startswith("\ufeffGSTIN,".encode()) and b"\r\n" not in body  # COPY's lines
    expected = python_csv(Exporter.objects.visible_to(officer).for_list(), exports.EXPORTERS)
    got = rows_of([body])
    assert got[0] == expected[0] and sorted(got[1:]) == sorted(expected[1:]) and len(got) > 3
    theirs = rows_of(client_for(manager_b).get(reverse("onboarding:exporter-list") + "?format=csv").streaming_content)
    assert [row[1] for row in theirs[1:]] == ["Beta Gems LLP"]  # startup B sees its own exporter only
