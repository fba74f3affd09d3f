from __future__ import annotations

from reprolint.dependencies import pins_a_release_line, project_root, reference_outputs
from reprolint.findings import Finding, Position
from reprolint.rules.base import Example, Rule

# Normalised distribution names (conda calls torch ``pytorch``) -> the name to show.
FRAMEWORKS = {"torch": "torch", "pytorch": "torch", "diffusers": "diffusers"}

_TEST_WITH_SLICE = """
    import numpy as np

    def test_stable_diffusion_ddim():
        image = run_pipeline()
        expected_slice = np.array([0.5643, 0.6017, 0.4799, 0.5267, 0.5584, 0.4641, 0.5210, 0.4947, 0.4869])
        assert np.abs(image[0, -3:, -3:, -1].flatten() - expected_slice).max() < 1e-3
"""


class UnpinnedFramework(Rule):
    """
    ## What it does
    Flags `torch` (conda: `pytorch`) or `diffusers` required without an exact pin or an upper
    bound, in `requirements*.txt`, in `pyproject.toml` (`[project]` dependencies and optional
    dependencies, `[dependency-groups]`, Poetry's dependency tables) or in a conda
    `environment.yml` (its `pip:` list included), when the project records reference outputs:
    a Python file with `expected_slice`-style values (`expected_slice`, `expected_image`,
    `expected_output`, ...) or a saved file named like `expected_*.png` / `reference/*.npy`.
    The project is the nearest folder at or above the file holding `.git`, `pyproject.toml`,
    `setup.py` or `setup.cfg`. The finding points at the requirement's line.

    Pinned: `==2.1.2`, `==2.1.*`, `~=2.1`, any `<`/`<=` bound (`>=2.1,<2.2`), `===`, a direct
    URL (`torch @ https://...`), conda's `pytorch=2.1` / `pytorch 2.1.0`, Poetry's `^2.1`,
    `~2.1` or a bare version. Not pinned: no version, `>=`, `>`, `!=`, `*`.

    Off by default; with it selected, folders are searched for those dependency files too, and
    named ones are read as such. `# noqa: RPL401` on the requirement's line suppresses it.

    ## Why is this bad?
    The expected values were produced by one release of torch and diffusers. A new torch
    release can change kernels (attention, convolution algorithms, matmul precision) and how
    random numbers are drawn; a new diffusers release can change a pipeline's defaults. The
    next fresh install then resolves to a newer release and the reference outputs stop
    matching, though no line of the project changed, and a real regression can no longer be
    told from a version change.

    ## Example
    ```text
    # requirements.txt
    torch>=2.1
    diffusers
    ```

    ## Use instead
    ```text
    # requirements.txt
    torch==2.1.2
    diffusers>=0.25,<0.26
    ```

    ## Fix safety
    No automatic fix: which release to pin is the project's decision. For a library, whose
    `pyproject.toml` should not cap its users, pin in the requirements file its tests and CI
    install from, and silence the library's own `pyproject.toml` with `per-file-ignores`.

    ## Evidence
    - huggingface/diffusers#5469 ("Fix Slow Tests"): "Switching to Torch 2.1 in the test runners
      resulted in a few failures on the slow tests"; the pull request updates expected slices
      and loosens tolerances.
    - huggingface/diffusers#6780 ("Pin torch < 2.2.0 in test runners"): "CI is currently
      breaking because the torch has been updated on PyPI to version 2.2".
    - huggingface/diffusers#3023: a torch 2.0 attention processor needed a looser
      `expected_max_diff`.
    """

    code = "RPL401"
    name = "unpinned-framework"
    summary = "torch/diffusers unpinned in a project with reference outputs"
    default = False
    file_kinds = ("dependencies",)
    # Python files never hold a finding of this rule: no trigger lets one through the prefilter.
    triggers = ()

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self._references: dict = {}  # project root -> where it records reference outputs

    def check(self, model):
        return iter(())

    def check_dependencies(self, document):
        unpinned = [r for r in document.requirements if r.name in FRAMEWORKS and not pins_a_release_line(r)]
        if not unpinned:
            return
        evidence = reference_outputs(project_root(document.path), self._references)
        if evidence is None:
            return
        for requirement in unpinned:
            package = FRAMEWORKS[requirement.name]
            written = document.lines[requirement.line - 1][requirement.column - 1:requirement.end_column - 1]
            yield Finding(
                self.code, self.name,
                f"`{written}` lets every fresh install take a new {package} release, and {evidence}: "
                f"random streams and kernels change between releases; pin {package} exactly or give it an "
                "upper bound",
                document.path, Position(requirement.line, requirement.column),
                Position(requirement.line, requirement.end_column),
            )

    VALID = [
        Example(
            """
            torch==2.1.2
            diffusers>=0.25,<0.26
            transformers>=4.36
            """,
            path="requirements.txt", files={"tests/test_pipeline.py": _TEST_WITH_SLICE},
        ),
        Example(
            """
            torch>=2.1
            diffusers
            """,
            path="requirements.txt", files={"train.py": "print('no reference outputs here')"},
            note="nothing in the project records reference outputs",
        ),
    ]
    INVALID = [
        Example(
            """
            accelerate>=0.25
            torch>=2.1
            diffusers
            """,
            expect=[(2, 1), (3, 1)],
            path="requirements.txt", files={"tests/test_pipeline.py": _TEST_WITH_SLICE},
        ),
        Example(
            """
            [project]
            name = "my-diffusion"
            version = "0.1.0"
            dependencies = [
                "torch>=2.1",
                "diffusers==0.25.0",
            ]
            """,
            expect=[(5, 6)],
            path="pyproject.toml", files={"tests/test_pipeline.py": _TEST_WITH_SLICE},
        ),
        Example(
            """
            name: diffusion
            channels:
              - pytorch
              - conda-forge
            dependencies:
              - python=3.11
              - pytorch>=2.1
              - pip:
                  - diffusers>=0.25
            """,
            expect=[(7, 5), (9, 9)],
            path="environment.yml", files={"tests/test_pipeline.py": _TEST_WITH_SLICE},
        ),
    ]
