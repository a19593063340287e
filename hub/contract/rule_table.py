"""The rule table of docs/rules.md: each rule of DOMAIN.md, the functions that enforce it, the tests
that check it. Generated from the code (rule ids as they appear in the domain, in test names and in
`# rule:` comments), so it cannot fall behind; `hub schemas check` fails when it has, and when the code
or a test names a rule id that DOMAIN.md lacks (`unknown_rules`)."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from hub.contract.topics import PROJECT_ROOT

DOMAIN_MD = PROJECT_ROOT.parent / "shared" / "DOMAIN.md"
CODE = ("hub", "adapters")  # every module of the hub and its adapters, wherever a rule is refused or applied
TESTS = "tests"
RULE = re.compile(r"^[A-Z]\d$")
_RULE_LINE = re.compile(r"^- \*\*([A-Z]\d)\*\* (.*)$")


def domain_rule_texts(path: Path = DOMAIN_MD) -> dict[str, str]:
    """Rule id -> its whole text, in the order of DOMAIN.md."""
    rules = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _RULE_LINE.match(line.strip())
        if match:
            rules[match.group(1)] = match.group(2)
    return rules


def domain_rules(path: Path = DOMAIN_MD) -> dict[str, str]:
    """Rule id -> its first sentence, in the order of DOMAIN.md."""
    return {rid: text.split(". ")[0].rstrip(".") for rid, text in domain_rule_texts(path).items()}


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _rule_comments(source: str) -> dict[int, set[str]]:
    """Line -> rule ids named by a `# rule:` comment on it."""
    return {
        tok.start[0]: set(re.findall(r"\b([A-Z]\d)\b", tok.string.split("rule:", 1)[1]))
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT and "rule:" in tok.string
    }


def _commented(fn: ast.FunctionDef | ast.AsyncFunctionDef, comments: dict[int, set[str]]) -> set[str]:
    end = fn.end_lineno or fn.lineno
    return {rid for line, ids in comments.items() if fn.lineno <= line <= end for rid in ids}


def enforcing_functions(root: Path = PROJECT_ROOT) -> dict[str, set[str]]:
    """Rule id -> `module:function` of every function of the hub and its adapters whose code names the
    rule: a rule id as a string of its own (`Refused("G1", …)`, `refuse_unless(…, "G1", …)`,
    `Refusal(…, rule="A6")`) or a `# rule: G1` comment. Docstrings only explain: they do not count."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in _python_files(root, *CODE):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        comments = _rule_comments(path.read_text(encoding="utf-8"))
        for fn in _functions(path):
            body = fn.body[1:] if ast.get_docstring(fn) else fn.body
            literals = {rid for _, rid in _rule_strings(n for stmt in body for n in ast.walk(stmt))}
            for rid in literals | _commented(fn, comments):
                found[rid].add(f"{module}:{fn.name}")
    return found


def _rule_strings(nodes: Iterable[ast.AST]) -> Iterator[tuple[int, str]]:
    """(line, id) of each string that is a rule id and nothing else."""
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE.match(node.value):
            yield node.lineno, node.value


def _python_files(root: Path, *folders: str) -> list[Path]:
    """Python files git tracks (staged ones included) under these folders, so the table describes what
    is committed; every file there when git is not at hand. Generated modules (their first line says
    "do not edit") are left out: the ids they carry are their source's."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", *folders], cwd=root, capture_output=True, text=True, check=True
        ).stdout.split()
        paths = [root / p for p in listed if p.endswith(".py") and (root / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for folder in folders for p in (root / folder).rglob("*.py")]
    return sorted(p for p in paths if not _generated(p))


def _generated(path: Path) -> bool:
    with path.open(encoding="utf-8") as file:
        return "do not edit" in file.readline().lower()


def checking_tests(root: Path = PROJECT_ROOT) -> dict[str, set[str]]:
    """Rule id -> `file::test` named after it or carrying a `# rule:` comment that names it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in _python_files(root, TESTS):
        if not path.name.startswith("test_"):
            continue
        comments = _rule_comments(path.read_text(encoding="utf-8"))
        for fn in _tests(path):
            for rid in _named(fn) | _commented(fn, comments):
                found[rid].add(f"{path.relative_to(root)}::{fn.name}")
    return found


def _tests(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [fn for fn in _functions(path) if fn.name.startswith("test_")]


def _named(test: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Rule ids a test's name carries: `test_g6_g7_…` checks G6 and G7."""
    return {part.upper() for part in test.name.split("_") if RULE.match(part.upper())}


def unknown_rules(root: Path = PROJECT_ROOT, domain: Path = DOMAIN_MD) -> list[str]:
    """`file:line: X9 …` for every rule id the code or the tests name that DOMAIN.md lacks: in a string
    of its own in hub/ or adapters/ (`Refused("X9", …)`), in a `# rule:` comment, in a test's name."""
    known = set(domain_rules(domain))
    problems = []
    for path in _python_files(root, *CODE, TESTS):
        text = path.read_text(encoding="utf-8")
        named = [(line, rid) for line, ids in _rule_comments(text).items() for rid in ids]
        if path.relative_to(root).parts[0] == TESTS:
            named += [(fn.lineno, rid) for fn in _tests(path) for rid in _named(fn)]
        else:
            named += _rule_strings(ast.walk(ast.parse(text)))
        problems += [
            f"{path.relative_to(root)}:{line}: {rid} is not a rule of DOMAIN.md"
            for line, rid in sorted(set(named))
            if rid not in known
        ]
    return problems


def render(root: Path = PROJECT_ROOT) -> str:
    rules, enforced, tested = domain_rules(), enforcing_functions(root), checking_tests(root)
    out = [
        "# Rules: where each is enforced, which tests check it",
        "",
        "Generated by `hub schemas write` from the code: rule ids as the code of `hub/` and `adapters/` names",
        "them, test names and `# rule:` comments in the files git tracks. Rules of later issues appear as they land.",
        "",
        "**From a rule id to its code and its test.** Take the id DOMAIN.md gives the rule (G1 … V2) and find",
        "its row. *Enforced in* names `module:function`: every place that refuses or applies the rule names",
        'its id there, as `refuse_unless(…, "G1", …)`, `Refused("G1", …)`, `Refusal(…, rule="A6")` or a',
        "`# rule: G1` comment, so `grep -rn '\"G1\"\\|rule: .*G1' hub adapters` lands on the line. The domain's rules",
        "live in `hub/domain/rules/` (one module per part of the circular; `decide` in its `__init__` picks",
        "the function for a command), GET-APP's in `hub/getapp/accounts/rules.py`, what the service layer",
        "applies around them in `hub/service/core.py`. *Tested by* names `file::test`: a test that checks a",
        "rule carries its id in its name (`test_g1_…`) or a `# rule:` comment, so",
        "`pytest tests -k g1` runs them all. `hub schemas check` fails when this table is stale, or when the code",
        "or a test names a rule id that DOMAIN.md lacks (with the file and line).",
        "",
        "| rule | what | enforced in | tested by |",
        "| --- | --- | --- | --- |",
    ]
    for rid, summary in rules.items():
        where = "<br>".join(f"`{f}`" for f in sorted(enforced.get(rid, ()))) or "—"
        tests = "<br>".join(f"`{t}`" for t in sorted(tested.get(rid, ()))) or "—"
        out.append(f"| {rid} | {summary} | {where} | {tests} |")
    return "\n".join(out) + "\n"
