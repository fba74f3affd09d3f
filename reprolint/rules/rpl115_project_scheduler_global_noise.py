from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.findings import Applicability, Fix
from reprolint.rules.base import Example, Rule
from reprolint.rules.edits import append_keyword, keyword_appender
from reprolint.rules.verification import Compare, Observe, Verification
from reprolint.semantic import samplers

# ``torch.randn_like(x)`` takes ``generator=`` only in recent torch (pytorch#165865); the fix
# writes the draw that takes one in every release.
_LIKE_TO_SHAPED = {"randn_like": "randn", "rand_like": "rand"}

_DRAW_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in samplers.NOISE_DRAWS)


class ProjectSchedulerGlobalNoise(Rule):
    """
    ## What it does
    Flags a draw from torch's global random number generator (`torch.randn`, `randn_like`,
    `rand`, `rand_like`, `randint`, `normal`, diffusers' `randn_tensor`, without `generator=`)
    made in the `step`, `sample` or `__call__` method of a scheduler or sampler class of the
    project: a class named `*Scheduler` or `*Sampler`, or one deriving from diffusers'
    `SchedulerMixin`. Reported at the draw, when the method takes no generator (no parameter
    named `generator`, `*_generator` or `rng`) and the class keeps none on itself
    (`self.generator`; RPL113 covers a held generator that a draw ignores).

    Left out, since a seed does reach those draws or the caller controls them:
    - a class that is no `SchedulerMixin` in a module that never uses generators (imports no
      diffusers and never says `generator`): there the process seed (`torch.manual_seed`,
      `seed_everything`) is the only seed, and it does reach the draw;
    - a draw after the global RNG was seeded on every path to it;
    - a draw that only fills in noise the caller may pass (`x_T if x_T is not None else
      torch.randn(...)`, `default(noise, torch.randn(...))`, `if noise is None: noise = ...`);
    - data-loader samplers (`torch.utils.data.Sampler` subclasses), which draw indices;
    - draws in helper functions the method calls.

    ## Why is this bad?
    A pipeline seeded with `generator=torch.Generator().manual_seed(42)` hands that generator to
    the scheduler's `step`; a project scheduler that ignores it and draws from the global RNG
    adds fresh noise at every step. The same seed gives a different image on every run, unless
    the whole process happens to be seeded identically and nothing else draws in between.

    ## Example
    ```python
    class AncestralSampler:
        def step(self, model_output, timestep, sample):
            noise = torch.randn_like(sample)
            return sample + self.sigma * noise
    ```

    ## Use instead
    ```python
    class AncestralSampler:
        def step(self, model_output, timestep, sample, generator=None):
            noise = torch.randn(sample.shape, generator=generator, dtype=sample.dtype, device=sample.device)
            return sample + self.sigma * noise
    ```

    ## Fix safety
    Unsafe: the fix adds a `generator=None` parameter to the method and passes it to each of its
    draws (`torch.randn_like(x)` becomes `torch.randn(x.shape, generator=generator,
    dtype=x.dtype, device=x.device)`, since `randn_like` takes a generator only in recent torch).
    With no generator passed the draws are those of before; the callers must still be changed to
    pass one. No fix is offered where a `*_like` draw has other arguments than the tensor.

    ## Evidence
    - A real examples collection with such a scheduler: four of its scripts pass `seed=42` and
      still get fresh noise at every step.
    - diffusers' own schedulers take `generator=` in `step` for this reason
      (huggingface/diffusers#247, "use a generator for reproducibility").
    """

    code = "RPL115"
    name = "project-scheduler-global-noise"
    summary = "a project scheduler or sampler draws its noise from torch's global RNG"
    fix_safety = Applicability.UNSAFE
    triggers = ("Scheduler", "Sampler")
    requires_imports = ("torch", "diffusers")
    verification = Verification(
        observe=Observe.FLAGGED_CALL, compare=Compare.OTHER_SEED,
        drift="the sampler's noise follows the process seed, not the pipeline's generator: {difference}",
        no_drift="no drift observed ({runs} runs identical)")

    @classmethod
    def could_report(cls, facts) -> bool:
        # Every finding is a draw of torch's that passes no generator= (diffusers' own schedulers
        # draw through randn_tensor(generator=...) and never get this far).
        return bool(facts.ungenerated_calls & _DRAW_NAMES)

    def check(self, model):
        draws = samplers.project_sampler_global_draws(model)
        by_method: dict = {}
        for draw in draws:
            by_method.setdefault(id(draw.method), []).append(draw)
        fixes = {key: self._fix(group) for key, group in by_method.items()}
        for draw in draws:
            owner, method = draw.owner.name.value, draw.method.name.value
            yield self.report(
                model, draw.call.node,
                f"`{owner}.{method}` draws this noise from torch's global RNG and takes no generator: "
                "a seed given to the pipeline does not control it; add a `generator=None` parameter "
                "and pass it to the draw",
                fix=fixes[id(draw.method)],
            )

    @staticmethod
    def _fix(draws) -> Optional[Fix]:
        method = draws[0].method
        replacements = {}
        for draw in draws:
            edit = _draw_with_generator(draw.call.node)
            if edit is None:
                return None
            replacements[draw.call.node] = edit
        replacements[method.params] = _with_generator_parameter
        return Fix(Applicability.UNSAFE, "Take a `generator` and pass it to the draws", replacements=replacements)

    VALID = [
        Example(
            """
            import torch

            class AncestralSampler:
                def step(self, model_output, timestep, sample, generator=None):
                    noise = torch.randn(sample.shape, generator=generator, device=sample.device)
                    return sample + noise
            """,
            note="the step takes a generator and passes it",
        ),
        Example(
            """
            import torch

            class Augmenter:
                def __call__(self, image):
                    return image + 0.1 * torch.randn_like(image)
            """,
            note="not a scheduler or a sampler",
        ),
        Example(
            """
            import torch
            from torch.utils.data import Sampler

            class ShuffleSampler(Sampler):
                def __call__(self):
                    return torch.randint(0, 10, (4,))
            """,
            note="a data-loader sampler",
        ),
        Example(
            """
            import torch

            class NoiseScheduler:
                def step(self, model_output, timestep, sample):
                    noise = torch.randn_like(model_output)
                    return sample + self.sigma * noise
            """,
            note="a module that never uses generators: the process seed is the only seed, and it reaches the draw",
        ),
        Example(
            """
            import torch
            from diffusers import UNet2DModel

            class EulerSampler:
                def sample(self, model, shape, x_T=None):
                    x = x_T if x_T is not None else torch.randn(shape)
                    return model(x)
            """,
            note="the draw only fills in noise the caller may pass",
        ),
    ]
    INVALID = [
        Example(
            """
            import torch
            from diffusers import UNet2DModel

            class AncestralSampler:
                def step(self, model_output, timestep, sample):
                    noise = torch.randn_like(sample)
                    return sample + self.sigma * noise
            """,
            expect=[(6, 17)],
            fixed="""
            import torch
            from diffusers import UNet2DModel

            class AncestralSampler:
                def step(self, model_output, timestep, sample, generator=None):
                    noise = torch.randn(sample.shape, generator=generator, dtype=sample.dtype, device=sample.device)
                    return sample + self.sigma * noise
            """,
        ),
        Example(
            """
            import torch
            from diffusers import SchedulerMixin

            class MyFlowScheduler(SchedulerMixin):
                def step(self, model_output, timestep, sample, *, s_noise=1.0, **kwargs):
                    noise = torch.randn(sample.shape, device=sample.device, dtype=sample.dtype)
                    return sample + s_noise * noise
            """,
            expect=[(6, 17)],
            fixed="""
            import torch
            from diffusers import SchedulerMixin

            class MyFlowScheduler(SchedulerMixin):
                def step(self, model_output, timestep, sample, *, s_noise=1.0, generator=None, **kwargs):
                    noise = torch.randn(sample.shape, device=sample.device, dtype=sample.dtype, generator=generator)
                    return sample + s_noise * noise
            """,
        ),
    ]


def _draw_with_generator(call: cst.Call):
    """The replacement of a draw that passes ``generator``; None where it cannot be written."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
    if name not in _LIKE_TO_SHAPED:
        return keyword_appender("generator", cst.Name("generator"))
    if not isinstance(func, cst.Attribute) or len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
        return None
    tensor = call.args[0].value

    def rewrite(updated: cst.Call) -> cst.Call:
        shaped = updated.with_changes(
            func=func.with_changes(attr=cst.Name(_LIKE_TO_SHAPED[name])),
            args=[cst.Arg(cst.Attribute(tensor, cst.Name("shape")))])
        for keyword, attribute in (("generator", None), ("dtype", "dtype"), ("device", "device")):
            value = cst.Name("generator") if attribute is None else cst.Attribute(tensor, cst.Name(attribute))
            shaped = append_keyword(shaped, keyword, value)
        return shaped

    return rewrite


def _with_generator_parameter(params: cst.Parameters) -> cst.Parameters:
    new = cst.Param(cst.Name("generator"), default=cst.Name("None"),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if isinstance(params.star_arg, (cst.Param, cst.ParamStar)) or params.kwonly_params:
        return params.with_changes(kwonly_params=[*_with_comma(params.kwonly_params), new])
    return params.with_changes(params=[*_with_comma(params.params), new])


def _with_comma(params) -> list:
    params = list(params)
    if params and not isinstance(params[-1].comma, cst.Comma):
        params[-1] = params[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return params
