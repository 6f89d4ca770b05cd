"""Files attached to messages: checked by `portal.uploads`, stored under a random name outside static/."""

import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app

from ... import uploads
from ...models import Attachment

KINDS = uploads.ATTACHMENT_TYPES
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")


def attachment_limit() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", 4 * 1024 * 1024))


def inspect_upload(stream) -> tuple[str, bytes]:
    """(content type, bytes) of a PDF, PNG or JPEG judged by its content; the name and browser's type count for nothing."""
    return uploads.check_attachment(stream, attachment_limit())


def safe_filename(name: str, content_type: str) -> str:
    """The original name, reduced to letters, digits, spaces, dots, dashes and underscores, with the right extension."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = re.sub(r"[^\w\s.-]", "_", name.rsplit(".", 1)[0] if "." in name else name).strip(" ._")[:100]
    return (stem or "attachment") + KINDS[content_type]


def attachment_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "attachments"


def store_attachment(name: str, content_type: str, data: bytes) -> Attachment:
    """Write the file under a random name outside static/; the row keeps the original name for downloads."""
    folder = attachment_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16)
    with open(folder / stored, "xb") as fh:
        fh.write(data)
    return Attachment(
        original_name=safe_filename(name, content_type), stored_name=stored, content_type=content_type, size=len(data)
    )


def attachment_path(attachment) -> Path | None:
    if attachment.content_type not in KINDS or not STORED_NAME.match(attachment.stored_name):
        return None
    return attachment_dir() / attachment.stored_name
