"""The TDS and GST rules on commission as they stand (docs/domain.md, "Tax on payouts"):
admins add the next change in Django admin."""

from datetime import date
from decimal import Decimal

from django.db import migrations

ACT_1961 = "Income-tax Act 1961 s.194H; without a valid PAN s.206AA"
ACT_2025 = "Income-tax Act 2025 s.393(1) Table Sl. 1(ii); 20% without a valid PAN"
RULES = [
    # kind, rate, no-PAN rate, threshold per financial year, from, to, legal reference
    ("tds", "5.00", "20.00", "15000.00", date(2016, 6, 1), date(2024, 9, 30), ACT_1961),
    ("tds", "2.00", "20.00", "15000.00", date(2024, 10, 1), date(2025, 3, 31), ACT_1961),
    ("tds", "2.00", "20.00", "20000.00", date(2025, 4, 1), date(2026, 3, 31), ACT_1961),
    ("tds", "2.00", "20.00", "20000.00", date(2026, 4, 1), None, ACT_2025),
    ("gst", "18.00", None, "0.00", date(2017, 7, 1), None, "GST on commission to a GST-registered payee, 18%"),
]


def seed(apps, schema_editor):
    TaxRule = apps.get_model("onboarding", "TaxRule")
    for kind, rate, no_pan, threshold, start, end, reference in RULES:
        TaxRule.objects.get_or_create(
            kind=kind,
            effective_from=start,
            defaults={
                "rate": Decimal(rate),
                "no_pan_rate": Decimal(no_pan) if no_pan else None,
                "threshold": Decimal(threshold),
                "effective_to": end,
                "legal_reference": reference,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0038_bank_accounts_tax_rules_bank_files")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
