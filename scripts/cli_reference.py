"""Print the `safetymap` command reference that README.md embeds (a test keeps them identical)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from app.cli import app


def reference() -> str:
    command = typer.main.get_command(app)
    lines: list[str] = []

    def walk(group: object, prefix: str) -> None:
        for name, sub in sorted(group.commands.items()):  # type: ignore[attr-defined]
            if hasattr(sub, "commands"):
                walk(sub, f"{prefix}{name} ")
                continue
            summary = (sub.help or "").strip().splitlines()[0]
            options = [p.opts[0] for p in sub.params if p.opts and p.opts[0].startswith("--")]
            args = [p.name.upper() for p in sub.params if not (p.opts and p.opts[0].startswith("--"))]
            usage = " ".join([f"safetymap {prefix}{name}", *args, *(f"[{o}]" for o in options)])
            lines.append(f"{usage}\n    {summary}")

    walk(command, "")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
