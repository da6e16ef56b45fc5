"""Demo data that looks real to an Indian reader: each exporter's PIN code lies in its
district and state (India Post's first digit is the zone, the first three the district)."""

from __future__ import annotations

import random

from django.core.management import call_command

from ..management import demo
from ..models import Exporter

# India Post's zones: the first digit of every PIN code in these states.
ZONE_OF_STATE = {
    "01": "1", "03": "1", "06": "1", "07": "1", "38": "1", "09": "2", "08": "3", "24": "3", "23": "4",
    "27": "4", "29": "5", "36": "5", "37": "5", "32": "6", "33": "6", "18": "7", "19": "7", "21": "7",
}  # fmt: skip


def test_every_demo_district_has_a_pin_prefix_in_its_states_zone():
    for state, districts in demo.DISTRICTS.items():
        for district in districts:
            assert demo.PIN_PREFIXES[district][0] == ZONE_OF_STATE[state], (state, district)


def test_a_demo_pin_code_is_valid_and_lies_in_its_district():
    rng = random.Random(1)
    pins = {demo.pin_for(rng, "Tiruppur") for _ in range(50)}
    assert all(len(pin) == 6 and pin.startswith("641") and pin[3:] != "000" for pin in pins)


def test_seeded_exporters_have_pin_codes_of_their_own_district(db):
    call_command("seed_demo", startups=3, exporters=60, seed=11, password="demo-pass-123")
    for state, district, pin in Exporter.objects.values_list("state", "district", "pin_code"):
        assert pin.startswith(demo.PIN_PREFIXES[district]) and pin[0] == ZONE_OF_STATE[state]


def test_the_demo_import_files_rows_have_pin_codes_of_their_district():
    rows = demo.exporter_file_rows(30, seed=3)
    assert rows and all(row["PIN code"].startswith(demo.PIN_PREFIXES[row["District"]]) for row in rows)
