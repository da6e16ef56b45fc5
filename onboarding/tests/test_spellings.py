"""Countries and Indian states typed the way people write them: names, codes and common
spellings are understood in forms and in imports; a GSTIN's state fills a blank state."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from .. import validators as v
from ..forms.exporters import ExporterForm
from ..forms.startups import StartupForm
from ..management import demo
from ..models import Exporter
from ..models.imports import ImportStatus
from ..reference import state_code
from .importfiles import HEADER, csv_bytes, good_rows
from .test_exporter_pages import GOOD
from .test_imports import errors_by_row, run


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("UAE", "AE"),
        ("U.A.E.", "AE"),
        ("united arab emirates", "AE"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("United States", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("de", "DE"),
        ("Germany", "DE"),
        ("South Korea", "KR"),
    ],
)
def test_a_country_is_understood_by_name_code_or_common_spelling(typed, code):
    assert v.clean_country(typed) == code


def test_an_unknown_country_gets_a_message_that_says_what_to_type():
    with pytest.raises(ValidationError, match="not a country name or ISO country code"):
        v.clean_country("Narnia")


def test_country_codes_read_as_english_names():
    assert [v.country_name(c) for c in ("AE", "US", "GB", "DE")] == [
        "United Arab Emirates",
        "United States",
        "United Kingdom",
        "Germany",
    ]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Tamilnadu", "33"),
        ("TAMIL NADU", "33"),
        ("Orissa", "21"),
        ("Pondicherry", "34"),
        ("Pondy", "34"),
        ("J&K", "01"),
        ("Delhi NCR", "07"),
        ("7", "07"),
        ("Maharashtra", "27"),
    ],
)
def test_a_state_is_understood_by_name_code_or_common_spelling(typed, code):
    assert state_code(typed) == code


def test_a_city_is_not_taken_for_a_state():
    assert state_code("Bombay") is None


def test_the_exporter_form_takes_market_names_and_a_spelt_state(db):
    form = ExporterForm(data={**GOOD, "gstin": demo.gstin_for("33", "AAPFU0939F"), "state": "Tamilnadu",
                              "target_markets": "UAE, U.S., United Kingdom"})  # fmt: skip
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["state"], form.cleaned_data["target_markets"]) == ("33", ["AE", "US", "GB"])


def test_a_spelt_state_that_contradicts_the_gstin_is_still_refused(db):
    form = ExporterForm(data={**GOOD, "state": "Tamilnadu"})  # GOOD's GSTIN is Maharashtra's
    assert not form.is_valid()
    assert form.errors["state"] == ["The GSTIN is registered in Maharashtra, not Tamil Nadu."]


def test_the_startup_form_takes_a_state_spelt_the_old_way(db):
    form = StartupForm(data={"state": "Orissa"})
    form.is_valid()
    assert "state" not in form.errors and form.cleaned_data["state"] == "21"


def test_an_officer_registers_an_exporter_with_country_names(client_for, officer):
    client_for(officer).post(reverse("onboarding:exporter-create"), {**GOOD, "target_markets": "UAE, usa"})
    assert Exporter.objects.get().target_markets == ["AE", "US"]


def test_an_import_row_with_tamilnadu_is_imported_in_tamil_nadu(db):
    rows = good_rows(3)
    assert rows[2][1].startswith("33")
    rows[2][2] = "Tamilnadu"
    batch = run(csv_bytes(rows), "council.csv")
    assert errors_by_row(batch) == {}
    assert (batch.status, batch.new_count) == (ImportStatus.DONE, 3)
    assert Exporter.objects.get(gstin=rows[2][1]).state == "33"


def test_an_import_row_without_a_state_takes_it_from_the_gstin(db):
    rows = good_rows(2)
    rows[1][2] = ""
    batch = run(csv_bytes(rows), "council.csv")
    assert batch.new_count == 2
    assert Exporter.objects.get(gstin=rows[1][1]).state == rows[1][1][:2] == "24"


def test_an_import_with_market_names_stores_codes(db):
    rows = [[*good_rows(1)[0], "U.A.E.; United States"]]
    batch = run(csv_bytes(rows, [*HEADER, "Target markets"]), "council.csv")
    assert errors_by_row(batch) == {}
    assert Exporter.objects.get().target_markets == ["AE", "US"]
