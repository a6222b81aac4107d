"""The examples in the documentation are executed, so the docs cannot drift from the code.

- every ```toml block in docs/*.md holding a ``[ruleset]`` table loads with no problems, or
  with exactly the codes of an ``<!-- expect: DJ101 DJ107 -->`` comment on the line before it;
- every ```python block in docs/*.md and README.md runs (with the repository root as cwd);
- every ```text block right after ``<!-- output of: dangjian-rules ARGS -->`` is exactly what
  the command prints (stdout and stderr together); ``(exit N)`` at the end of the comment
  also checks the exit code; after ``<!-- json output of: dangjian-rules ARGS -->`` the block
  (```json) is the command's JSON output, indented by 2 for reading; ``$TMP`` in ARGS and
  in the output stands for a fresh temporary folder;
- every block right after ``<!-- file: docs/examples/NAME -->`` is exactly that file, so the
  files the commands above read are the ones the reader sees;
- every problem code the source can emit is listed in the reference.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from dangjian_rules import parse_ruleset
from dangjian_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_FILES = sorted(DOCS.glob("*.md"))
SAMPLE_DATA = ROOT / "examples" / "mianchi-2015"

_FENCE_OPEN = re.compile(r"^```([\w+-]*)\s*$")
_FENCE_CLOSE = re.compile(r"^```\s*$")
_EXPECT = re.compile(r"^<!--\s*expect:\s*([A-Z0-9 ]*?)\s*-->$")
_OUTPUT = re.compile(
    r"^<!--\s*(json )?output of:\s*dangjian-rules\s+(.*?)(?:\s+\(exit (\d+)\))?\s*-->$"
)
_FILE = re.compile(r"^<!--\s*file:\s*(\S+)\s*-->$")
_RULESET_TABLE = re.compile(r"^\[ruleset\]\s*$", re.MULTILINE)
_CODE = re.compile(r"\bDJ\d{3}\b")


class Block(NamedTuple):
    file: Path
    line: int  # 1-based line of the opening fence
    lang: str
    before: str  # the line right before the opening fence, stripped
    text: str  # the block's content, ending with a newline (empty if the block is)

    @property
    def id(self) -> str:
        return f"{self.file.relative_to(ROOT).as_posix()}:{self.line}"


def blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if opening is None:
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not _FENCE_CLOSE.match(lines[index]):
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise AssertionError(f"{path}:{start + 1}: code block is never closed")
        index += 1
        before = lines[start - 1].strip() if start > 0 else ""
        text = "".join(line + "\n" for line in body)
        yield Block(path, start + 1, opening[1], before, text)


def _all(files: list[Path], lang: str) -> list[Block]:
    return [b for f in files for b in blocks(f) if b.lang == lang]


RULESET_BLOCKS = [b for b in _all(DOC_FILES, "toml") if _RULESET_TABLE.search(b.text)]
PYTHON_BLOCKS = _all([*DOC_FILES, ROOT / "README.md"], "python")
OUTPUT_BLOCKS = [
    b
    for b in _all(DOC_FILES, "text") + _all(DOC_FILES, "json")
    if (m := _OUTPUT.match(b.before)) and (m[1] is None) == (b.lang == "text")
]
FILE_BLOCKS = [b for f in DOC_FILES for b in blocks(f) if _FILE.match(b.before)]


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # The default language follows the locale; the docs say --lang where it matters.
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.mark.parametrize("block", RULESET_BLOCKS, ids=[b.id for b in RULESET_BLOCKS])
def test_ruleset_example_loads(block: Block) -> None:
    _, problems = parse_ruleset(block.text, file=block.id)
    found = sorted(p.code for p in problems)
    expect = _EXPECT.match(block.before)
    wanted = sorted(expect[1].split()) if expect else []
    report = "\n".join(f"{p.location()}: {p.code} {p.message}" for p in problems)
    assert found == wanted, report


@pytest.mark.usefixtures("at_root")
@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[b.id for b in PYTHON_BLOCKS])
def test_python_example_runs(block: Block) -> None:
    if "examples/mianchi-2015" in block.text and not (SAMPLE_DATA / "events.csv").exists():
        pytest.skip("examples/mianchi-2015 has not been generated")
    code = compile(block.text, block.id, "exec")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, {"__name__": "__docs__"})


def command_output(block: Block, tmp_path: Path) -> tuple[str, int]:
    """What the command in the block's marker prints, and its exit code."""
    command = _OUTPUT.match(block.before)
    assert command is not None
    args = [arg.replace("$TMP", str(tmp_path)) for arg in shlex.split(command[2])]
    buffer = io.StringIO()
    # argparse writes its own messages to sys.stdout/sys.stderr: catch those too.
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = main(args, out=buffer, err=buffer)
    output = buffer.getvalue().replace(str(tmp_path), "$TMP")
    if command[1]:  # JSON, shown indented
        output = json.dumps(json.loads(output), ensure_ascii=False, indent=2) + "\n"
    return output, code


@pytest.mark.usefixtures("at_root")
@pytest.mark.parametrize("block", OUTPUT_BLOCKS, ids=[b.id for b in OUTPUT_BLOCKS])
def test_command_output_is_real(block: Block, tmp_path: Path) -> None:
    output, code = command_output(block, tmp_path)
    assert output == block.text, "run `python tests/test_docs.py` to update, then review"
    command = _OUTPUT.match(block.before)
    assert command is not None
    if command[3] is not None:
        assert code == int(command[3])


@pytest.mark.parametrize("block", FILE_BLOCKS, ids=[b.id for b in FILE_BLOCKS])
def test_shown_file_is_the_real_file(block: Block) -> None:
    marker = _FILE.match(block.before)
    assert marker is not None
    assert (ROOT / marker[1]).read_text(encoding="utf-8") == block.text


def test_docs_have_examples() -> None:
    assert RULESET_BLOCKS, "no ruleset examples found in docs/"
    assert OUTPUT_BLOCKS, "no command output examples found in docs/"
    assert PYTHON_BLOCKS, "no python examples found in docs/ or README.md"


def test_every_problem_code_is_documented() -> None:
    emitted = {
        code
        for source in (ROOT / "src").rglob("*.py")
        for code in _CODE.findall(source.read_text(encoding="utf-8"))
    }
    documented = set(_CODE.findall((DOCS / "ruleset-format.md").read_text(encoding="utf-8")))
    data_doc = DOCS / "data-format.md"
    if data_doc.exists():
        documented |= set(_CODE.findall(data_doc.read_text(encoding="utf-8")))
    else:
        emitted = {code for code in emitted if not code.startswith("DJ2")}
    missing = sorted(emitted - documented)
    assert not missing, f"problem codes emitted by src/ but not documented in docs/: {missing}"


if __name__ == "__main__":  # rewrite the command outputs shown in the docs; review the diff
    import os
    import tempfile

    os.chdir(ROOT)
    os.environ["LANG"] = "C.UTF-8"
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        os.environ.pop(name, None)
    for doc in DOC_FILES:
        lines = doc.read_text(encoding="utf-8").splitlines(keepends=True)
        for block in sorted(
            (b for b in OUTPUT_BLOCKS if b.file == doc), key=lambda b: b.line, reverse=True
        ):
            with tempfile.TemporaryDirectory() as tmp:
                output, _ = command_output(block, Path(tmp))
            old_lines = block.text.count("\n")
            lines[block.line : block.line + old_lines] = output.splitlines(keepends=True)
        doc.write_text("".join(lines), encoding="utf-8")
