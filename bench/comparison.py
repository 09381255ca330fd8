"""Benchmark of the map (/map/) and the outcomes view (/outcomes/) through gunicorn.

The same harness as bench/matrix.py (production settings, 2 sync workers, warm-up
then sequential requests, median and 95th percentile of the full response time),
over the shapes a visitor is most likely to ask for. Run it twice: without the
count cache (``--cache-seconds 0``: every request counts, the "cold" figure) and
with it (``--cache-seconds 600``: repeats read the counts cached under the data
stamp). The database must hold the synthetic cases, VACUUM ANALYZEd::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas_w15 .venv/bin/python manage.py migrate
    ... manage.py load_book --reference-only
    ... manage.py generate_synthetic_cases --count 100000 --seed 1
    psql ... -c 'VACUUM ANALYZE'
    .venv/bin/python bench/comparison.py --port 8115 [--cache-seconds 600] postgres://…/atlas_w15
"""

import argparse

from matrix import bench

SCENARIOS = [
    ("map: cases by country", "/map/"),
    ("map: share with co-production", "/map/?share_of=participation_form:co-production"),
    (
        "map: share, childcare only",
        "/map/?share_of=provider_type:third-sector&policy_field=childcare-preschool",
    ),
    ("outcomes by welfare tradition", "/outcomes/"),
    ("outcomes by country", "/outcomes/?by=country"),
    (
        "outcomes by provider type, childcare only",
        "/outcomes/?by=provider_type&policy_field=childcare-preschool",
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_urls", nargs="+")
    parser.add_argument("--port", type=int, default=8115)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--cache-seconds", type=int, default=0, help="FACET_CACHE_SECONDS (0: no cache)"
    )
    args = parser.parse_args()
    print("| Database | Published cases | Page | Median (ms) | p95 (ms) |")
    print("|---|---:|---|---:|---:|")
    for url in args.database_urls:
        bench(url, args.port, args.warmup, args.requests, args.cache_seconds, SCENARIOS)


if __name__ == "__main__":
    main()
