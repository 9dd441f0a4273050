"""The README's tables, generated from the registry and a report (``paperzoo list --markdown``).

The README holds them between ``<!-- systems-table -->`` / ``<!-- results-table -->`` markers and a
test regenerates both, so the tables cannot drift from the code or from the recorded results.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from paperzoo.core import registry


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def cli_commands(key: str) -> list[str]:
    """Subcommands of ``paperzoo <key>`` (empty when the system has no ``cli.py``)."""
    module = registry.load_module(key, "cli")
    if module is None:
        return []
    import typer

    command = typer.main.get_command(module.app)
    return sorted(getattr(command, "commands", {}))


def entry_points(key: str) -> list[str]:
    """The names a user starts from: the system's ``ENTRY_POINTS`` (each one in ``__all__``)."""
    module = importlib.import_module(f"paperzoo.{key}")
    return list(getattr(module, "ENTRY_POINTS", ()))


def systems_table() -> str:
    """Markdown: one row per system with its paper, entry points and CLI subcommands."""
    lines = [
        "| key | paper | library entry points | CLI |",
        "|---|---|---|---|",
    ]
    for key in registry.system_keys():
        names = ", ".join(f"`{n}`" for n in entry_points(key))
        commands = ", ".join(f"`{c}`" for c in cli_commands(key))
        lines.append(f"| `{key}` | {_cell(registry.system_title(key))} | {names} | {commands} |")
    return "\n".join(lines)


def results_table(results_json: str | Path) -> str:
    """Markdown: one row per claim of a report's ``results.json`` (verdict, ours, reason)."""
    payload = json.loads(Path(results_json).read_text())
    lines = [
        f"Scale **{payload['scale']}**, {payload['seeds']} seed(s) per stochastic claim.",
        "",
        "| claim | verdict | ours (mean ± 95% CI) | what was measured |",
        "|---|---|---|---|",
    ]
    for claim in payload["claims"]:
        cells = [f"`{claim['name']}`", claim["verdict"], claim["measured"], claim["reason"]]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def fill_readme(text: str, results_json: str | Path | None) -> str:
    """``text`` (a README) with its marked blocks replaced by freshly generated tables."""
    blocks = {"systems-table": systems_table()}
    if results_json is not None:
        blocks["results-table"] = results_table(results_json)
    for name, table in blocks.items():
        start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        if start not in text or end not in text:
            raise ValueError(f"README: no {start} ... {end} block")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{table}\n{end}{tail}"
    return text


if __name__ == "__main__":  # python -m paperzoo.core.tables README.md docs/results/quick.json
    import sys

    readme = Path(sys.argv[1])
    readme.write_text(fill_readme(readme.read_text(), sys.argv[2] if len(sys.argv) > 2 else None))
