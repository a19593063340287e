"""Every rule this hub enforces so far has a function that enforces it and a test named after it."""

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
