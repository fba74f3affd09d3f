"""Write docs/rules/*.md from the rules' docstrings. Run after editing a rule."""

from __future__ import annotations

import pathlib

from reprolint.docs import rendered_docs

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "rules"


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, content in rendered_docs().items():
        (DOCS / name).write_text(content, encoding="utf-8")
    print(f"wrote {len(rendered_docs())} files to {DOCS}")


if __name__ == "__main__":
    main()
