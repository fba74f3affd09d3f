from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Compare, Verification
from reprolint.semantic import catalog, determinism_ops, flash_attention, training
from reprolint.versions import TORCH_INDUCTOR_FOLLOWS_DETERMINISM, target_versions


class NondeterministicBackend(Rule):
    """
    ## What it does
    In a module that sets up determinism (see RPL301; a function that only switches deterministic
    algorithms on around one operation and restores the saved mode does not count), flags what
    undoes it:
    `enable_xformers_memory_efficient_attention()`, `torch.compile(...)`,
    `torch.backends.cuda.matmul.allow_tf32 = True`, `torch.backends.cudnn.allow_tf32 = True`
    and `torch.set_float32_matmul_precision("high")` / `("medium")`; and, in training code (a
    module that runs a backward pass), flash-attention's `flash_attn_func`,
    `flash_attn_varlen_func` and `flash_attn_qkvpacked_func` without `deterministic=True` (a
    value that is not a literal is not reported).

    `torch.compile` is reported only where the target torch is older than 2.10 (see
    `target-version` in docs/configuration.md): from 2.10, `torch.use_deterministic_algorithms(True)`
    also switches Inductor's deterministic mode on (pytorch#165950: Inductor then filters its
    reduction configs and skips on-device autotuning), so compiling alone no longer undoes the
    setup. What still differs on any release is compiled random operations against eager ones
    (dropout, `torch.rand` inside a compiled function draw from Inductor's own generator) unless
    `torch._inductor.config.fallback_random = True` (pytorch#118735): a run compiled and a run
    in eager mode, same seeds, do not match; two compiled runs do.

    ## Why is this bad?
    The module asked for deterministic results, then switched on something that does not give
    them: xFormers' attention kernels are not deterministic in backward and vary across GPUs,
    compiled graphs may fuse and reorder floating-point operations differently, TF32
    matmuls round differently from float32, and flash-attention's backward accumulates with
    atomic adds unless asked for its deterministic implementation. The determinism setup then promises more than it
    delivers.

    ## Example
    ```python
    enable_full_determinism()
    pipe.enable_xformers_memory_efficient_attention()
    ```

    ## Use instead
    ```python
    enable_full_determinism()
    # keep the default attention processor when results must be reproducible
    ```

    ## Fix safety
    No automatic fix: these switches trade reproducibility for speed, the author's call.

    ## Evidence
    - huggingface/diffusers#1339 (xFormers breaks reproducibility).
    - pytorch/pytorch#94855; PyTorch docs, "TensorFloat-32 (TF32) on Ampere devices".
    - pytorch/pytorch#165950 (in torch 2.10: `torch/_inductor/runtime/triton_heuristics.py` filters
      reduction configs when `are_deterministic_algorithms_enabled`; 2.9 does not).
    - pytorch/pytorch#118735, `torch._inductor.config.fallback_random`.
    - flash-attention's README: `deterministic` ("Whether to use the deterministic
      implementation of the backward pass"), False by default.
    """

    code = "RPL305"
    name = "nondeterministic-backend"
    summary = "a nondeterministic backend in a module that asks for determinism"
    triggers = ("xformers", "compile", "allow_tf32", "set_float32_matmul_precision", "flash_attn")
    verification = Verification(observe=None, compare=Compare.SAME_SEED, training=True,
                                gpu_only="xFormers / compiled / TF32 kernels")

    def could_report(self, facts) -> bool:
        # Findings need a determinism setup call: a catalogue function or one of the user's
        # helpers, whose last name part the module then mentions.
        setups = (catalog.ENABLE_FULL_DETERMINISM | catalog.USE_DETERMINISTIC_ALGORITHMS
                  | catalog.SET_SEED_WITH_DETERMINISTIC | catalog.LIGHTNING_TRAINERS)
        names = {name.rsplit(".", 1)[-1] for name in (*setups, *(self.settings.determinism_helpers or ()))}
        return bool(facts.words & names)

    def check(self, model):
        if not model.lasting_determinism_setups:
            return
        # From torch 2.10 deterministic mode also makes Inductor deterministic (pytorch#165950).
        compile_undoes = not target_versions(self.settings.target_version, model.path).torch_at_least(
            TORCH_INDUCTOR_FOLLOWS_DETERMINISM)
        found = [(switch.node, switch.description) for switch in determinism_ops.undoing_switches(model)
                 if switch.kind != "compile" or compile_undoes]
        flash_calls = flash_attention.nondeterministic_calls(model)
        if flash_calls and training.trains(model):
            for call in flash_calls:
                name = call.qualname.rsplit(".", 1)[-1]
                found.append((call.node, f"`{name}` without `deterministic=True` (its backward)"))
        for node, what in found:
            yield self.report(
                model, node,
                f"{what} is not deterministic, and this module sets up determinism: the results will "
                "still vary",
            )

    VALID = [
        Example(
            """
            import torch

            torch.compile(model)
            """,
            note="no determinism asked for",
        ),
        Example(
            """
            import torch
            from flash_attn import flash_attn_func

            torch.use_deterministic_algorithms(True)

            def attention(q, k, v):
                return flash_attn_func(q, k, v, causal=True, deterministic=True)

            def train_step(model, batch, optimizer):
                model(batch).mean().backward()
                optimizer.step()
            """,
            note="the deterministic backward asked for",
        ),
        Example(
            """
            import torch

            torch.use_deterministic_algorithms(True)
            torch.set_float32_matmul_precision("highest")
            """
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers.utils.torch_utils import enable_full_determinism

            enable_full_determinism()
            pipe.enable_xformers_memory_efficient_attention()
            torch.backends.cuda.matmul.allow_tf32 = True
            """,
            expect=[(5, 1), (6, 1)],
        ),
        Example(
            """
            import torch
            from flash_attn import flash_attn_func

            torch.use_deterministic_algorithms(True)

            def attention(q, k, v):
                return flash_attn_func(q, k, v, causal=True)

            def train_step(model, batch, optimizer):
                model(batch).mean().backward()
                optimizer.step()
            """,
            expect=[(7, 12)],
        ),
    ]
