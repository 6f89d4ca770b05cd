"""Audit rows as sentences in the reader's language: `sentences` holds the words (one sentence per action,
the labels of edited fields), `describe` fills them with escaped, linked names."""

from .describe import AuditLine, describe
from .sentences import SENTENCES, action_label, field_label

__all__ = ["SENTENCES", "AuditLine", "action_label", "describe", "field_label"]
