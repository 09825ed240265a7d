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
