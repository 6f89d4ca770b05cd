"""Matchmaking quality on a labelled set: nDCG@5, nDCG@10, recall@5 and cross-language recall@5.

    .venv/bin/python bench/match_quality.py ../shared/data/sample-listings.jsonl ../shared/data/sample-truth.json

A fresh instance (temporary SQLite file and index directory) imports FILE.jsonl with the portal's
importer, rebuilds the index, and ranks the candidates of every listing that has relevant matches:

* matcher  - portal.search.matching.find_matches (the portal's own code, as the CLI and pages use it);
* anchor 1 - the complementary filter alone (same type, opposite direction, other country) in random
             order, averaged over several seeds;
* anchor 2 - that filter with Whoosh BM25 `more_like` hits on the listing's text ranked first.

Gains are the truth grades (2 or 1); DCG = sum(grade / log2(rank + 1)), normalised by the ideal order.

Below the overall figures, a table per class of query listing: its language (the truth file's) and,
for Russian, Kazakh and Urdu, whether its own text is mostly in Latin letters (ru-latin, kk-latin,
ur-latin), since that is where a matcher that reads only native scripts fails.
"""

import argparse
import json
import math
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEEDS = 20
CLASSES = ["en", "ru", "ru-latin", "kk", "kk-latin", "ur", "ur-latin"]


def dcg(grades) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg(ranked, qrels, k) -> float:
    ideal = dcg(sorted(qrels.values(), reverse=True)[:k])
    return dcg([qrels.get(r, 0) for r in ranked[:k]]) / ideal if ideal else 0.0


def recall(ranked, qrels, k) -> float:
    return len(set(ranked[:k]) & set(qrels)) / len(qrels) if qrels else 0.0


def listing_class(language: str, text: str) -> str:
    """en, or ru/kk/ur with "-latin" when most of the listing's letters are Latin."""
    from portal.language import dominant_script

    return language if language == "en" or dominant_script(text) != "latin" else f"{language}-latin"


def evaluate(rankings: dict, truth: dict, only: set | None = None) -> dict:
    qrels_all = truth["qrels"]
    langs = {ref: info["language"] for ref, info in truth["listings"].items()}
    queries = [q for q, rel in qrels_all.items() if rel and (only is None or q in only)]
    out = {"nDCG@5": 0.0, "nDCG@10": 0.0, "recall@5": 0.0}
    cross_hit = cross_total = 0
    for q in queries:
        ranked, rel = rankings.get(q, []), qrels_all[q]
        out["nDCG@5"] += ndcg(ranked, rel, 5)
        out["nDCG@10"] += ndcg(ranked, rel, 10)
        out["recall@5"] += recall(ranked, rel, 5)
        for d in rel:
            if langs.get(d) != langs.get(q):
                cross_total += 1
                cross_hit += d in ranked[:5]
    n = len(queries) or 1
    out = {k: v / n for k, v in out.items()}
    out["recall@5 cross-language"] = cross_hit / cross_total if cross_total else 0.0
    out["queries"] = len(queries)
    out["cross-language pairs"] = cross_total
    return out


def average(runs: list[dict]) -> dict:
    return {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}


def print_classes(
    classes: dict, truth: dict, ours: dict, anchor1: list[dict], anchor2: list[dict], ceiling: dict
) -> None:
    """One row per class: n, then nDCG@5, recall@5 and cross-language recall@5 for matcher / a1 / a2, and
    the nDCG@5 ceiling (a perfect order of the live listings)."""
    names = CLASSES + sorted(set(classes.values()) - set(CLASSES))
    keys = [("nDCG@5", "nDCG@5"), ("recall@5", "recall@5"), ("recall@5 cross-language", "x-lang recall@5")]
    print()
    print("per class of query listing (matcher / anchor 1 / anchor 2):")
    print(f"{'class':10}{'n':>4}{'pairs':>7}" + "".join(f"{label:>24}" for _, label in keys) + f"{'ceiling':>9}")
    for name in names:
        refs = {ref for ref, c in classes.items() if c == name}
        res = evaluate(ours, truth, refs)
        if not res["queries"]:
            print(f"{name:10}{0:>4}{0:>7}" + "".join(f"{'-':>24}" for _ in keys))
            continue
        a1 = average([evaluate(run, truth, refs) for run in anchor1])
        a2 = average([evaluate(run, truth, refs) for run in anchor2])
        cells = []
        for key, _ in keys:
            if key.endswith("cross-language") and not res["cross-language pairs"]:
                cells.append(f"{'-':>24}")
            else:
                cells.append(f"{f'{res[key]:.3f} / {a1[key]:.3f} / {a2[key]:.3f}':>24}")
        top = evaluate(ceiling, truth, refs)["nDCG@5"]
        print(
            f"{name:10}{int(res['queries']):>4}{int(res['cross-language pairs']):>7}" + "".join(cells) + f"{top:>9.3f}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("listings", help="JSON Lines file in the portal's import format")
    ap.add_argument("truth", help="truth JSON: listings (concepts) and qrels")
    ap.add_argument("--show", help="print the matcher's ranking for this ref")
    ap.add_argument(
        "--all-verified",
        action="store_true",
        help="verify every imported company first: the matcher's quality without the rule that keeps "
        "unverified companies' listings off the portal",
    )
    ap.add_argument("--worst", type=int, default=0, help="list the N query listings with the lowest nDCG@5")
    args = ap.parse_args()

    truth = json.loads(Path(args.truth).read_text(encoding="utf-8"))
    tmp = tempfile.mkdtemp(prefix="lb-quality-")
    os.environ.setdefault("PORTAL_ENV", "development")

    import sqlalchemy as sa

    from config import TestConfig
    from portal import create_app
    from portal.demo import ensure_associations
    from portal.extensions import db
    from portal.listings.importer import import_jsonl
    from portal.models import Listing
    from portal.search import index
    from portal.search.bits import Bits, docnums
    from portal.search.matching import find_matches
    from portal.search.query import docsets, visible_set

    conf = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    conf.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3", INDEX_DIR=f"{tmp}/index")
    app = create_app(conf)
    with app.app_context():
        db.create_all()
        ensure_associations()
        db.session.commit()
        report = import_jsonl(args.listings)
        if report.errors:
            sys.exit("import failed:\n" + "\n".join(report.errors[:20]))
        if args.all_verified:
            from portal.models import Company
            from portal.models.company import VerificationStatus

            for company in db.session.scalars(sa.select(Company)):
                company.status = VerificationStatus.verified
            db.session.commit()
        stats = index.rebuild()
        print(f"imported: {report.summary()}; indexed {stats['documents']} documents")

        listings = db.session.scalars(sa.select(Listing).where(Listing.ref.is_not(None))).all()
        by_ref = {x.ref: x for x in listings}
        classes = {
            ref: listing_class(truth["listings"][ref]["language"], f"{x.title}\n{x.description or ''}")
            for ref, x in by_ref.items()
            if ref in truth["listings"]
        }
        off_portal = {ref for ref, x in by_ref.items() if not x.is_live}
        searcher, cache = index.searcher()
        sets = docsets(searcher, cache)
        live = visible_set(sets, "listing")
        ours, bm25, filtered = {}, {}, {}
        for ref, listing in by_ref.items():
            if ref not in truth["listings"]:
                continue
            ours[ref] = [m.ref for m in find_matches(listing, limit=10)]
            info = truth["listings"][ref]
            other = {"PK": "KZ", "KZ": "PK"}[info["country"]]
            opposite = "request" if info["direction"] == "offer" else "offer"
            allowed = live & sets.facet("type", info["type"]) & sets.facet("direction", opposite)
            allowed &= sets.facet("country", other)
            cands = sorted(searcher.stored_fields(d)["stored"]["ref"] for d in docnums(allowed))
            filtered[ref] = cands
            docnum = searcher.document_number(id=f"listing:{listing.id}")
            hits = []
            if docnum is not None:
                # more_like reads the document's own terms: give it the stored description's text.
                text = searcher.stored_fields(docnum).get("text") or ""
                hits = [
                    h["stored"]["ref"]
                    for h in searcher.more_like(docnum, "body", text=text, top=len(cands) or 1, filter=Bits(allowed))
                ]
            bm25[ref] = [h for h in hits if h in set(cands)]
        if args.show:
            for m in find_matches(by_ref[args.show], limit=10):
                print(f"{m.score:.3f} {m.ref} {truth['qrels'][args.show].get(m.ref, 0)} {m.parts} {m.reasons}")

    anchor1_runs, anchor2_runs = [], []
    shuffled_runs, bm25_runs = [], []
    for seed in range(SEEDS):
        rnd = random.Random(seed)
        shuffled = {}
        ranked_bm25 = {}
        for ref, cands in filtered.items():
            order = cands[:]
            rnd.shuffle(order)
            shuffled[ref] = order
            hits = bm25[ref]  # BM25 hits first, in their order; the rest of the filter set at random
            ranked_bm25[ref] = hits + [c for c in order if c not in set(hits)]
        anchor1_runs.append(evaluate(shuffled, truth))
        anchor2_runs.append(evaluate(ranked_bm25, truth))
        shuffled_runs.append(shuffled)
        bm25_runs.append(ranked_bm25)
    # The best any ranking of what is live can do: the relevant live listings in grade order.
    ceiling = {
        q: sorted((d for d in rel if d not in off_portal), key=lambda d: -rel[d]) for q, rel in truth["qrels"].items()
    }
    rows = [
        ("matcher", evaluate(ours, truth)),
        ("ceiling: live listings, perfect order", evaluate(ceiling, truth)),
        ("anchor 1: filter, random", average(anchor1_runs)),
        ("anchor 2: filter + BM25 more_like", average(anchor2_runs)),
    ]
    keys = ["nDCG@5", "nDCG@10", "recall@5", "recall@5 cross-language"]
    print(f"{'':36}" + "".join(f"{k:>26}" for k in keys))
    for name, res in rows:
        print(f"{name:36}" + "".join(f"{res[k]:>26.3f}" for k in keys))
    res = rows[0][1]
    print(
        f"{int(res['queries'])} listings with relevant matches; {int(res['cross-language pairs'])} relevant "
        f"cross-language pairs"
    )
    unreachable = sum(1 for rel in truth["qrels"].values() for d in rel if d in off_portal)
    if unreachable:
        print(
            f"{unreachable} relevant pairs point to {len(off_portal)} listing(s) that are not live (their company "
            f"is not verified, so no one can be matched with them): hence the ceiling; --all-verified measures "
            f"without that rule"
        )
    print_classes(classes, truth, ours, shuffled_runs, bm25_runs, ceiling)
    if args.worst:
        print()
        print(f"the {args.worst} weakest query listings (nDCG@5, class, ref, top 5 with grades):")
        scored = sorted((ndcg(ours.get(q, []), rel, 5), q) for q, rel in truth["qrels"].items() if rel)
        for score, q in scored[: args.worst]:
            top = " ".join(f"{r}:{truth['qrels'][q].get(r, 0)}" for r in ours.get(q, [])[:5])
            print(f"{score:.3f} {classes.get(q, '?'):9} {q:12} {top}")


if __name__ == "__main__":
    main()
