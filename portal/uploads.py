"""The one check for uploaded files: judged by their content (never the name or the browser's type), size-limited,
images decoded by Pillow with decompression bombs refused, logos re-encoded to a clean PNG.

Company logos and conversation attachments both come through here; a refusal is a `RuleError` with a message
for the user.
"""

import warnings
from contextlib import contextmanager
from io import BytesIO

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .rules import RuleError

# Everything Pillow raises for a file that is not an image of the allowed formats, damaged, or a bomb.
IMAGE_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
)
IMAGE_FORMATS = ("PNG", "JPEG")
ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def read_limited(stream, limit: int, too_large: str) -> bytes:
    """At most `limit` bytes of the upload; one byte more is enough to know it is too large."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RuleError(too_large)
    if not data:
        raise RuleError(_("The file is empty."))
    return data


@contextmanager
def _bombs_are_errors():
    """Pillow only warns at the first bomb threshold; here that warning refuses the file too."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def image_format(data: bytes, max_side: int | None = None) -> str | None:
    """'PNG' or 'JPEG' for an intact image of that format, else None. The header is read and the file
    verified without decoding pixels; an image wider or taller than `max_side` is refused before decoding."""
    try:
        with _bombs_are_errors(), Image.open(BytesIO(data), formats=IMAGE_FORMATS) as probe:
            width, height = probe.size
            if max_side and (width > max_side or height > max_side):
                raise RuleError(_("The image is too large: at most %(n)s × %(n)s pixels.", n=max_side))
            fmt = probe.format
            probe.verify()
    except IMAGE_ERRORS:
        return None
    return fmt


def check_attachment(stream, limit: int) -> tuple[str, bytes]:
    """(content type, bytes) of a PDF, PNG or JPEG, as its content shows."""
    data = read_limited(stream, limit, _("The file is too large: at most %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)))
    if data.startswith(b"%PDF-"):
        return "application/pdf", data
    fmt = image_format(data)
    if fmt == "PNG":
        return "image/png", data
    if fmt == "JPEG":
        return "image/jpeg", data
    raise RuleError(_("Only PDF files and PNG or JPEG images can be attached."))


def clean_logo(stream, max_bytes: int, max_side: int, size: int) -> bytes:
    """A re-encoded PNG of at most `size` px, without metadata, from an uploaded PNG or JPEG."""
    data = read_limited(
        stream, max_bytes, _("The file is too large: logos may be at most %(kb)s KB.", kb=max_bytes // 1024)
    )
    damaged = _("This is not a PNG or JPEG image, or the file is damaged.")
    if image_format(data, max_side) is None:
        raise RuleError(damaged)
    try:
        with _bombs_are_errors(), Image.open(BytesIO(data), formats=IMAGE_FORMATS) as image:  # verify() used the probe
            image = ImageOps.exif_transpose(image)
            image.load()
    except IMAGE_ERRORS as exc:
        raise RuleError(damaged) from exc
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail((size, size))
    clean = Image.frombytes(image.mode, image.size, image.tobytes())  # pixels only: no EXIF, ICC or text chunks
    out = BytesIO()
    clean.save(out, "PNG", optimize=True)
    return out.getvalue()
