"""Identifier validators (GSTIN, PAN, IEC, Udyam, DPIIT, CIN, PIN, mobile, HS code): known
good and bad values, cross-checks, and property-based round trips."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from .. import validators as v
from ..management import demo

VALID_GSTINS = [
    "27AAPFU0939F1ZV",
    "27AAACR5055K1Z7",
    "29AABCT1234K1ZB",
    "24ABCPD9876E1ZO",
    "07AAGFM4567Q1ZJ",
    "38AAACL1234A1Z6",
]


@pytest.mark.parametrize("gstin", VALID_GSTINS)
def test_domain_gstins_are_valid(gstin):
    assert v.clean_gstin(gstin) == gstin


@pytest.mark.parametrize("state", ["38", "97", "99", "25", "28"])
def test_gstin_accepts_codes_that_stdnum_rejects(state):
    gstin = demo.gstin_for(state, "AAACL1234A")
    assert v.clean_gstin(gstin) == gstin


@pytest.mark.parametrize(
    ("gstin", "fragment"),
    [
        ("27AAPFU0939F1ZO", "check character"),
        ("27AAPFU0939F1Z", "15 characters"),
        ("40AAPFU0939F1ZV", "not a GST state code"),
        ("27AAPFU0939F0ZV", "entity number"),
        ("27AAPXU0939F1ZV", "PAN inside"),
        ("27AAPFU0939F1YV", "“Z”"),
    ],
)
def test_bad_gstins_say_what_is_wrong(gstin, fragment):
    with pytest.raises(ValidationError) as info:
        v.clean_gstin(gstin)
    assert fragment in info.value.messages[0]


def test_gstin_is_normalised_from_sloppy_input():
    assert v.clean_gstin("  27 aapfu-0939f 1zv ") == "27AAPFU0939F1ZV"
    assert v.clean_gstin("'27AAPFU0939F1ZV") == "27AAPFU0939F1ZV"


@pytest.mark.parametrize("pan", ["AAPFU0939F", "aapfu0939f", "ABCPD 9876 E"])
def test_valid_pans(pan):
    assert v.clean_pan(pan) == v.compact(pan)


@pytest.mark.parametrize(
    ("pan", "fragment"),
    [
        ("AAPFU0939", "10 characters"),
        ("AAP1U0939F", "five letters"),
        ("AAPXU0939F", "holder type"),
        ("AAPFU0000F", "not valid"),
    ],
)
def test_bad_pans(pan, fragment):
    with pytest.raises(ValidationError) as info:
        v.clean_pan(pan)
    assert fragment in info.value.messages[0]


def test_iec_is_a_pan_or_a_legacy_ten_digit_number():
    assert v.clean_iec("aapfu0939f") == "AAPFU0939F"
    assert v.clean_iec("0305012345") == "0305012345"
    with pytest.raises(ValidationError):
        v.clean_iec("12345")


@pytest.mark.parametrize("value", ["UDYAM-MH-26-0123456", "udyam-mh-26-0123456"])
def test_valid_udyam(value):
    assert v.clean_udyam(value) == "UDYAM-MH-26-0123456"


@pytest.mark.parametrize("value", ["UDYAM-MH-26-012345", "UDYAM-M1-26-0123456", "UDYAM-MH-2-0123456", "MH-26-0123456"])
def test_bad_udyam(value):
    with pytest.raises(ValidationError):
        v.clean_udyam(value)


@pytest.mark.parametrize("value", ["DIPP8292", "DIPP273592", "dipp 8292"])
def test_valid_dpiit(value):
    assert v.clean_dpiit(value).startswith("DIPP")


@pytest.mark.parametrize("value", ["DPIIT8292", "DIPP", "8292", "DIPPX292"])
def test_bad_dpiit(value):
    with pytest.raises(ValidationError, match="DIPP"):
        v.clean_dpiit(value)


def test_cin():
    assert v.clean_cin("U72900KA2008PTC046374") == "U72900KA2008PTC046374"
    for bad in ["U72900KA2008PTC04637", "X72900KA2008PTC046374", "U72900K12008PTC046374"]:
        with pytest.raises(ValidationError):
            v.clean_cin(bad)


@pytest.mark.parametrize(
    ("value", "expected"), [("411001", "411001"), ("411 001", "411001"), (411001.0, "411001"), ("411001.0", "411001")]
)
def test_pin_codes_including_spreadsheet_numbers(value, expected):
    assert v.clean_pin_code(value) == expected


@pytest.mark.parametrize("value", ["011001", "41100", "4110011", "ABCDEF"])
def test_bad_pin_codes(value):
    with pytest.raises(ValidationError, match="six digits"):
        v.clean_pin_code(value)


@pytest.mark.parametrize("value", ["9876543210", "+91 98765 43210", "098765-43210", "919876543210", 9876543210.0])
def test_mobiles_are_stored_as_e164(value):
    assert v.clean_mobile(value) == "+919876543210"


@pytest.mark.parametrize("value", ["5876543210", "98765", "+14155552671", "not a phone"])
def test_bad_mobiles(value):
    with pytest.raises(ValidationError, match="mobile"):
        v.clean_mobile(value)


@pytest.mark.parametrize("value", ["61", "6109", "610910", "61091000", "71"])
def test_hs_codes(value):
    assert v.clean_hs_code(value) == value


@pytest.mark.parametrize("value", ["6", "610", "6109100", "77", "9901", "00"])
def test_bad_hs_codes(value):
    with pytest.raises(ValidationError):
        v.clean_hs_code(value)


def test_identity_cross_checks():
    assert v.check_exporter_identity(gstin="27AAPFU0939F1ZV", pan="AAPFU0939F", state="27") == {}
    errors = v.check_exporter_identity(gstin="27AAPFU0939F1ZV", pan="AAACR5055K", state="24")
    assert "expected AAPFU0939F" in errors["pan"][0]
    assert "Maharashtra" in errors["state"][0]


# Hypothesis: whatever separators and case a person types, normalising is stable and
# gives the same identifier back.
separators = st.sampled_from(["", " ", "-", "  ", "."])


@given(
    index=st.integers(min_value=0, max_value=5_000_000),
    state=st.sampled_from(["27", "24", "38", "97"]),
    sep=separators,
    lower=st.booleans(),
)
def test_gstin_normalisation_round_trips(index, state, sep, lower):
    gstin = demo.gstin_for(state, demo.pan_for(index, "C"))
    typed = sep.join([gstin[:2], gstin[2:7], gstin[7:12], gstin[12:]])
    typed = typed.lower() if lower else typed
    assert v.clean_gstin(typed) == gstin
    assert v.clean_gstin(v.clean_gstin(typed)) == gstin


@given(
    index=st.integers(min_value=0, max_value=5_000_000),
    position=st.integers(min_value=0, max_value=14),
    replacement=st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
)
def test_any_single_character_typo_in_a_gstin_is_caught(index, position, replacement):
    gstin = demo.gstin_for("27", demo.pan_for(index, "F"))
    typo = gstin[:position] + replacement + gstin[position + 1 :]
    if typo != gstin:
        with pytest.raises(ValidationError):
            v.clean_gstin(typo)


@given(digits=st.from_regex(r"[6-9][0-9]{9}", fullmatch=True), sep=separators)
def test_mobile_normalisation_round_trips(digits, sep):
    typed = sep.join([digits[:5], digits[5:]])
    assert v.clean_mobile(typed) == "+91" + digits
    assert v.clean_mobile(v.clean_mobile(typed)) == "+91" + digits


@given(
    digits=st.one_of(
        st.from_regex(r"[6-9][0-9]{9}", fullmatch=True),
        st.from_regex(r"91[0-9]{8}", fullmatch=True),  # could read as India's code and 8 digits
        st.from_regex(r"9[0-9]{9}", fullmatch=True),
    )
)
def test_a_plain_ten_digit_mobile_reads_as_phonenumbers_reads_it(digits):
    """clean_mobile takes ten plain digits as they are, without phonenumbers: the same answer."""
    parsed = phonenumbers.parse(digits, "IN")
    assert parsed.country_code == 91 and str(parsed.national_number) == digits
    assert v.clean_mobile(digits) == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def test_ten_digits_in_another_script_still_go_through_phonenumbers():
    assert v.clean_mobile("९८७६५४३२१०") == "+919876543210"  # Devanagari digits
