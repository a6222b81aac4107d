"""The shape of the package: small modules (the layers themselves are checked by
import-linter, ``lint-imports`` in .ci/run, with the contracts in .importlinter)."""

from __future__ import annotations

from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "dangjian_rules"
LONGEST_MODULE = 800


def test_no_module_is_longer_than_the_limit() -> None:
    modules = sorted(SOURCE.rglob("*.py"))
    assert len(modules) > 50  # the package was found
    too_long = {
        str(path.relative_to(SOURCE)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST_MODULE
    }
    assert not too_long, f"split these modules by meaning: {too_long}"
