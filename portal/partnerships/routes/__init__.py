"""Partnership pages, one module per room; importing them registers their routes on the blueprint."""

from . import attachments, conversations, interests, meetings, outcomes  # noqa: F401
