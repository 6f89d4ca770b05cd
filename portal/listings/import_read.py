"""Reading import files: JSON Lines and roster CSV into (line, record) pairs, and the problem list.

What a hostile file throws at the parsers (JSON nested thousands deep, numbers of 5,000 digits, CSV
fields beyond the csv module's limit, NUL bytes) becomes a problem on its line, never a crash.
`Problems` keeps only the first problems (by line) while counting them all, so a file of a million
bad lines costs neither memory nor a huge page.
"""

import csv
import json
import re
from pathlib import Path

from flask_babel import gettext as _

CSV_COLUMNS = ("ref", "name", "country", "city", "association", "membership_no", "website", "description")
MAX_DEPTH = 20  # nesting of lists and objects in one JSON line; the format needs three


class Problems(list):
    """Problem messages in line order: keeps the first `limit` (all when None) and counts every one."""

    def __init__(self, limit: int | None = None):
        super().__init__()
        self.limit, self.total = limit, 0

    def append(self, message) -> None:
        self.total += 1
        if self.limit is None or len(self) < self.limit:
            super().append(message)

    def add(self, message: str, **values) -> None:
        """Translate and keep the message only while there is room: a million bad lines must not cost a
        million gettext calls."""
        self.total += 1
        if self.limit is None or len(self) < self.limit:
            super().append(_(message, **values))

    def extend(self, messages) -> None:
        for message in messages:
            self.append(message)


def N_(message: str) -> str:  # noqa: N802 - Babel's marker for a message translated later (Problems.add)
    return message


def merge_problems(limit, *lists) -> Problems:
    """Problem lists, each in line order, as one in line order; the total counts what each one dropped."""
    merged = Problems(limit)
    merged.extend(sorted((m for problems in lists for m in problems), key=line_of))
    merged.total = sum(getattr(problems, "total", len(problems)) for problems in lists)
    return merged


def line_of(message: str) -> int:
    match = re.search(r"\d+", message)
    return int(match.group()) if match else 0


# --- reading --------------------------------------------------------------------------------------


def _lines(path_or_lines):
    """Numbered text lines from a path, an open file, or any iterable of str/bytes lines."""
    if isinstance(path_or_lines, str | Path):
        with open(path_or_lines, encoding="utf-8-sig") as fh:
            yield from enumerate(fh, start=1)
        return
    for n, line in enumerate(path_or_lines, start=1):
        yield n, line.decode("utf-8") if isinstance(line, bytes) else line


def parse_jsonl(path_or_lines, max_errors: int | None = None) -> tuple[list, list]:
    """(line, object) pairs and syntax errors; blank lines are skipped."""
    raw, errors = [], Problems(max_errors)
    try:
        for n, line in _lines(path_or_lines):
            line = line.lstrip("\ufeff").strip()
            if not line:
                continue
            if "\x00" in line:
                errors.add(N_("line %(n)s: file: contains a NUL byte"), n=n)
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.add(N_("line %(n)s: json: %(problem)s"), n=n, problem=f"{exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                errors.add(N_("line %(n)s: json: nested too deeply"), n=n)
                continue
            except ValueError:  # e.g. an integer of more than 4,300 digits
                errors.add(N_("line %(n)s: json: a number is too long"), n=n)
                continue
            if _depth(obj) > MAX_DEPTH:
                errors.add(N_("line %(n)s: json: nested more than %(max)s levels deep"), n=n, max=MAX_DEPTH)
                continue
            if not isinstance(obj, dict):
                errors.add(N_("line %(n)s: record: must be a JSON object"), n=n)
                continue
            raw.append((n, obj))
    except UnicodeDecodeError:
        errors.add(N_("line %(n)s: file: is not UTF-8 text"), n=1)
    return raw, errors


def _depth(value, level: int = 1) -> int:
    """How deep lists and objects nest (stops counting past MAX_DEPTH)."""
    if level > MAX_DEPTH or not isinstance(value, dict | list):
        return level - (not isinstance(value, dict | list))
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(child, level + 1) for child in children), default=level)


def _csv_rows(reader, errors):
    """The reader's rows; a row the csv module refuses (a field over its 131,072-character limit)
    becomes a problem on its line and reading goes on."""
    while True:
        before = reader.line_num
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.add(N_("line %(n)s: csv: %(problem)s"), n=before + 1, problem=str(exc))
            if reader.line_num == before:
                return  # no progress: stop rather than loop


def parse_csv(path_or_lines, association: str | None = None, max_errors: int | None = None) -> tuple[list, list]:
    """Company records from a roster CSV; the header's line is line 1, as in a spreadsheet."""
    errors = Problems(max_errors)
    try:
        lines = []
        for n, line in _lines(path_or_lines):
            if "\x00" in line:
                errors.add(N_("line %(n)s: file: contains a NUL byte"), n=n)
                line = line.replace("\x00", "")  # still read the rest, to report its problems too
            lines.append(line)
    except UnicodeDecodeError:
        return [], [_("line %(n)s: file: is not UTF-8 text", n=1)]
    reader = csv.DictReader(lines)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        return [], [_("line %(n)s: csv: %(problem)s", n=1, problem=str(exc))]
    header = [h.strip().lower() for h in fieldnames]
    reader.fieldnames = header
    required = [c for c in ("ref", "name", "country", "association") if not (c == "association" and association)]
    missing = [c for c in required if c not in header]
    if missing:
        return [], [_("line %(n)s: header: missing column %(columns)s", n=1, columns=", ".join(missing))]
    raw = []
    for row in _csv_rows(reader, errors):
        # the row's first line, even when a quoted field spans several lines
        n = reader.line_num - sum(v.count("\n") for v in row.values() if isinstance(v, str))
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        record = {"record": "company"}
        for key in (*CSV_COLUMNS, "verified"):
            value = (row.get(key) or "").strip()
            if value:
                record[key] = value
        if association:
            if record.get("association", association).upper() != association.upper():
                errors.add(
                    N_("line %(n)s: association: %(code)s differs from the chosen association %(chosen)s"),
                    n=n,
                    code=record["association"],
                    chosen=association,
                )
                continue
            record["association"] = association
        if "verified" in record:
            flag = record["verified"].lower()
            record["verified"] = (
                True if flag in ("true", "yes", "1") else False if flag in ("false", "no", "0") else flag
            )
        raw.append((n, record))
    return raw, errors
