"""Partnership rules, one module per room: interests, conversations (with digests), attachments, meetings, outcomes.

Views and CLI commands change partnership data only through these functions; none of them commits: the
caller does, once. Access is checked here too, so a forged id or form field cannot act for someone else;
a refusal is a `portal.rules.RuleError`.
"""
