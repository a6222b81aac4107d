"""``dangjian-rules new-plugin``: the plugin it writes is complete and works as written.

The generated plugin is never pip-installed here: its own tests run in a subprocess with
its ``src`` on PYTHONPATH (they register the plugin explicitly), its ruleset is checked
with a registry holding its module, and ruff checks its code.
"""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import tomli

from dangjian_rules import __version__
from dangjian_rules.api import parse_ruleset
from dangjian_rules.cli import main
from dangjian_rules.testing import make_registry

NAME = "tmpl-check"  # unusual on purpose: "-" becomes "_" in the module and the plugin name
DIST = "dangjian-rules-tmpl-check"
MODULE = "dangjian_rules_tmpl_check"
FILES = [
    "README.md",
    "pyproject.toml",
    f"src/{MODULE}/__init__.py",
    f"src/{MODULE}/py.typed",
    f"src/{MODULE}/rulesets/example.toml",
    "tests/test_plugin.py",
]


def new_plugin(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["new-plugin", "--lang", "en", *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plugins")
    code, stdout, stderr = new_plugin(NAME, "--out", str(out), "--county-label", "测试县")
    assert (code, stderr) == (0, ""), stderr
    assert f"Wrote the plugin {DIST} (6 files)" in stdout
    return out / DIST


@pytest.fixture
def module(generated: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(generated / "src"))
    try:
        yield importlib.import_module(MODULE)
    finally:
        sys.path.remove(str(generated / "src"))
        sys.modules.pop(MODULE, None)


def test_writes_the_files_with_every_placeholder_replaced(tmp_path: Path) -> None:
    assert new_plugin(NAME, "--out", str(tmp_path), "--county-label", "测试县")[0] == 0
    generated = tmp_path / DIST
    written = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*"))
    assert [p for p in written if (generated / p).is_file()] == FILES
    for file in FILES:
        assert "{{" not in (generated / file).read_text(encoding="utf-8"), file
    project = tomli.loads((generated / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == DIST
    assert project["project"]["dependencies"] == [f"dangjian-rules>={__version__}"]
    assert project["project"]["optional-dependencies"]["test"] == ["dangjian-rules[testing]"]
    assert project["project"]["entry-points"]["dangjian_rules"] == {"tmpl_check": MODULE}
    assert "测试县 plugin" in project["project"]["description"]
    assert (generated / f"src/{MODULE}/py.typed").read_text() == ""


def test_generated_tests_pass_without_installing(generated: Path) -> None:
    paths = [str(generated / "src"), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(generated / "tests")],
        cwd=generated,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout


def test_generated_ruleset_checks_clean_strict(generated: Path, module: ModuleType) -> None:
    file = generated / "src" / MODULE / "rulesets" / "example.toml"
    ruleset, problems = parse_ruleset(file.read_bytes(), str(file), make_registry(module))
    assert problems == []  # not even a warning: passes check --strict
    assert ruleset is not None and ruleset.id == "tmpl_check.example"
    assert [rule.kind for rule in ruleset.rules] == ["tmpl_check_bonus"]
    assert ruleset.name == "测试县志愿服务积分（示意）"
    # without the plugin, its kind is unknown
    _, problems = parse_ruleset(file.read_bytes(), str(file), make_registry())
    assert [p.code for p in problems] == ["DJ111"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_generated_code_is_ruff_clean(generated: Path, command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", str(generated)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_code_is_mypy_strict_clean(generated: Path, tmp_path: Path) -> None:
    # mypy reads the generated pyproject.toml: strict, files = ["src", "tests"].
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
        cwd=generated,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues found in 2 source files" in done.stdout


@pytest.mark.parametrize(
    "name",
    [
        "9lives",
        "ling bao",
        "灵宝",
        "lingbao!",
        "lingbao-",
        "_x",
        "a" * 41,
        "dangjian-rules-lingbao",
    ],
)
def test_bad_names_are_usage_errors(name: str, tmp_path: Path) -> None:
    code, stdout, stderr = new_plugin(name, "--out", str(tmp_path))
    assert stdout == ""
    assert code == 2
    assert stderr.startswith("dangjian-rules: ")
    assert "plugin name" in stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_label_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = new_plugin("lingbao", "--out", str(tmp_path), "--county-label", 'a"b')
    assert code == 2
    assert "invalid --county-label" in stderr
    assert list(tmp_path.iterdir()) == []


def test_never_overwrites_an_existing_folder(tmp_path: Path) -> None:
    assert new_plugin("lingbao", "--out", str(tmp_path))[0] == 0
    readme = tmp_path / "dangjian-rules-lingbao" / "README.md"
    readme.write_text("mine", encoding="utf-8")
    code, stdout, stderr = new_plugin("LingBao", "--out", str(tmp_path))  # same folder
    assert (code, stdout) == (2, "")
    assert "already exists; not overwriting it" in stderr
    assert readme.read_text(encoding="utf-8") == "mine"


def test_names_are_normalised_and_out_is_created(tmp_path: Path) -> None:
    code, stdout, _ = new_plugin("Ling_Bao", "--out", str(tmp_path / "new" / "folder"))
    assert code == 0
    folder = tmp_path / "new" / "folder" / "dangjian-rules-ling-bao"
    assert (folder / "src" / "dangjian_rules_ling_bao" / "__init__.py").is_file()
    source = (folder / "src" / "dangjian_rules_ling_bao" / "__init__.py").read_text("utf-8")
    assert 'name="ling_bao_bonus"' in source and '"ling_bao_weekday"' in source
    assert 'rule kind "ling_bao_bonus"' in stdout
    # the label defaults to the name as given
    assert "Ling_Bao plugin for dangjian-rules" in (folder / "README.md").read_text("utf-8")
