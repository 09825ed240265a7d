from __future__ import annotations

import re
from pathlib import Path

from scripts.cli_reference import reference

ROOT = Path(__file__).resolve().parents[2]


def test_readme_cli_reference_matches_the_real_command() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- cli-reference.*?-->\n```text\n(.*?)```", readme, re.S)
    assert block, "README has no CLI reference block"
    assert block.group(1) == reference(), "README's CLI reference is stale: run scripts/cli_reference.py"


def test_readme_gives_exactly_two_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up on a fresh machine", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", section, re.M)
    assert commands == ["make run", "make test"]


def test_every_link_in_the_readme_and_docs_points_inside_the_repository() -> None:
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = document.read_text()
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://")):
                continue
            assert not target.startswith("../") or (document.parent / target).resolve().is_relative_to(ROOT), (
                f"{document.name} links outside the repository: {target}"
            )
            assert (document.parent / target).exists(), f"{document.name} links to a missing file: {target}"


def test_the_docs_answer_the_newcomers_questions() -> None:
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    assert "## How a report is published" in architecture
    assert "## How the register's counts are kept" in architecture
    readme = (ROOT / "README.md").read_text()
    assert "docs/architecture.md" in readme and "../shared" not in readme
