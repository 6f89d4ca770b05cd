"""Attachment downloads: only for the two companies' users, with the type our own check found."""

from flask import abort, send_file

from ...models import Attachment
from ...permissions import get_or_404_for, member_required
from ...utils import as_download
from .. import bp
from ..services.attachments import attachment_path
from ..services.common import is_party


@bp.route("/attachments/<int:attachment_id>")
@member_required
def attachment(attachment_id):
    item = get_or_404_for(Attachment, attachment_id, lambda user, a: is_party(user, a.message.conversation))
    path = attachment_path(item)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.content_type, conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return as_download(response, item.original_name)
