"""An export `Table` (portal/insight/exports) as a download, streamed while the rows are read: CSV, or an
Excel workbook whose parts (minimal SpreadsheetML, written here) go into a ZIP archive as they are made, so
the first bytes leave at once whatever the size. The one place that makes cells safe for spreadsheet
programs (`neutralise`), for both formats."""

import csv
import io
import math
import re
import zipfile
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

from flask import Response, stream_with_context

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # without it Excel reads UTF-8 CSV as the local code page, and Cyrillic and Urdu turn to noise
CSV_ROWS_PER_CHUNK = 500
XLSX_ROWS_PER_CHUNK = 500
# What makes Excel, LibreOffice or Google Sheets read a text cell as a formula (or hide one after a tab or
# carriage return): OWASP's "CSV injection" list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {"int": "#,##0", "usd": '"$"#,##0', "percent": "0.0%", "date": "yyyy-mm-dd"}
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# What XML 1.0 cannot hold (a workbook holding one does not open): the control characters but tab, line feed
# and carriage return, lone surrogates, and the two non-characters U+FFFE and U+FFFF.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
#
# A workbook is a ZIP archive of XML parts. Every part but the sheet is small and fixed, so it is written
# whole; the sheet is written through zipfile's streaming writer, XLSX_ROWS_PER_CHUNK rows at a time, and
# whatever compressed bytes the archive holds by then are handed to the client.

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
CONTENT_TYPES = (
    XML_DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    XML_DECLARATION + f'<Relationships xmlns="{RELS_NS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    XML_DECLARATION + f'<Relationships xmlns="{RELS_NS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC_RELS_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Cell styles (the s attribute): 0 plain, 1 the bold header, then one per NUMBER_FORMATS entry in its order.
HEADER_STYLE = 1
FORMAT_STYLES = {kind: 2 + n for n, kind in enumerate(NUMBER_FORMATS)}
FIRST_CUSTOM_FORMAT = 164  # ids below are Excel's built-in formats
STYLES = (
    XML_DECLARATION + f'<styleSheet xmlns="{MAIN_NS}">'
    f'<numFmts count="{len(NUMBER_FORMATS)}">'
    + "".join(
        f'<numFmt numFmtId="{FIRST_CUSTOM_FORMAT + n}" formatCode={quoteattr(code)}/>'
        for n, code in enumerate(NUMBER_FORMATS.values())
    )
    + "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    # Excel wants these two fills whatever the cells use.
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{2 + len(NUMBER_FORMATS)}">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    + "".join(
        f'<xf numFmtId="{FIRST_CUSTOM_FORMAT + n}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for n in range(len(NUMBER_FORMATS))
    )
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 calendar, right for every day since March 1900


def _sheet_title(title: str) -> str:
    """Excel refuses some characters in a sheet's name and more than 31 of them."""
    return SHEET_TITLE_FORBIDDEN.sub(" ", XML_FORBIDDEN.sub("", title))[:31] or "Sheet"


def _column_letter(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: the column part of a cell reference."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _workbook(table) -> str:
    return (
        XML_DECLARATION + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_RELS_NS}">'
        "<bookViews><workbookView/></bookViews>"
        f'<sheets><sheet name={quoteattr(_sheet_title(table.title))} sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _sheet_start(table, right_to_left: bool) -> str:
    """Everything before the first row: the frozen header's view, the reading direction and column widths."""
    direction = ' rightToLeft="1"' if right_to_left else ""
    widths = "".join(
        f'<col min="{n}" max="{n}" width="{column.width}" customWidth="1"/>'
        for n, column in enumerate(table.columns, 1)
    )
    return (
        XML_DECLARATION + f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{DOC_RELS_NS}">'
        f'<sheetViews><sheetView workbookViewId="0"{direction}>'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{widths}</cols>" if widths else "") + "<sheetData>"
    )


def _cell(reference: str, value, style: int) -> str:
    """One cell's XML, or "" for an empty one (a missing cell is an empty cell). Text is written inline, after
    the control characters XML cannot hold are dropped and before `neutralise`, so "\\x01=1" cannot become "=1"."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = neutralise(XML_FORBIDDEN.sub("", value))
        if not value:
            return ""
        # Without it a reader may trim the spaces, tabs or line breaks at either end.
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        kind, value = "inlineStr", f"<is><t{space}>{escape(value)}</t></is>"
    elif isinstance(value, bool):  # before the numbers: True is an int too
        kind, value = "b", f"<v>{int(value)}</v>"
    elif isinstance(value, float) and not math.isfinite(value):
        return ""  # Excel has no infinity or NaN, and calls a file that holds one corrupt
    elif isinstance(value, datetime):  # Excel has no time zones: the time as the clock showed it
        days = (value.replace(tzinfo=None) - EXCEL_EPOCH) / timedelta(days=1)
        kind, value, style = "n", f"<v>{days}</v>", style or FORMAT_STYLES["date"]
    elif isinstance(value, date):  # a day number, which the date style shows as a date
        kind, value, style = "n", f"<v>{(value - EXCEL_EPOCH.date()).days}</v>", style or FORMAT_STYLES["date"]
    else:
        kind, value = "n", f"<v>{value}</v>"
    styled = f' s="{style}"' if style else ""
    typed = f' t="{kind}"' if kind != "n" else ""
    return f'<c r="{reference}"{styled}{typed}>{value}</c>'


def _row(number: int, values, letters, styles) -> str:
    cells = "".join(
        _cell(f"{letter}{number}", value, style) for value, letter, style in zip(values, letters, styles, strict=True)
    )
    return f'<row r="{number}">{cells}</row>'


class _Chunks(io.RawIOBase):
    """Where zipfile writes the archive: a file that cannot seek or tell, so zipfile writes each part's sizes
    after its data (a data descriptor) instead of going back to its header, and keeps the bytes here until
    `take` hands them on."""

    def __init__(self):
        super().__init__()
        self._chunks = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _xlsx_chunks(table, right_to_left: bool):
    """The archive in pieces: the small parts first (before any row is read, so the download starts at once),
    then, every XLSX_ROWS_PER_CHUNK rows, the compressed bytes zlib has let go of (it holds up to a block's
    worth, so very repetitive rows come out less often), and the rest with the archive's directory at the end."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", PACKAGE_RELS)
        package.writestr("xl/workbook.xml", _workbook(table))
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        package.writestr("xl/styles.xml", STYLES)
        letters = [_column_letter(n) for n in range(1, len(table.columns) + 1)]
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_sheet_start(table, right_to_left).encode())
            sheet.write(_row(1, table.headers, letters, [HEADER_STYLE] * len(letters)).encode())
            yield sink.take()
            styles = [FORMAT_STYLES.get(column.kind, 0) for column in table.columns]
            rows = []
            for number, values in enumerate(table.rows, 2):
                rows.append(_row(number, values, letters, styles))
                if len(rows) == XLSX_ROWS_PER_CHUNK:
                    sheet.write("".join(rows).encode())
                    rows.clear()
                    if data := sink.take():
                        yield data
            sheet.write(("".join(rows) + "</sheetData></worksheet>").encode())
    yield sink.take()


def xlsx_response(table, right_to_left: bool = False) -> Response:
    """A streamed Excel answer: one sheet, bold frozen header, column widths, number formats by column kind,
    dates as dates; the rows are read from the database as it is sent (the request context stays)."""
    return Response(stream_with_context(_xlsx_chunks(table, right_to_left)), mimetype=XLSX_TYPE)
