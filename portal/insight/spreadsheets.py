"""An export `Table` (portal/insight/exports) as a download: CSV streamed while the rows are read, or an Excel
workbook written row by row (openpyxl's write-only mode) to a temporary file and sent. The one place that
makes cells safe for spreadsheet programs (`neutralise`), for both formats."""

import csv
import io
import re
import tempfile
from datetime import date

from flask import Response, send_file, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # without it Excel reads UTF-8 CSV as the local code page, and Cyrillic and Urdu turn to noise
CSV_ROWS_PER_CHUNK = 500
# What makes Excel, LibreOffice or Google Sheets read a text cell as a formula (or hide one after a tab or
# carriage return): OWASP's "CSV injection" list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {"int": "#,##0", "usd": '"$"#,##0', "percent": "0.0%", "date": "yyyy-mm-dd"}
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(value):
    """A text cell a spreadsheet would take for a formula gets a leading apostrophe, so it shows as the text
    it is; numbers (negative ones too), dates and empty cells are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- CSV ----------------------------------------------------------------------------------------------


def _csv_value(value):
    value = neutralise(value)
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _csv_chunks(table):
    """The file in pieces of CSV_ROWS_PER_CHUNK rows: the BOM and the header first, so the download starts at once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([_csv_value(h) for h in table.headers])
    for n, row in enumerate(table.rows, 1):
        writer.writerow([_csv_value(v) for v in row])
        if n % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_response(table) -> Response:
    """A streamed CSV answer; the rows are read from the database as it is sent (the request context stays)."""
    return Response(stream_with_context(_csv_chunks(table)), mimetype="text/csv")


# --- XLSX ---------------------------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    """Excel refuses some characters in a sheet's name and more than 31 of them."""
    return SHEET_TITLE_FORBIDDEN.sub(" ", title)[:31] or "Sheet"


def _xlsx_value(value):
    if isinstance(value, str):
        # Control characters make the file unreadable; dropped first, so "\x01=1" cannot become "=1".
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def _write_sheet(sheet, table) -> None:
    for index, column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in table.headers:
        cell = WriteOnlyCell(sheet, _xlsx_value(text))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [NUMBER_FORMATS.get(column.kind) for column in table.columns]
    for row in table.rows:
        cells = []
        for value, number_format in zip(row, formats, strict=True):
            value = _xlsx_value(value)
            if number_format and value is not None and not isinstance(value, str):
                value = WriteOnlyCell(sheet, value)
                value.number_format = number_format
            cells.append(value)
        sheet.append(cells)


def xlsx_response(table, right_to_left: bool = False) -> Response:
    """An Excel answer: one sheet, bold frozen header, number formats by column kind, dates as dates. The
    workbook goes to a temporary file (openpyxl keeps write-only rows on disk too), sent and then deleted."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.title))
    sheet.sheet_view.rightToLeft = right_to_left
    handle = tempfile.TemporaryFile()
    try:
        _write_sheet(sheet, table)
        workbook.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    # send_file closes the handle when the answer is sent; the temporary file then disappears.
    return send_file(handle, mimetype=XLSX_TYPE, etag=False, conditional=False, max_age=0)
