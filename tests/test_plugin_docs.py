"""docs/plugins.md documents every hook with its exact signature (datasette's habit)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from dangjian_rules.plugins import hookspecs

DOC = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text(encoding="utf-8")
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("dangjian_rules_"))


def test_there_are_hooks() -> None:
    assert len(HOOKS) >= 8


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook: str) -> None:
    assert f"\n### {hook}\n" in DOC, f"docs/plugins.md has no section for {hook}"
    section = DOC.split(f"\n### {hook}\n", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```py\n(def .*?)\n```", section, re.S)
    assert block is not None, f"{hook}: no signature block"
    documented = " ".join(block.group(1).split()).replace("( ", "(").replace(" )", ")")
    signature = inspect.signature(getattr(hookspecs, hook))
    expected = f"def {hook}{signature}".replace("'", "")
    assert documented == expected


def test_no_section_documents_a_hook_that_does_not_exist() -> None:
    sections = re.findall(r"\n### (dangjian_rules_\w+)\n", DOC)
    assert sorted(sections) == HOOKS
