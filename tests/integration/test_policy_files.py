"""Policy files on disk: the shipped folder, and synthetic folders under tmp_path."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from casereview.adapters.policy_files import (
    SHIPPED_POLICIES,
    PolicyBook,
    UnknownArea,
    load_policy_file,
)
from casereview.errors import InvalidInput
from casereview.thresholds.policy import (
    PolicyError,
    PolicyStricterThanAct,
    stricter_than_act,
)

SHIPPED_FILES = sorted(SHIPPED_POLICIES.glob("*/*.toml"))


def write_policy(
    folder: Path,
    slug: str,
    effective_from: str,
    name: str | None = None,
    extra: str = "",
) -> Path:
    path = folder / slug / (name or f"{effective_from}.toml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""\
schema = 1
area = "{slug.title()}"
nation = "england"
effective_from = {effective_from}
source = "https://example.invalid/{slug}"
{extra}
[contacts]
case_team = "asb-case-review@{slug}.invalid"
"""
    )
    return path


def acknowledge_in(days: int) -> str:
    return f"""
[[timescales]]
name = "acknowledge"
from = "received"
until = "acknowledged"
days = {days}
"""


def test_shipped_folder_holds_at_least_nine_areas():
    assert len(PolicyBook.load(SHIPPED_POLICIES).areas()) >= 9


@pytest.mark.parametrize(
    "path", SHIPPED_FILES, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_shipped_policy_loads_when_read_from_the_folder(path):
    procedure = load_policy_file(path)

    assert procedure.slug == path.parent.name
    assert stricter_than_act(procedure) == []
    assert procedure.source.startswith("https://")
    assert procedure.read_on == date(2026, 11, 22)
    assert {"case_team", "csp_chair", "pcc_office"} <= set(procedure.contacts)
    assert all(address.endswith(".invalid") for address in procedure.contacts.values())
    assert len(procedure.relevant_bodies) >= 3


@pytest.mark.parametrize(
    "path", SHIPPED_FILES, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_shipped_policy_is_contract_shaped_when_read_as_plain_toml(path):
    raw = tomllib.loads(path.read_text())

    assert raw["schema"] == 1
    assert raw["effective_from"].isoformat() == path.stem
    assert "slug" not in raw


def test_shipped_policy_for_wales_uses_the_welsh_calendar():
    book = PolicyBook.load(SHIPPED_POLICIES)

    assert book.current("south-wales", date(2026, 11, 22)).nation == "wales"


def test_shipped_gosport_has_two_versions_when_listed():
    versions = PolicyBook.load(SHIPPED_POLICIES).versions("gosport")

    assert [v.effective_from for v in versions] == [date(2025, 4, 1), date(2026, 4, 1)]


def test_policy_file_is_refused_when_name_differs_from_effective_from(tmp_path):
    path = write_policy(tmp_path, "example", "2026-04-01", name="2026-05-01.toml")

    with pytest.raises(PolicyError) as refused:
        load_policy_file(path)

    assert "'2026-05-01.toml'" in str(refused.value)
    assert "(2026-04-01)" in str(refused.value)


def test_policy_file_is_refused_as_malformed_when_it_cannot_be_read(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy_file(tmp_path / "example" / "2026-04-01.toml")


def test_policy_file_is_refused_as_stricter_when_it_asks_for_four_complaints(tmp_path):
    path = write_policy(
        tmp_path, "example", "2026-04-01", extra="[threshold]\ncomplaints = 4\n"
    )

    with pytest.raises(
        PolicyStricterThanAct, match=r"threshold\.complaints: 4 complaints"
    ):
        load_policy_file(path)


def test_policy_file_is_refused_when_its_folder_is_not_a_slug(tmp_path):
    path = write_policy(tmp_path, "Example_Area", "2026-04-01")

    with pytest.raises(PolicyError, match="slug"):
        load_policy_file(path)


def test_policy_book_is_refused_when_folder_is_not_a_directory(tmp_path):
    with pytest.raises(PolicyError, match="not a policy folder"):
        PolicyBook.load(tmp_path / "missing")


def test_policy_book_is_refused_when_two_versions_share_an_effective_date(tmp_path):
    first = load_policy_file(write_policy(tmp_path, "example", "2026-04-01"))
    second = load_policy_file(write_policy(tmp_path / "b", "example", "2026-04-01"))

    with pytest.raises(PolicyError, match="two versions take effect on 2026-04-01"):
        PolicyBook([first, second])


def test_policy_book_is_refused_when_a_file_has_an_upper_case_suffix_for_a_loaded_date(
    tmp_path,
):
    write_policy(tmp_path, "example", "2026-04-01")
    write_policy(tmp_path, "example", "2026-04-01", name="2026-04-01.TOML")

    with pytest.raises(PolicyError, match=r"2026-04-01\.TOML"):
        PolicyBook.load(tmp_path)


def test_policy_book_skips_top_level_files_when_loading(tmp_path):
    write_policy(tmp_path, "example", "2026-04-01")
    (tmp_path / "bank-holidays.toml").write_text("[england]\n")
    (tmp_path / "README.md").write_text("policies\n")

    assert PolicyBook.load(tmp_path).areas() == ["example"]


def test_policy_book_lists_areas_sorted_when_loaded(tmp_path):
    for slug in ("suffolk", "bedford", "gosport"):
        write_policy(tmp_path, slug, "2025-04-01")

    assert PolicyBook.load(tmp_path).areas() == ["bedford", "gosport", "suffolk"]


@pytest.mark.parametrize(
    ("on", "days"),
    [
        (date(2026, 3, 31), 10),
        (date(2026, 4, 1), 5),
        (date(2026, 4, 2), 5),
        (date(2025, 4, 1), 10),
        (date(2030, 1, 1), 5),
    ],
)
def test_policy_in_force_is_the_latest_version_on_or_before_the_date(
    tmp_path, on, days
):
    write_policy(tmp_path, "example", "2026-04-01", extra=acknowledge_in(5))
    write_policy(tmp_path, "example", "2025-04-01", extra=acknowledge_in(10))
    book = PolicyBook.load(tmp_path)

    procedure = book.in_force("example", on)

    assert procedure.timescales[0].days == days
    assert [v.effective_from for v in book.versions("example")] == [
        date(2025, 4, 1),
        date(2026, 4, 1),
    ]


def test_policy_current_is_the_version_in_force_on_the_given_day(tmp_path):
    write_policy(tmp_path, "example", "2025-04-01")
    write_policy(tmp_path, "example", "2026-04-01")

    current = PolicyBook.load(tmp_path).current("example", date(2026, 11, 22))

    assert current.version == "example/2026-04-01"


def test_policy_in_force_is_refused_naming_the_first_date_when_asked_before_it(
    tmp_path,
):
    write_policy(tmp_path, "example", "2025-04-01")

    with pytest.raises(InvalidInput, match="first takes effect on 2025-04-01"):
        PolicyBook.load(tmp_path).in_force("example", date(2025, 3, 31))


def test_unknown_area_is_refused_listing_the_known_areas(tmp_path):
    for slug in ("gosport", "bedford"):
        write_policy(tmp_path, slug, "2025-04-01")

    with pytest.raises(UnknownArea) as refused:
        PolicyBook.load(tmp_path).in_force("foo", date(2026, 1, 1))

    assert str(refused.value) == "unknown area 'foo' (known: bedford, gosport)"
    assert isinstance(refused.value, InvalidInput)
    assert refused.value.exit_code == 2


@pytest.mark.parametrize("given_as", ["GOSPORT", "Gosport", "gosport"])
def test_area_is_found_whatever_its_case_when_looked_up(given_as):
    book = PolicyBook.load(SHIPPED_POLICIES)

    assert book.in_force(given_as, date(2026, 11, 22)).slug == "gosport"
    assert book.versions(given_as) == book.versions("gosport")
