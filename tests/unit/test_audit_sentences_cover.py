"""Every action recorded anywhere in the portal has its own sentence in the audit log.

The actions are read from the source (every `audit.record(...)` call), not from a list kept by hand, so a
new action without a sentence fails here instead of showing as "actor: code, object #id" to staff.
"""

import ast
from pathlib import Path

from portal.audit_sentences import SENTENCES
from portal.listings.lifecycle import STAFF_DECISIONS, TRANSITIONS

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# What each f-string action's placeholder takes, from the code that builds it.
EXPANSIONS = {
    "listing.revision_": STAFF_DECISIONS,  # listings.services._decide_revision
    "listing.": tuple(TRANSITIONS),  # listings.lifecycle.transition, one row per edge
    "interest.": ("accepted", "declined"),  # partnerships.services.interests._answer
}


def _is_audit_record(node) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "record"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
    )


def _looks_like_action(value) -> bool:
    return isinstance(value, str) and value.count(".") == 1 and value.replace(".", "").replace("_", "").isalpha()


def _actions(function, argument) -> set[str]:
    if isinstance(argument, ast.Constant):
        return {argument.value}
    if isinstance(argument, ast.JoinedStr):
        prefix = "".join(part.value for part in argument.values if isinstance(part, ast.Constant))
        assert prefix in EXPANSIONS, f"an f-string action {prefix!r}…: say in EXPANSIONS what it takes"
        return {prefix + suffix for suffix in EXPANSIONS[prefix]}
    if isinstance(argument, ast.IfExp):
        return _actions(function, argument.body) | _actions(function, argument.orelse)
    assert isinstance(argument, ast.Name), ast.dump(argument)
    # A variable: the action-like strings its function assigns (e.g. "taxonomy.create" if … else "…update").
    found = {n.value for n in ast.walk(function) if isinstance(n, ast.Constant) and _looks_like_action(n.value)}
    assert found, f"{function.name}: cannot tell which actions {argument.id} holds"
    return found


def recorded_actions() -> dict[str, str]:
    actions = {}
    for path in PORTAL.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for call in ast.walk(function):
                if _is_audit_record(call):
                    for action in _actions(function, call.args[1]):
                        actions[action] = f"{path.relative_to(PORTAL.parent)}:{function.name}"
    return actions


def test_the_scan_finds_the_actions_it_should():
    actions = recorded_actions()
    assert {"listing.approve", "listing.revision_reject", "interest.accepted", "taxonomy.create"} <= set(actions)
    assert len(actions) > 40


def test_every_recorded_action_has_its_own_sentence():
    missing = {action: where for action, where in recorded_actions().items() if action not in SENTENCES}
    assert not missing, f"actions without a sentence in portal/audit_sentences/sentences.py: {missing}"
