"""Policy files on disk: `policies/<area-slug>/<effective-date>.toml` (CONTRACT.md).

The edge that reads files; validation lives in `casereview.thresholds.policy`. A book holds
every version of every area, and answers which version was in force on a date, so a decision
replayed years later uses the procedure that applied then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from casereview.errors import InvalidInput
from casereview.thresholds.policy import PolicyError, Procedure, parse_procedure


def _shipped() -> Path:
    here = Path(__file__).resolve().parent.parent  # the casereview package
    installed = here / "_policies"  # packaged copy inside an installed wheel
    return installed if installed.is_dir() else here.parent / "policies"


SHIPPED_POLICIES: Path = _shipped()


class UnknownArea(InvalidInput):
    """No procedure for this area in the policy folder (exit 2)."""


def load_policy_file(path: Path) -> Procedure:
    """Read and validate one policy file; the slug is its folder, the name its date."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror or exc}") from None
    procedure = parse_procedure(data, slug=path.parent.name, name=str(path))
    expected = f"{procedure.effective_from.isoformat()}.toml"
    if path.name != expected:
        raise PolicyError(
            f"{path}: the file name {path.name!r} must equal its effective_from "
            f"({procedure.effective_from.isoformat()}): rename it to {expected!r}"
        )
    return procedure


class PolicyBook:
    """Every version of every area's procedure, looked up by area and date."""

    def __init__(self, procedures: Iterable[Procedure] = ()) -> None:
        by_area: dict[str, dict[date, Procedure]] = {}
        for procedure in procedures:
            versions = by_area.setdefault(procedure.slug, {})
            if procedure.effective_from in versions:
                raise PolicyError(
                    f"{procedure.slug}: two versions take effect on "
                    f"{procedure.effective_from.isoformat()} (one file per effective date)"
                )
            versions[procedure.effective_from] = procedure
        self._versions: dict[str, list[Procedure]] = {
            slug: [versions[d] for d in sorted(versions)]
            for slug, versions in sorted(by_area.items())
        }

    @classmethod
    def load(cls, folder: Path) -> PolicyBook:
        """Load every `<slug>/<date>.toml` under `folder`; other top-level files are not areas."""
        if not folder.is_dir():
            raise PolicyError(f"{folder}: not a policy folder (expected a directory)")
        files = sorted(
            path
            for area in folder.iterdir()
            if area.is_dir() and not area.name.startswith((".", "_"))
            for path in area.iterdir()
            if path.is_file() and path.suffix.lower() == ".toml"
        )
        return cls(load_policy_file(path) for path in files)

    def areas(self) -> list[str]:
        """The area slugs, sorted."""
        return list(self._versions)

    def versions(self, slug: str) -> list[Procedure]:
        """Every version of one area's procedure, oldest first."""
        return list(self._area(slug))

    def in_force(self, slug: str, on: date) -> Procedure:
        """The latest version whose effective date is on or before `on`."""
        versions = self._area(slug)
        current = [p for p in versions if p.effective_from <= on]
        if not current:
            first = versions[0]
            raise PolicyError(
                f"no {first.slug} procedure was in force on {on.isoformat()}: the first "
                f"takes effect on {first.effective_from.isoformat()}"
            )
        return current[-1]

    def current(self, slug: str, today: date) -> Procedure:
        """The version in force today (`today` is passed in: nothing here reads the clock)."""
        return self.in_force(slug, today)

    def _area(self, slug: str) -> list[Procedure]:
        versions = self._versions.get(slug.strip().lower())
        if versions is None:
            known = ", ".join(self._versions) or "none"
            raise UnknownArea(f"unknown area {slug!r} (known: {known})")
        return versions
