"""The sourced input file: every entry has a source, PDG values come from the pdg package."""

from __future__ import annotations

import json
import warnings

import pdg
import pytest

from paperzoo.pqcd.data import INPUTS_PATH, load_inputs, parse_inputs


def test_every_entry_names_its_source_and_pdg_values_match_the_database():
    raw = json.loads(INPUTS_PATH.read_text())
    inp = load_inputs()
    assert set(inp) == set(raw["entries"])
    assert all(inp.record(n).source for n in inp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = pdg.connect()
        assert inp["m_Bs"] == api.get_particle_by_name("B_s()0").mass
        assert inp["w_phi"] == api.get_particle_by_name("phi(1020)").width
        assert inp["BR_Bs_phirho0"] == api.get("S086.28").value == pytest.approx(2.7e-7)
    older = [n for n in inp if "older edition" in inp.record(n).source]
    assert {"lambda", "A", "rhobar", "etabar", "B_phi_KK"} <= set(older)


def test_entry_missing_a_source_is_refused():
    with pytest.raises(ValueError, match="'x'.*missing 'source'"):
        parse_inputs({"entries": {"x": {"value": 1.0}}})
    with pytest.raises(ValueError, match="missing 'source'"):
        parse_inputs({"entries": {"x": {"value": 1.0, "source": "  "}}})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"value": 1.0, "pdg": {}, "source": "s"}, "exactly one of"),
        ({"value": "one", "source": "s"}, "must be a number"),
        ({"value": 1.0, "range": [2.0, 3.0], "source": "s"}, "excludes"),
        ({"value": 1.0, "error": -1.0, "source": "s"}, "error must be >= 0"),
        ({"pdg": {"particle": "pi+", "quantity": "colour"}, "source": "s"}, "quantity"),
    ],
)
def test_malformed_entries_are_refused(entry, message):
    with pytest.raises((ValueError, TypeError), match=message):
        parse_inputs({"entries": {"x": entry}})


def test_input_file_round_trip_and_overrides(tmp_path):
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"entries": {"a": {"value": 2.0, "error": 0.5, "source": "me"}}}))
    inp = load_inputs(path)
    assert inp["a"] == 2.0 and inp.record("a").low == 1.5 and inp.varied_names() == ["a"]
    assert inp.with_values(a=3.0)["a"] == 3.0 and inp["a"] == 2.0
    with pytest.raises(KeyError, match="b"):
        inp.with_values(b=1.0)
