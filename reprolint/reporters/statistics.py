"""``--statistics``: how many findings of each rule, most frequent first, instead of the findings.

Text: ``  12  RPL101  pipeline-call-without-generator``; with ``--output-format json`` a JSON list
of ``{code, name, count, fixable}``.
"""

from __future__ import annotations

import json
from collections import Counter

from reprolint.reporters.text import fix_applies


def counts(run) -> list:
    by_code = Counter(f.code for f in run.findings)
    names = {f.code: f.name for f in run.findings}
    # As the [*] marker: what plain --fix fixes (unsafe fixes are hidden without --unsafe-fixes).
    fixable = Counter(f.code for f in run.findings if fix_applies(f))
    return [{"code": code, "name": names[code], "count": count, "fixable": fixable[code]}
            for code, count in sorted(by_code.items(), key=lambda item: (-item[1], item[0]))]


def render(run, output_format: str = "full") -> str:
    rows = counts(run)
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    width = max((len(str(row["count"])) for row in rows), default=1)
    lines = [f"{row['count']:>{width}}  {row['code']}  {'[*] ' if row['fixable'] else ''}{row['name']}"
             for row in rows]
    if run.errors:
        lines.append(f"{len(run.errors):>{width}}  error   (files that could not be read or parsed)")
    return "".join(line + "\n" for line in lines)
