"""Developer sessions: `nox -s tests`, `lint`, `types`, `imports`, `benchmarks`."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "imports", "types", "tests"]
nox.options.reuse_existing_virtualenvs = True

SOURCES = ["lfs_ayats", "tests", "benchmarks", "noxfile.py"]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (the command README.md gives)."""
    session.install("-e", ".[test]")  # test brings the api and web extras its tests need
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the package, the tests and the benchmarks."""
    session.install("ruff")
    session.run("ruff", "check", *SOURCES)


@nox.session
def types(session: nox.Session) -> None:
    """mypy: strict on the wire-level packages (packets/, wire/), checked on telemetry/, store/, analysis/, api/."""
    session.install("-e", ".[dev]")
    session.run("mypy", "lfs_ayats/packets", "lfs_ayats/wire", "lfs_ayats/telemetry", "lfs_ayats/store",
                "lfs_ayats/analysis", "lfs_ayats/api")


@nox.session
def imports(session: nox.Session) -> None:
    """The import-linter contracts: data flows one way, headless layers import no UI toolkit."""
    session.install("-e", ".[dev]")
    session.run("lint-imports")


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Every script in benchmarks/, each printing ratios against baselines measured in the same run."""
    session.install("-e", ".[dev]")
    for script in sorted(__import__("pathlib").Path("benchmarks").glob("*.py")):
        session.run("python", str(script))


@nox.session
def screenshots(session: nox.Session) -> None:
    """An SVG of every screen of the app, from the seeded race, into screenshots/ (README shows them)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "tests.ui.screenshots", "screenshots")
