"""Every rule this hub enforces so far has a function that enforces it and a test named after it."""

from pathlib import Path

from hub.contract import rule_table

# Sections I, II and V of Circular 2021/17, and the Convention's V1, V2 (the regime issue).
REGIME_RULES = (
    [f"G{i}" for i in range(1, 9)]
    + ["E1", "E2", "E3", "E4", "I1", "I2", "I3", "T1", "T2", "T3", "T4", "R1", "R2", "R3", "X1", "X2", "X3"]
    + ["C1", "C2", "C3", "V1", "V2"]
)
# Sections III, IV and VI: what crosses with BİLGE (the BİLGE issue).
BILGE_RULES = ["F1", "F2", "S1", "S2", "S3", "S4", "L1", "L2"]
# Circular 2017/12 and the statistics of C4 (the GET-APP issue). A2 ("import and export are covered"):
# the BİLGE adapter turns the life of every import and export TCGB into events for GET-APP (issue 14).
GETAPP_RULES = ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "C4"]


def test_every_regime_bilge_and_getapp_rule_is_enforced_and_tested() -> None:
    enforced, tested = rule_table.enforcing_functions(), rule_table.checking_tests()
    rules = REGIME_RULES + BILGE_RULES + GETAPP_RULES
    assert set(rules) <= set(rule_table.domain_rules())
    assert [r for r in rules if not enforced.get(r)] == []
    assert [r for r in rules if not tested.get(r)] == []


def test_every_rule_id_the_code_and_the_tests_name_is_a_rule_of_domain_md() -> None:
    assert rule_table.unknown_rules() == []


def test_a_rule_id_domain_md_lacks_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    domain = tmp_path / "DOMAIN.md"
    domain.write_text("- **G1** Declarations happen in e-ATA/TR.\n- **S2** The link names a transport document.\n")
    (tmp_path / "hub" / "service").mkdir(parents=True)
    (tmp_path / "hub" / "service" / "core.py").write_text(
        'def decide() -> object:\n    return Refused("G1", "known")\n\n\ndef other() -> object:\n'
        '    return Refused("Z9", "no such rule")  # rule: S2, Q7\n'
    )
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "generated.py").write_text('# Generated from topics.yaml: do not edit.\nX = "Z8"\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_core.py").write_text("def test_g1_k4_refused() -> None:\n    pass\n")
    assert rule_table.unknown_rules(tmp_path, domain) == [
        "hub/service/core.py:6: Q7 is not a rule of DOMAIN.md",
        "hub/service/core.py:6: Z9 is not a rule of DOMAIN.md",
        "tests/test_core.py:1: K4 is not a rule of DOMAIN.md",
    ]


def test_rules_applied_by_the_service_layer_adapters_and_decide_application_are_in_the_table() -> None:
    enforced = rule_table.enforcing_functions()
    assert "hub.service.core:_context" in enforced["S2"] and "hub.service.core:_context" in enforced["G1"]
    assert "hub.service.core:_decide" in enforced["V1"]
    assert "hub.getapp.accounts.rules:decide_application" in enforced["A6"]
    assert "adapters.bilge.service:_draw_down" in enforced["L2"]
