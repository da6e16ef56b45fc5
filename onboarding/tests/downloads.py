"""Reading what a download view sent: list exports stream, so their bytes come in pieces."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook


def downloaded(response) -> bytes:
    """The whole body of a response, streamed (CSV, XLSX from a file) or not."""
    if getattr(response, "streaming", False):
        # The test client closes the response once it is read to the end (closing it again
        # would fire request_finished and close the database connection inside the test).
        return b"".join(response.streaming_content)
    return response.content


def csv_lines(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(downloaded(response).decode("utf-8-sig"))))


def xlsx_values(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(downloaded(response))).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
