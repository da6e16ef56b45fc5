"""Management commands: `seed_demo` (realistic, deterministic demo data) and `bench` (page timings)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from .. import database
from .. import validators as v
from ..management.bench_export import bench_exports
from ..models import Activity, Assignment, Exporter, Role, StageEvent, Startup, User


def seed(**options):
    call_command("seed_demo", startups=6, exporters=120, seed=7, password="demo-pass-123", **options)


@pytest.mark.both_databases
def test_seed_demo_creates_a_login_per_role_and_valid_realistic_data(db, capsys):
    seed()
    output = capsys.readouterr().out
    assert "admin@example.com" in output and "demo-pass-123" in output
    roles = {u.email: u.role for u in User.objects.all()}
    assert roles == {
        "admin@example.com": "admin",
        "officer@example.com": "officer",
        "manager@example.com": "manager",
        "agent@example.com": "agent",
    }
    assert Startup.objects.count() == 6 and Exporter.objects.count() == 120
    for exporter in Exporter.objects.all():
        assert v.clean_gstin(exporter.gstin) == exporter.gstin
        assert exporter.pan == exporter.gstin[2:12] and exporter.state == exporter.gstin[:2]
        assert exporter.sector is not None
    assigned = Exporter.objects.filter(startup__isnull=False)
    assert assigned.count() == Assignment.objects.open().count() > 0
    for startup in Startup.objects.with_load():
        assert startup.open_exporters <= startup.capacity
    manager = User.objects.get(email="manager@example.com")
    assert Exporter.objects.visible_to(manager).exists()
    assert StageEvent.objects.filter(status="approved").exists()
    from ..models import Commission

    earned = Commission.objects.all()
    assert earned.exists() and all(c.amount > 0 for c in earned)
    assert earned.values("exporter", "stage").distinct().count() == earned.count()
    assert Activity.objects.count() == 3 * assigned.count()
    assert Exporter.objects.stalled(timezone.now()).exists()


@pytest.mark.both_databases
def test_seed_demo_is_deterministic_and_runs_once(db, capsys):
    seed()
    first = list(Exporter.objects.order_by("pk").values_list("gstin", "legal_name", "district"))
    seed()
    assert "leaves it as it is" in capsys.readouterr().out
    assert list(Exporter.objects.order_by("pk").values_list("gstin", "legal_name", "district")) == first


@pytest.mark.both_databases
def test_seed_demo_honours_requested_volumes(db):
    seed(activities=500, stage_events=400)
    assert Activity.objects.count() == 500
    assert StageEvent.objects.count() == 400


def test_bench_measures_every_main_page_beside_the_admin_changelist(db, tmp_path, capsys):
    seed()
    path = tmp_path / "bench.json"
    exporters = Exporter.objects.count()
    call_command("bench", repeat=1, json_path=str(path), import_rows=40)
    table = capsys.readouterr().out
    assert "admin exporter changelist" in table and "import of 40 rows" in table
    report = json.loads(path.read_text())
    assert report["import"]["written"] == 40 and report["import"]["total_s"] > 0
    # The workbook through the page's path: 10 × the import rows, each phase with its progress and memory.
    large = report["import_large"]
    assert (large["rows"], large["written"]) == (400, 400) and "import of 400 rows (.xlsx" in table
    assert [p["status"] for p in large["phases"].values()] == ["uploaded", "preview", "done"]
    assert large["phases"]["validate"]["updates"] == 1 and large["phases"]["validate"]["peak_rss_mb"] > 0
    assert Exporter.objects.count() == exporters  # the imports were rolled back
    results = {r["name"]: r for r in report["results"]}
    assert {"admin exporter changelist", "exporter list (staff)", "dashboard", "startup home"} <= set(results)
    assert all(r["status"] == 200 and r["median_ms"] > 0 and r["queries"] > 0 for r in results.values())
    assert results["admin exporter changelist"]["ratio"] == 1.0
    assert "export of" in table and report["exports"]["rows"] == exporters
    for kind in ("csv", "xlsx"):
        assert report["exports"][kind]["bytes"] > 0 and report["exports"][kind]["peak_mb"] > 0


@pytest.mark.both_databases
def test_bench_times_each_export_with_its_peak_at_fewer_rows_and_csv_beside_copy(db, capsys):
    """Rows, seconds, file size and peak for CSV and XLSX; the peak of the first rows beside
    the whole table's (memory must not grow with rows); on PostgreSQL the CSV's ratio to COPY."""
    seed()
    staff = User.objects.filter(staff_role=Role.ADMIN).get()
    figures = bench_exports(BaseCommand(), staff)
    out = capsys.readouterr().out
    assert figures["rows"] == Exporter.objects.count() == 120
    for kind in ("csv", "xlsx"):
        result = figures[kind]
        assert result["seconds"] > 0 and result["cpu_seconds"] >= 0 and result["bytes"] > 0
        assert result["peak_mb"] > 0 and result["peak_mb_first_rows"] > 0 and result["within"] in (True, False)
        assert f"export of 120 exporters as {kind.upper()}:" in out
    if database.can_copy():
        assert figures["copy"]["seconds"] > 0 and figures["copy"]["bytes"] > 0
        assert figures["csv"]["copy_ratio"] > 0 and "× COPY" in out
    else:
        assert figures["copy"] is None and "PostgreSQL COPY: skipped" in out


def test_bench_refuses_an_empty_database(db):
    with pytest.raises(CommandError, match="Seed the database first"):
        call_command("bench")
