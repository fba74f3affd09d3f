from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Verification
from reprolint.semantic import catalog, determinism_ops, project_facts, training


# The last part of every call strict_determinism_setups counts without a `deterministic=` keyword.
_STRICT_SETUP_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in (
    catalog.USE_DETERMINISTIC_ALGORITHMS | catalog.ENABLE_FULL_DETERMINISM | determinism_ops.SET_DETERMINISTIC_DEBUG_MODE))


class RaisesUnderDeterminism(Rule):
    """
    ## What it does
    In a module that switches deterministic algorithms on so that they raise (not with
    `warn_only=True`) and runs on CUDA, flags each call of an operation that torch documents as
    raising a `RuntimeError` in that mode: `F.interpolate` with `mode="bilinear"` (or `linear`,
    `bicubic`, `trilinear`) and `F.grid_sample` when differentiated, `AdaptiveAvgPool2d`,
    `AdaptiveMaxPool2d`, `AvgPool3d`, `FractionalMaxPool*d`, `ReflectionPad*d` (and
    `F.pad(..., mode="reflect")`) and `CTCLoss` when differentiated, `EmbeddingBag(mode="max")`,
    `MaxUnpool*d`, `histc`, `bincount` with `weights`, `median` with a `dim` (it returns
    indices), `put_`, `scatter_reduce(..., reduce="prod")`.

    The list is generated from the installed torch's `torch.use_deterministic_algorithms`
    documentation by `scripts/generate_determinism_table.py` (`reprolint/data/determinism.json`
    records the release it came from); a new torch release is one command away.

    A documented condition that cannot be decided from the code keeps the rule silent:

    - "when attempting to differentiate": decided only for a layer built inside a model class
      (a `torch.nn.Module`, diffusers `ModelMixin` or Lightning module subclass, or inside
      `nn.Sequential(...)`) and a functional call in a model's `forward`/`training_step`, in a
      module that runs a backward pass, with no `torch.no_grad()`/`inference_mode()` around it.
      Resizing a mask or an image in the training loop is not differentiated and not reported,
      and neither is an op on a `forward` parameter as it came in, in a model class that no
      other model class of the module builds (the top-level model: its input is data);
    - argument conditions (`mode="bilinear"`): a literal, or the documented default when the
      call leaves it out; any other value is not reported;
    - the input's dtype (`cumsum` on floats), a quantized tensor (`resize_`) and `NLLLoss`, which
      torch's kernels make raise only for spatial (N, C, H, W) inputs although the
      documentation says "on a CUDA tensor", are never reported.

    "Switches deterministic algorithms on": `torch.use_deterministic_algorithms(True)` without
    `warn_only=True`, diffusers' `enable_full_determinism()`, transformers'
    `enable_full_determinism()` without `warn_only=True`, `set_seed(..., deterministic=True)`,
    Lightning's `Trainer(deterministic=True)` (not `"warn"`) or
    `torch.set_deterministic_debug_mode("error")`, or a call of a project function, in this
    module or another, that makes one of the first two (without `warn_only`), directly or through
    the project functions it calls (a run-setup helper such as `setup_run(seed)`); the message
    names the helper. A raising op in a project module that the training script imports is not
    reported: that module switches nothing on, and which entry points use it is not looked up.
    "Runs on CUDA": a model or pipeline placed on
    a GPU, accelerate's `Accelerator`, or a Lightning `Trainer` on a GPU accelerator.

    ## Why is this bad?
    The first training step on the GPU stops with `RuntimeError: upsample_bilinear2d_backward_out_cuda
    does not have a deterministic implementation`. Users who hit it switch determinism off
    altogether, and lose the reproducibility they asked for (pytorch#68961).

    ## Example
    ```python
    torch.use_deterministic_algorithms(True)

    class Decoder(nn.Module):
        def forward(self, x):
            return F.interpolate(x, scale_factor=2, mode="bilinear")
    ```

    ## Use instead
    ```python
    # an op with a deterministic backward
    return F.interpolate(x, scale_factor=2, mode="nearest")
    ```
    or keep the op and let torch warn instead of raise, knowing that this op stays
    nondeterministic: `torch.use_deterministic_algorithms(True, warn_only=True)`.

    ## Fix safety
    No automatic fix: the replacements change the model's numerics, and `warn_only` gives up
    determinism for these ops; the choice is the author's.

    ## Verification
    `--verify` runs the script (stopped after a few optimizer steps): the `RuntimeError` itself is
    the evidence ("confirmed on cuda: raises RuntimeError: upsample_bilinear2d_backward_out_cuda
    does not have a deterministic implementation ..."). On the CPU the op runs its CPU kernel
    without error, so a CPU-only run says "needs CUDA: not shown on CPU", never "no drift"; run
    `--verify --device cuda` on a machine with CUDA. There is no fix run (the rule has no fix).

    ## Evidence
    - `torch.use_deterministic_algorithms` documentation: "The following normally-nondeterministic
      operations will throw a RuntimeError when mode=True".
    - pytorch/pytorch#68961 (users turning determinism off over this error).
    """

    code = "RPL309"
    name = "raises-under-determinism"
    summary = "an op that raises a RuntimeError under deterministic algorithms on CUDA"
    triggers = ("determinis",)
    requires_imports = ("torch",)
    # A project helper, of this module or another, that switches them on so that ops raise.
    project_triggers = (project_facts.SWITCHES_DETERMINISTIC_RAISING,)
    verification = Verification(observe=None, compare=Compare.RAISES, training=True,
                                gpu_only="torch's CUDA kernels",
                                error_text="does not have a deterministic implementation")

    def could_report(self, facts) -> bool:
        # Findings need a strict setup of the module's own (a project helper's name passes the
        # prefilter through project_triggers, before this is asked) ...
        if not (facts.words & _STRICT_SETUP_NAMES or "deterministic" in facts.keywords):
            return False
        # ... and an op of the table, named by its last part.
        names = set()
        for entry in determinism_ops.table()["raises"]:
            names.add(entry["target"].rsplit(".", 1)[-1])
            if entry.get("functional"):
                names.add(entry["functional"]["target"].rsplit(".", 1)[-1])
        return bool(facts.words & names)

    def check(self, model):
        setups = determinism_ops.strict_determinism_setups(model)
        if not setups or not determinism_ops.runs_on_cuda(model):
            return
        trains = None
        setup = setups[0]
        setup_line = model.line(setup.node)
        if model.call_does(setup, project_facts.SWITCHES_DETERMINISTIC_RAISING) and setup.qualname:
            setup_line = f"{setup_line} (by `{setup.qualname.rsplit('.', 1)[-1]}`)"
        for op in determinism_ops.raising_ops(model):
            if op.differentiated:
                if trains is None:
                    trains = training.trains(model)
                if not trains or not determinism_ops.is_differentiated(model, op):
                    continue
            yield self.report(model, op.call.node, self._message(model, op, setup_line))

    @staticmethod
    def _message(model, op, setup_line) -> str:
        name = op.entry["target"].replace("torch.nn.functional.", "F.").replace("torch.nn.", "nn.")
        if op.form == "functional":
            name = op.entry["functional"]["target"].replace("torch.nn.functional.", "F.")
        when = ", ".join(op.reasons)
        what = f"`{name}`" + (f" ({when})" if when else "")
        stage = "its backward" if op.differentiated else "it"
        device = " on CUDA" if op.cuda else ""
        return (f"{what}: {stage} raises a RuntimeError{device} under the deterministic algorithms switched "
                f"on at line {setup_line} ({determinism_ops.table_version()} documents no deterministic "
                "implementation); use a deterministic alternative, or pass warn_only=True")

    VALID = [
        Example(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn

            torch.use_deterministic_algorithms(True)

            class Decoder(nn.Module):
                def forward(self, x):
                    return F.interpolate(x, scale_factor=2, mode="nearest")

            model = Decoder().to("cuda")
            for batch in loader:
                model(batch).mean().backward()
            """,
            note="nearest interpolation has a deterministic backward",
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F

            torch.use_deterministic_algorithms(True)
            unet.to("cuda")
            for batch in loader:
                mask = F.interpolate(batch["mask"], size=(64, 64), mode="bilinear")
                loss = unet(batch["latents"], mask).mean()
                loss.backward()
            """,
            note="resizing data in the loop: the mask needs no gradient, nothing raises",
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn

            torch.use_deterministic_algorithms(True, warn_only=True)

            class Decoder(nn.Module):
                def forward(self, x):
                    return F.interpolate(x, scale_factor=2, mode="bilinear")

            model = Decoder().to("cuda")
            for batch in loader:
                model(batch).mean().backward()
            """,
            note="warn_only: torch warns instead of raising",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn

            torch.use_deterministic_algorithms(True)

            class Decoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = nn.Conv2d(3, 8, 3)
                    self.pool = nn.AdaptiveAvgPool2d(1)

                def forward(self, x):
                    x = self.conv(x)
                    x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
                    return self.pool(x)

            model = Decoder().to("cuda")
            for batch in loader:
                model(batch).mean().backward()
            """,
            expect=[(11, 21), (15, 13)],
        ),
        Example(
            """
            import torch

            torch.use_deterministic_algorithms(True)
            model.cuda()
            counts = torch.bincount(labels, weights=scores)
            """,
            expect=[(5, 10)],
            note="raises in the forward call: no training needed",
        ),
    ]
