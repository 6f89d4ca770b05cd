"""`flask search check`: the index compared with the database document by document, and repaired.

What each document should be is read from the database (documents.expected_documents); what it is, from
the stamps stored in the index. Expired listings the expiry run has not withdrawn yet are reported apart:
queries hide them already.
"""

from dataclasses import dataclass, field

from ..extensions import db
from .documents import expected_documents, now, split_key
from .versions import index_dir, open_index
from .writing import writer


@dataclass
class CheckReport:
    """What `check` found, as document keys ("listing:12"), and how many documents each side has."""

    missing: list = field(default_factory=list)  # in the database, not in the index
    extra: list = field(default_factory=list)  # in the index, no longer live in the database
    stale: list = field(default_factory=list)  # in both, but the document differs
    expired: list = field(default_factory=list)  # past expiry: hidden by queries until the expiry run
    indexed: int = 0
    expected: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def indexed_stamps(base: str) -> dict:
    """{key: (stamp, expires)} of every document in the index."""
    _name, ix = open_index(base)
    with ix.searcher() as s:
        return {f["id"]: (f["stored"].get("stamp"), f["stored"].get("expires")) for f in s.all_stored_fields()}


def check(base: str | None = None) -> CheckReport:
    """Compare the index with the database document by document."""
    base = base or index_dir()
    actual = indexed_stamps(base)
    report = CheckReport(indexed=len(actual))
    with db.engine.connect() as conn:
        expected = {key: doc["stored"]["stamp"] for key, doc in expected_documents(conn)}
    report.expected = len(expected)
    moment = now()
    for key, st in expected.items():
        if key not in actual:
            report.missing.append(key)
        elif actual[key][0] != st:
            report.stale.append(key)
    for key, (_st, expires) in actual.items():
        if key not in expected:
            (report.expired if expires is not None and expires <= moment else report.extra).append(key)
    return report


def repair(base: str, report: CheckReport) -> int:
    """Write the documents a check found missing, stale or extra."""
    fix = report.missing + report.stale
    listing_ids = [split_key(k)[1] for k in fix if k.startswith("listing:")]
    company_ids = [split_key(k)[1] for k in fix if k.startswith("company:")]
    with writer(base) as (_name, w), db.engine.connect() as conn:  # the writer first: then the rows
        docs = dict(expected_documents(conn, listing_ids, company_ids))
        for key in report.extra:
            w.delete_by_term("id", key)
        for key in fix:
            if key in docs:
                w.update_document(**docs[key])
            else:
                w.delete_by_term("id", key)
    return len(fix) + len(report.extra)
