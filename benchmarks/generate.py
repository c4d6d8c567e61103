"""Synthetic benchmark data with a fixed seed: applications and agency complaint exports.

Everything here is made up: applicants have invented names, summaries are stock phrases, and
agency references are numbered. The same seed and sizes always give the same data.

- `make_applications(n)`: n applications spread over the given areas (by default every shipped
  area) and a year of receipt (1 April 2025 to 31 March 2026, when every shipped procedure is
  in force), in order of receipt, with the references the engine will issue for them
  (`AREA-YYYY-NNNN`, numbered per area and year in order of receipt).
- `write_complaints_csv(path, applications, m)`: m complaints for those cases in the CSV shape
  of CONTRACT.md (`case_ref,agency,agency_ref,incident_on,reported_on,hate,summary`), each from
  one of the area's relevant bodies, with `(agency, agency_ref)` unique. Rows are in the order an
  agency export lists them: by the day reported (`order="date"`), or grouped by case
  (`order="case"`), or shuffled (`order="random"`).

Run alone to write the files: `python benchmarks/generate.py --applications 30000
--complaints 1000000 --out DIR` (applications.csv and complaints.csv).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SEED = 20_261_120
YEAR_START = date(2025, 4, 1)
YEAR_DAYS = 365
LOOKBACK_DAYS = 183
"""Incidents happen up to six months before the application (the Act's window)."""

CSV_HEADER = (
    "case_ref",
    "agency",
    "agency_ref",
    "incident_on",
    "reported_on",
    "hate",
    "summary",
)
ORDERS = ("date", "case", "random")

FIRST_NAMES = (
    "Alex",
    "Bea",
    "Cass",
    "Dev",
    "Eli",
    "Fern",
    "Gus",
    "Hal",
    "Ivy",
    "Jules",
    "Kit",
    "Lou",
    "Mo",
    "Nell",
    "Oz",
    "Pip",
    "Quin",
    "Rae",
    "Sol",
    "Tam",
)
SURNAMES = (  # invented, so no generated applicant is a real person's full name
    "Testwick",
    "Samplethorpe",
    "Examplebury",
    "Mockhampton",
    "Fictionsby",
    "Placeholm",
    "Synthwell",
    "Datacombe",
    "Benchworth",
    "Fixturely",
)
SUMMARIES = (
    "Loud music from the flat above after midnight (synthetic).",
    "Shouting and door slamming in the shared stairwell (synthetic).",
    "Rubbish dumped in the shared garden again (synthetic).",
    "Group gathering outside the front door late at night (synthetic).",
    "Car revving repeatedly in the close (synthetic).",
    "Verbal abuse in the street outside the home (synthetic).",
    "Dog barking for hours while the neighbour is out (synthetic).",
    "Objects thrown at the back fence (synthetic).",
)
KINDS = ("victim",) * 17 + ("on-behalf", "community", "business")


@dataclass(frozen=True)
class Application:
    """One application as the benchmark receives it; `ref` is what the engine will issue."""

    ref: str
    area: str
    received_on: date
    applicant: str
    hate: bool
    vulnerable: bool


def shipped_areas() -> list[str]:
    from casereview.adapters.policy_files import SHIPPED_POLICIES, PolicyBook

    return PolicyBook.load(SHIPPED_POLICIES).areas()


def shipped_bodies() -> dict[str, tuple[str, ...]]:
    """Each shipped area's relevant bodies (the agencies whose complaints count)."""
    from casereview.adapters.policy_files import SHIPPED_POLICIES, PolicyBook

    book = PolicyBook.load(SHIPPED_POLICIES)
    return {
        slug: book.versions(slug)[0].relevant_bodies or (f"{slug.title()} Police",)
        for slug in book.areas()
    }


def fictional_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def make_applications(
    n: int,
    areas: Sequence[str] | None = None,
    *,
    seed: int = SEED,
    start: date = YEAR_START,
    days: int = YEAR_DAYS,
) -> list[Application]:
    """n applications over `areas` and `days` from `start`, in order of receipt."""
    areas = list(areas) if areas is not None else shipped_areas()
    rng = random.Random(f"{seed}/applications/{','.join(areas)}")
    drafts = [
        (
            start + timedelta(days=rng.randrange(days)),
            rng.choice(areas),
            fictional_name(rng),
            rng.random() < 0.04,
            rng.random() < 0.08,
        )
        for _ in range(n)
    ]
    drafts.sort(key=lambda d: d[0])  # stable: ties keep the order drawn
    issued: Counter[tuple[str, int]] = Counter()
    found = []
    for received_on, area, name, hate, vulnerable in drafts:
        issued[area, received_on.year] += 1
        number = issued[area, received_on.year]
        found.append(
            Application(
                ref=f"{area.upper()}-{received_on.year}-{number:04d}",
                area=area,
                received_on=received_on,
                applicant=name,
                hate=hate,
                vulnerable=vulnerable,
            )
        )
    return found


def complaint_dates(rng: random.Random, received_on: date) -> tuple[date, date]:
    """An incident up to six months before the application, mostly reported at once,
    sometimes late (so some fall outside the month the Act allows)."""
    incident_on = received_on - timedelta(days=rng.randrange(LOOKBACK_DAYS))
    roll = rng.random()
    delay = 0 if roll < 0.7 else rng.randint(1, 3) if roll < 0.9 else rng.randint(4, 45)
    return incident_on, incident_on + timedelta(days=delay)


def agency_code(agency: str) -> str:
    return "".join(w[0] for w in agency.split() if w[:1].isalpha()).upper() or "AG"


def write_complaints_csv(
    path: Path,
    applications: Sequence[Application],
    m: int,
    *,
    bodies: Mapping[str, Sequence[str]] | None = None,
    seed: int = SEED,
    order: str = "date",
) -> int:
    """Write m complaints for `applications` to `path`; returns the rows written.

    Memory stays small whatever m: the rows are drawn twice from the same seed, first only
    the case and the days (compact arrays, to put them in order), then in full as written."""
    if order not in ORDERS:
        raise ValueError(f"order {order!r}: expected one of {', '.join(ORDERS)}")
    if not applications and m:
        raise ValueError("complaints need at least one application")
    bodies = bodies if bodies is not None else shipped_bodies()
    rng = random.Random(f"{seed}/complaints")
    n = len(applications)
    owner = array("I", (0,)) * m
    incident = array("I", (0,)) * m
    reported = array("I", (0,)) * m
    for i in range(m):
        case = rng.randrange(n)
        incident_on, reported_on = complaint_dates(rng, applications[case].received_on)
        owner[i], incident[i], reported[i] = (
            case,
            incident_on.toordinal(),
            reported_on.toordinal(),
        )
    if order == "date":
        rows = sorted(range(m), key=lambda i: (reported[i], owner[i]))
    elif order == "case":
        rows = sorted(range(m), key=lambda i: (owner[i], reported[i]))
    else:
        rows = list(range(m))
        random.Random(f"{seed}/shuffle").shuffle(rows)
    detail = random.Random(f"{seed}/details")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for position, i in enumerate(rows, start=1):
            application = applications[owner[i]]
            agency = detail.choice(bodies[application.area])
            hate = application.hate or detail.random() < 0.03
            summary = detail.choice(SUMMARIES) if detail.random() < 0.6 else ""
            writer.writerow(
                (
                    application.ref,
                    agency,
                    f"{agency_code(agency)}/{position:07d}",
                    date.fromordinal(incident[i]).isoformat(),
                    date.fromordinal(reported[i]).isoformat(),
                    "true" if hate else "false",
                    summary,
                )
            )
    return m


def write_applications_csv(path: Path, applications: Sequence[Application]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ("ref", "area", "received_on", "applicant", "hate", "vulnerable")
        )
        for a in applications:
            writer.writerow(
                (
                    a.ref,
                    a.area,
                    a.received_on.isoformat(),
                    a.applicant,
                    "true" if a.hate else "false",
                    "true" if a.vulnerable else "false",
                )
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=30_000)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--order", choices=ORDERS, default="date")
    parser.add_argument("--out", type=Path, default=Path())
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    applications = make_applications(args.applications, seed=args.seed)
    write_applications_csv(args.out / "applications.csv", applications)
    write_complaints_csv(
        args.out / "complaints.csv",
        applications,
        args.complaints,
        seed=args.seed,
        order=args.order,
    )
    print(
        f"wrote {len(applications)} applications and {args.complaints} complaints "
        f"to {args.out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
