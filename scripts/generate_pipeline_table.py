"""Regenerate ``reprolint/data/pipelines.json`` from the installed diffusers.

The static linter never imports diffusers; it reads this table instead. Run after a diffusers
release:

    pip install -U diffusers && python scripts/generate_pipeline_table.py

A pipeline class whose ``__call__`` takes neither ``generator`` nor ``**kwargs`` draws no noise
(for example ``FluxPriorReduxPipeline``), so RPL101 and RPL106 do not apply to it.
"""

from __future__ import annotations

import inspect
import json
import pathlib
import warnings

OUT = pathlib.Path(__file__).resolve().parent.parent / "reprolint" / "data" / "pipelines.json"


def main() -> None:
    warnings.filterwarnings("ignore")
    import diffusers

    sampling, non_sampling = [], []
    for name in sorted(dir(diffusers)):
        if not name.endswith("Pipeline") and "PipelineFor" not in name:
            continue
        try:
            cls = getattr(diffusers, name)
        except Exception:  # optional backends that are not installed
            continue
        if not inspect.isclass(cls):
            continue
        try:
            params = inspect.signature(cls.__call__).parameters
        except (TypeError, ValueError):
            continue
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
        (sampling if "generator" in params or takes_kwargs else non_sampling).append(name)
    table = {
        "generated_from": f"diffusers {diffusers.__version__}",
        "non_sampling": non_sampling,
        "sampling_count": len(sampling),
    }
    OUT.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(non_sampling)} non-sampling of {len(sampling) + len(non_sampling)}")


if __name__ == "__main__":
    main()
