"""The bank's files: the bulk-payment file a run sends (one NEFT transfer per startup), and the
response file the bank sends back (per line: reference, amount, UTR, paid or failed), read
into lines that the settling service checks against the run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from ..models import Payout, PayoutRun
from ..spreadsheets import ImportFileError, cell_text, read_records
from ..validators import clean_utr

BANK_FILE_HEADER = [
    "Payment type",
    "Beneficiary name",
    "Beneficiary account number",
    "IFSC",
    "Amount",
    "Customer reference",
    "Narration",
]
PAID, FAILED = "paid", "failed"
STATUS_WORDS = {
    PAID: {"paid", "success", "successful", "processed", "executed", "completed", "credited"},
    FAILED: {"failed", "failure", "rejected", "returned", "unsuccessful"},
}
# Response headers as banks spell them, squashed (lower case, letters and digits only).
COLUMNS = {
    "reference": {"customerreference", "reference", "payoutreference", "customerrefno", "crn", "paymentreference"},
    "account": {"beneficiaryaccountnumber", "accountnumber", "account", "beneficiaryaccount"},
    "amount": {"amount", "instrumentamount", "transactionamount"},
    "utr": {"utr", "utrnumber", "utrno"},
    "status": {"status", "transactionstatus"},
    "reason": {"reason", "remarks", "failurereason", "rejectionreason"},
    "date": {"paymentdate", "valuedate", "date", "transactiondate"},
}


def bank_file_rows(run: PayoutRun, payouts) -> list[list[str]]:
    """One NEFT line per payout: the full account number appears here and nowhere else."""
    rows = []
    for payout in payouts:
        account = payout.startup.bank_account
        rows.append(
            [
                "NEFT",
                account.holder_name,
                account.account_number,
                account.ifsc,
                f"{payout.net:.2f}",
                payout.reference,
                f"{run.period:%b %Y} commission {payout.startup.dpiit_number}",
            ]
        )
    return rows


def bank_file_name(run: PayoutRun) -> str:
    return f"bank-payments-{run.period:%Y-%m}-run-{run.pk}.csv"


@dataclass
class ResponseLine:
    """A line of the bank's response, as read; `problem` says why it cannot be used at all."""

    number: int
    reference: str = ""
    account: str = ""
    amount: Decimal | None = None
    utr: str = ""
    status: str = ""
    reason: str = ""
    paid_on: date | None = None
    problem: str = ""

    @property
    def names(self) -> str:
        return self.reference or (f"account ending {self.account[-4:]}" if self.account else "—")


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _columns(header) -> dict[str, int]:
    found = {}
    for index, cell in enumerate(header):
        name = _squash(cell_text(cell))
        for field, spellings in COLUMNS.items():
            if name in spellings and field not in found:
                found[field] = index
    missing = [f for f in ("amount", "status") if f not in found]
    if "reference" not in found and "account" not in found:
        missing.insert(0, "customer reference (or account number)")
    if missing:
        raise ValidationError(
            f"The response file has no {', '.join(missing)} column: its first row must name the columns "
            "(Customer reference, Amount, UTR, Status)."
        )
    return found


def _date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a calendar date, no time)
        except ValueError:
            continue
    raise ValueError(text)


def _read(line: ResponseLine, cells: dict[str, str]) -> ResponseLine:
    line.reference = cells.get("reference", "").upper()
    line.account = re.sub(r"[\s\-]", "", cells.get("account", ""))
    line.reason = cells.get("reason", "")[:200]
    status = _squash(cells.get("status", ""))
    line.status = next((kind for kind, words in STATUS_WORDS.items() if status in words), "")
    if not line.status:
        line.problem = f"The status “{cells.get('status', '')}” is neither paid (success) nor failed."
        return line
    try:
        line.amount = Decimal(cells.get("amount", "").replace(",", "").replace("₹", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        line.problem = f"The amount “{cells.get('amount', '')}” is not a number."
        return line
    if cells.get("date"):
        try:
            line.paid_on = _date(cells["date"])
        except ValueError:
            line.problem = f"The payment date “{cells['date']}” is not a date (use 2026-12-04 or 04/12/2026)."
            return line
    if line.status == PAID:
        try:
            line.utr = clean_utr(cells.get("utr", ""))
        except ValidationError as exc:
            line.problem = f"A paid line needs its UTR: {exc.messages[0]}"
    return line


def read_response(data: bytes, name: str) -> list[ResponseLine]:
    """The response file's lines (CSV or Excel), each read or with its problem. A file that
    cannot be read at all is a ValidationError."""
    try:
        _kind, records = read_records(data, name)
    except ImportFileError as exc:
        raise ValidationError(str(exc)) from exc
    if len(records) < 2:
        raise ValidationError("The response file has no lines under its header row.")
    (_, header), *body = records
    columns = _columns(header)
    lines = []
    for number, record in body:
        cells = {field: cell_text(record[index]) if index < len(record) else "" for field, index in columns.items()}
        lines.append(_read(ResponseLine(number=number), cells))
    return lines


def payout_for(line: ResponseLine, payouts: list[Payout]) -> Payout | None:
    """The run's payout a line names: by its customer reference, else by the account number."""
    if line.reference:
        return next((p for p in payouts if p.reference == line.reference), None)
    matches = [
        p
        for p in payouts
        if getattr(p.startup, "bank_account", None) and p.startup.bank_account.account_number == line.account
    ]
    return matches[0] if len(matches) == 1 else None
