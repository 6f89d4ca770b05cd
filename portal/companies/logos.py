"""Company logos: checked and re-encoded by `portal.uploads`, stored under a random name, deleted only by that name."""

import os
import re
import secrets
from pathlib import Path

from flask import current_app

from .. import audit, uploads
from ..models import Company, User

LOGO_NAME = re.compile(r"^[0-9a-f]{32}\.png$")
LOGO_MAX_PIXELS = 4000  # per side: stops decompression bombs before any pixel is decoded
LOGO_SIZE = 512


def logo_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "logos"


def replace_logo(company: Company, actor: User, stream) -> str | None:
    """Store the new logo and point the company at it; returns the old file name, to delete after commit."""
    png = uploads.clean_logo(stream, current_app.config["LOGO_MAX_BYTES"], LOGO_MAX_PIXELS, LOGO_SIZE)
    folder = logo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + ".png"
    with open(folder / name, "xb") as fh:
        fh.write(png)
    old, company.logo_filename = company.logo_filename, name
    audit.record(actor, "company.logo", "company", company.id, association_id=company.association_id)
    return old


def remove_logo(company: Company, actor: User) -> str | None:
    old, company.logo_filename = company.logo_filename, None
    if old:
        audit.record(actor, "company.logo_remove", "company", company.id, association_id=company.association_id)
    return old


def change_logo(company: Company, actor: User, upload=None, remove: bool = False) -> tuple[str | None, str | None]:
    """The logo part of a profile save: a new upload wins over "remove". Returns (new file, old file): the new
    one to delete if the commit fails, the old one to delete after it. A refused upload raises `RuleError`."""
    if upload is not None:
        old = replace_logo(company, actor, upload.stream)
        return company.logo_filename, old
    if remove:
        return None, remove_logo(company, actor)
    return None, None


def delete_logo_file(name: str | None) -> None:
    """Delete a stored logo; only names we generated, so a bad value can never reach another file."""
    if name and LOGO_NAME.match(name):
        try:
            os.remove(logo_dir() / name)
        except FileNotFoundError:
            pass
