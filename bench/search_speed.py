"""Search and matching speed at 10k and 100k listings: rebuild rate, p50/p95 through the portal and bare Whoosh.

    .venv/bin/python bench/search_speed.py [--sizes 10000,100000] [--queries 200]

For each size a fresh instance (temporary SQLite file and index directory) is filled with generated
listings (random combinations of the taxonomy's vocabulary in the four languages plus filler text,
bulk-inserted), the index is rebuilt with `portal.search.index.rebuild` (rate in listings/s), then:

* 200 searches through the portal's own code (`portal.search.query.search`: parsing, concept and
  cross-language expansion, visibility filter, facet counts, ranking, highlights and loading the rows
  from the database), and the same parsed queries (words OR meaning) on bare Whoosh
  (`searcher.search(q, limit=10)`);
* 200 match computations through `portal.search.matching.listing_matches` (rows loaded), and bare
  Whoosh `more_like` on the same listings.

A few warm-up queries run first: they build the per-generation caches (facet bitmaps, concept idf)
that every later request of the process reuses until the index changes.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FILLER = {
    "en": (
        "quality export monthly supply partner factory price shipment experience modern reliable large "
        "order container sample delivery production team years capacity standard premium grade tons "
        "customers market europe asia looking offer new plant line workers contract long term"
    ).split(),
    "ru": (
        "качество экспорт ежемесячно поставка партнер фабрика цена отгрузка опыт современный надежный "
        "крупный заказ контейнер образец доставка производство команда лет мощность стандарт сорт тонн "
        "клиенты рынок европа азия ищем предлагаем новый завод линия рабочие контракт долгосрочный"
    ).split(),
    "kk": (
        "сапа экспорт ай сайын жеткізу серіктес фабрика баға тиеу тәжірибе заманауи сенімді ірі тапсырыс "
        "контейнер үлгі өндіріс команда жыл қуат стандарт сұрып тонна клиенттер нарық іздейміз ұсынамыз "
        "жаңа зауыт желі жұмысшылар келісімшарт"
    ).split(),
    "ur": (
        "معیار برآمد ماہانہ فراہمی شراکت دار فیکٹری قیمت کھیپ تجربہ جدید قابل اعتماد بڑا آرڈر کنٹینر نمونہ "
        "ترسیل پیداوار ٹیم سال صلاحیت معیاری درجہ ٹن گاہک مارکیٹ یورپ ایشیا تلاش پیشکش نیا پلانٹ لائن "
        "کارکن معاہدہ طویل مدتی"
    ).split(),
}
LANG_WEIGHTS = (("en", 0.5), ("ru", 0.3), ("kk", 0.1), ("ur", 0.1))


def pct(values, p) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def phrases_by_language(vocab):
    """(term id, phrase) per language: the taxonomy's terms and its general words ("кожа", "hides")."""
    out = {lang: [] for lang, _w in LANG_WEIGHTS}
    for term in [*vocab.terms.values(), *vocab.words.terms.values()]:
        for lang in out:
            words = [term.labels.get(lang, "")] + list(term.synonyms.get(lang, []))
            out[lang].extend((term.id, w.rstrip("*")) for w in words if w)
    return out


def sentence(rnd, lang, phrases, n_concepts, n_filler) -> tuple[str, list]:
    picked = [rnd.choice(phrases[lang]) for _ in range(n_concepts)]
    words = [p for _t, p in picked] + [rnd.choice(FILLER[lang]) for _ in range(n_filler)]
    rnd.shuffle(words)
    return " ".join(words).capitalize() + ".", [t for t, _p in picked]


def populate(size: int, rnd: random.Random):
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.models import Association, Company, CompanyCapability, Listing, ListingTag
    from portal.models.base import utcnow
    from portal.taxonomy import builtin

    vocab = builtin()
    phrases = phrases_by_language(vocab)
    term_ids = list(vocab.terms)
    assoc = {a.code: a.id for a in db.session.scalars(sa.select(Association))}
    n_companies = max(50, size // 100)
    companies, caps = [], []
    for i in range(1, n_companies + 1):
        country = "PK" if i % 2 else "KZ"
        companies.append(
            dict(
                id=i,
                name=f"Company {i}",
                country=country,
                city="Sialkot" if country == "PK" else "Almaty",
                association_id=assoc["PTA" if country == "PK" else "KLA"],
                membership_no=str(i),
                description=sentence(rnd, rnd.choice(("en", "ru")), phrases, 3, 8)[0],
                languages=[],
                hs_codes=[],
                status="verified",
                capacity_amount=rnd.choice((None, 1000)),
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        caps.extend(dict(company_id=i, term_id=t) for t in rnd.sample(term_ids, 4))
    now = utcnow()
    langs, weights = zip(*LANG_WEIGHTS, strict=True)
    listings, tags = [], []
    for i in range(1, size + 1):
        lang = rnd.choices(langs, weights)[0]
        title, t1 = sentence(rnd, lang, phrases, 2, 3)
        body = []
        concepts = list(t1)
        for _ in range(rnd.randint(2, 4)):
            s, t = sentence(rnd, lang, phrases, rnd.randint(1, 3), rnd.randint(6, 14))
            body.append(s)
            concepts += t
        listings.append(
            dict(
                id=i,
                company_id=rnd.randint(1, n_companies),
                direction=rnd.choice(("offer", "request")),
                type=rnd.choice(("technology_transfer", "training", "joint_venture", "trade")),
                title=title[:150],
                summary="",
                description=" ".join(body),
                language=lang,
                target_countries=[],
                details={},
                anonymous=False,
                status="published",
                created_at=now,
                updated_at=now,
                published_at=now - timedelta(minutes=i),
                expires_at=now + timedelta(days=90),
            )
        )
        if i % 3 == 0:  # a third carry explicit tags
            tags.extend(dict(listing_id=i, term_id=t, inferred=False) for t in sorted(set(t1)))
    with db.engine.begin() as conn:
        conn.execute(sa.insert(Company.__table__), companies)
        conn.execute(sa.insert(CompanyCapability.__table__), caps)
        for k in range(0, len(listings), 5000):
            conn.execute(sa.insert(Listing.__table__), listings[k : k + 5000])
        for k in range(0, len(tags), 10000):
            conn.execute(sa.insert(ListingTag.__table__), tags[k : k + 10000])
    return phrases


def make_queries(rnd, phrases, n) -> list[str]:
    langs, weights = zip(*LANG_WEIGHTS, strict=True)
    out = []
    for _ in range(n):
        lang = rnd.choices(langs, weights)[0]
        words = [rnd.choice(phrases[lang])[1] for _ in range(rnd.randint(1, 2))]
        if rnd.random() < 0.4:
            words.append(rnd.choice(FILLER[lang]))
        out.append(" ".join(words))
    return out


def run(size: int, n: int) -> None:
    tmp = tempfile.mkdtemp(prefix=f"lb-speed-{size}-")
    from whoosh.query import Or

    from config import TestConfig
    from portal import create_app
    from portal.demo import ensure_associations
    from portal.extensions import db
    from portal.models import Listing
    from portal.search import index
    from portal.search.matching import listing_matches
    from portal.search.query import build_query
    from portal.search.query import search as portal_search

    conf = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    conf.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/speed.sqlite3", INDEX_DIR=f"{tmp}/index")
    app = create_app(conf)
    rnd = random.Random(size)
    with app.app_context():
        db.create_all()
        ensure_associations()
        db.session.commit()
        t0 = time.perf_counter()
        phrases = populate(size, rnd)
        print(f"\n== {size:,} listings: generated and bulk-inserted in {time.perf_counter() - t0:.1f} s")
        stats = index.rebuild()
        print(
            f"rebuild: {stats['listings']:,} listings + {stats['companies']} companies in {stats['seconds']:.1f} s "
            f"= {stats['rate']:.0f} listings/s (on {os.cpu_count()} cores)"
        )
        queries = make_queries(rnd, phrases, n)
        listing_ids = rnd.sample(range(1, size + 1), n)

    def timed_portal_search(q):
        with app.test_request_context("/search"):
            t = time.perf_counter()
            portal_search(q, page=1, per_page=10)
            return time.perf_counter() - t

    for q in queries[:5]:  # warm-up: per-generation caches
        timed_portal_search(q)
    portal_times = [timed_portal_search(q) for q in queries]

    with app.app_context():
        searcher, _cache = index.searcher()
        built = [build_query(q) for q in queries]
        parsed = [Or([x for x in (b.ranking, b.meaning) if x is not None]) for b in built]
        bare_times = []
        for q in parsed:
            t = time.perf_counter()
            if q.subqueries:
                [h["id"] for h in searcher.search(q, limit=10)]
            bare_times.append(time.perf_counter() - t)

    def timed_match(listing_id):
        with app.test_request_context("/"):
            listing = db.session.get(Listing, listing_id)
            t = time.perf_counter()
            listing_matches(listing, limit=5)
            return time.perf_counter() - t

    for lid in listing_ids[:5]:
        timed_match(lid)
    match_times = [timed_match(lid) for lid in listing_ids]

    with app.app_context():
        searcher, _cache = index.searcher()
        more_times = []
        for lid in listing_ids:
            t = time.perf_counter()
            docnum = searcher.document_number(id=f"listing:{lid}")
            text = searcher.stored_fields(docnum)["text"]
            [h["id"] for h in searcher.more_like(docnum, "body", text=text, top=10)]
            more_times.append(time.perf_counter() - t)

    print(f"{'':34}{'p50 ms':>10}{'p95 ms':>10}")
    for name, times in (
        ("search, portal (rows loaded)", portal_times),
        ("search, bare Whoosh", bare_times),
        ("match, portal (rows loaded)", match_times),
        ("more_like, bare Whoosh", more_times),
    ):
        print(f"{name:34}{pct(times, 50):>10.1f}{pct(times, 95):>10.1f}")
    ratio = pct(portal_times, 95) / max(pct(bare_times, 95), 1e-9)
    print(f"portal search p95 / bare Whoosh p95 = {ratio:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated listing counts")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.queries)


if __name__ == "__main__":
    main()
