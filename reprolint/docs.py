"""Rule documentation, rendered from each rule's docstring (the single source of truth).

``python scripts/generate_docs.py`` writes ``docs/rules/``; ``reprolint rule CODE`` prints the
same text; a test keeps the two in sync.
"""

from __future__ import annotations

from reprolint.rules import ALL_RULES

DOCS_URL = "https://github.com/reprolint/reprolint/blob/main/docs/rules/{code}.md"


def fix_label(rule_class) -> str:
    return rule_class.fix_safety.value if rule_class.fix_safety else "none"


def rule_markdown(rule_class) -> str:
    default = "on" if rule_class.default else "off (enable with `--select`)"
    return (
        f"# {rule_class.code}: {rule_class.name}\n\n"
        f"Default: {default}. Fix: {fix_label(rule_class)}.\n\n"
        f"{rule_class.documentation()}\n"
    )


def rule_object(rule_class) -> dict:
    """A rule as ``reprolint rule --output-format json`` prints it (the fields of ruff's own
    ``rule --output-format json`` that apply: code, name, summary, fix, explanation; plus the
    default, the file kinds it reads and its page's URL)."""
    return {
        "code": rule_class.code,
        "name": rule_class.name,
        "summary": rule_class.summary,
        "default": bool(rule_class.default),
        "fix": fix_label(rule_class),
        "file_kinds": list(getattr(rule_class, "file_kinds", ()) or ()),
        "url": DOCS_URL.format(code=rule_class.code),
        "explanation": rule_class.documentation(),
    }


def index_markdown() -> str:
    lines = [
        "# Rules",
        "",
        "Every rule has a code (stable once released) and a kebab-case name; both work wherever a",
        "rule is named (`--select`, `--ignore`, `# noqa:`). Default-off rules run only when selected.",
        "",
        "| code | name | default | fix | summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule_class in ALL_RULES:
        default = "on" if rule_class.default else "off"
        lines.append(
            f"| [{rule_class.code}]({rule_class.code}.md) | `{rule_class.name}` | {default} | "
            f"{fix_label(rule_class)} | {rule_class.summary} |"
        )
    families = [
        "",
        "Families: `RPL1xx` generators and sampling calls, `RPL2xx` seed handling, `RPL3xx`",
        "determinism setup, `RPL4xx` the environment (dependency files: `requirements*.txt`,",
        "`pyproject.toml`, `environment.yml`), `RPL9xx` reprolint's own comments (`RPL900` unused",
        "`noqa`).",
    ]
    return "\n".join(lines + families) + "\n"


def rendered_docs() -> dict:
    """File name under docs/rules -> content."""
    files = {f"{rule_class.code}.md": rule_markdown(rule_class) for rule_class in ALL_RULES}
    files["README.md"] = index_markdown()
    return files
