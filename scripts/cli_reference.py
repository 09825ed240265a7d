"""Print the `safetymap` command reference that README.md embeds (a test keeps them identical)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from app.cli import app


def _usage(command: object, path: str) -> str:
    summary = (command.help or "").strip().splitlines()[0]  # type: ignore[attr-defined]
    params = command.params  # type: ignore[attr-defined]
    options = [p.opts[0] for p in params if p.opts and p.opts[0].startswith("--")]
    args = [p.name.upper() for p in params if not (p.opts and p.opts[0].startswith("--"))]
    usage = " ".join([f"safetymap {path}", *args, *(f"[{o}]" for o in options)])
    return f"{usage}\n    {summary}"


def reference() -> str:
    command = typer.main.get_command(app)
    lines: list[str] = []

    def walk(group: object, prefix: str) -> None:
        for name, sub in sorted(group.commands.items()):  # type: ignore[attr-defined]
            if hasattr(sub, "commands"):
                # A group that also runs on its own (e.g. `safetymap triage`) is a command too.
                if getattr(sub, "invoke_without_command", False):
                    lines.append(_usage(sub, f"{prefix}{name}"))
                walk(sub, f"{prefix}{name} ")
                continue
            lines.append(_usage(sub, f"{prefix}{name}"))

    walk(command, "")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
