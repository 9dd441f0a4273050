"""The README's systems and results tables are the generated ones (they cannot drift)."""

from pathlib import Path

from paperzoo.core.tables import fill_readme

ROOT = Path(__file__).parents[2]
FIX = "python -m paperzoo.core.tables README.md docs/results/quick.json"


def test_readme_tables_match_the_registry_and_the_recorded_results():
    readme = (ROOT / "README.md").read_text()
    results = ROOT / "docs" / "results" / "quick.json"
    assert results.is_file(), "docs/results/quick.json (the recorded quick run) is missing"
    assert fill_readme(readme, results) == readme, f"README tables are stale: run `{FIX}`"


def test_the_recorded_quick_run_is_complete():
    import json

    from paperzoo.core import registry

    payload = json.loads((ROOT / "docs" / "results" / "quick.json").read_text())
    recorded = {c["name"] for c in payload["claims"]}
    assert payload["scale"] == "quick"
    assert recorded == {r.qualified_name for r in registry.reproductions()}
    assert all(
        c["verdict"] in ("reproduced", "partial", "not reproduced") for c in payload["claims"]
    )
