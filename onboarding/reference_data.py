"""Reference data seeded by migration 0002 and restored by tests that truncate tables."""

# (order, code, name, sla_days, evidence fields, auto_approve, description)
STAGES = [
    (1, "assigned", "Assigned", 3, [], True, "An assignment exists"),
    (2, "contacted", "Contacted", 7, ["note"], True, "A logged call or visit with the exporter"),
    (
        3,
        "documents_collected",
        "Documents collected",
        7,
        ["note"],
        False,
        "GST certificate, IEC, bank proof and catalogue received",
    ),
    (4, "account_created", "Account created", 7, ["reference"], False, "Marketplace member ID"),
    (
        5,
        "membership_active",
        "Membership active",
        21,
        ["reference", "date"],
        False,
        "Membership contract or reference and the A&V pass date",
    ),
    (6, "storefront_live", "Storefront live", 7, ["url"], False, "Storefront URL"),
    (
        7,
        "products_listed",
        "Products listed",
        14,
        ["number", "url"],
        False,
        "Number of products live (at least 10) and a product URL",
    ),
    (8, "trade_assurance", "Trade Assurance", 14, ["reference"], False, "Trade Assurance badge or reference"),
    (9, "first_inquiry", "First inquiry", 60, ["number", "country"], False, "Inquiry or RFQ count and buyer country"),
    (
        10,
        "first_order",
        "First order",
        90,
        ["reference", "amount", "country"],
        False,
        "Order reference, value in USD and buyer country",
    ),
]


def seed_reference_data(apps) -> None:
    """HS sections and the default listing stages of DOMAIN.md §2; idempotent."""
    from .choices import HS_SECTIONS

    Sector = apps.get_model("onboarding", "Sector")
    Stage = apps.get_model("onboarding", "Stage")
    for code, name, first, last in HS_SECTIONS:
        Sector.objects.update_or_create(
            code=code, defaults={"name": name, "first_chapter": first, "last_chapter": last}
        )
    for order, code, name, sla, evidence, auto, description in STAGES:
        Stage.objects.update_or_create(
            code=code,
            defaults={
                "order": order,
                "name": name,
                "sla_days": sla,
                "evidence_fields": evidence,
                "auto_approve": auto,
                "description": description,
            },
        )
