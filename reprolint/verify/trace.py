"""Where two runs part: a record, in each run, of what their outputs are made of.

A run records, in order, every random draw (the ``torch.randn`` family, diffusers'
``randn_tensor``, a distribution's ``.sample()``), the output of every top-level module call (a
module called while no other module's forward runs: the UNet, the VAE's decoder, a text
encoder) and of every scheduler ``step``, each with where it was made: the innermost line outside
torch and reprolint (diffusers' pipeline for its own draws) and the script's own line. Each event
keeps a digest of its tensors (exact: equal digests, equal bits) and an evenly spaced sample of
up to ``SAMPLE`` of their values, for the |Δ| per step.

The verdict walks two runs' records side by side and names the first event that differs
(:func:`first_divergence`, in the parent; no torch there). :func:`install` runs in the child.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Optional

MAX_EVENTS = 4096  # per run; a long run is recorded up to here
SAMPLE = 256  # values kept per event for |Δ|
TRACE_NAME = "trace.json"
SAMPLES_NAME = "trace-samples.npy"
DRAW_FUNCTIONS = ("randn", "randn_like", "rand", "rand_like", "randint", "randint_like", "randperm", "normal",
                  "bernoulli", "multinomial", "poisson")


class Tracer:
    """The record of one run (child side)."""

    def __init__(self, script: str, skipped_roots: tuple) -> None:
        self.script = script
        self.skipped_roots = skipped_roots  # frames in these folders are not "where"
        self.events: list = []
        self.samples: list = []
        self.steps = 0
        self.module_depth = 0
        self.drawing = 0  # inside a recorded draw: the draws it makes itself are part of it
        self.recording = False

    def where(self) -> tuple:
        """(innermost line outside torch and reprolint, the script's own innermost line)."""
        frame = sys._getframe(2)
        place, own = None, None
        while frame is not None:
            filename = frame.f_code.co_filename
            if place is None and not filename.startswith(self.skipped_roots) and not filename.startswith("<"):
                place = f"{filename}:{frame.f_lineno}"
            if own is None and filename == self.script:
                own = frame.f_lineno
            if place is not None and own is not None:
                break
            frame = frame.f_back
        return place, own

    def record(self, kind: str, name: str, value) -> None:
        if self.recording or len(self.events) >= MAX_EVENTS:
            return
        self.recording = True
        try:
            digest, sample, size = _digest(value)
            if size == 0:
                return
            place, own = self.where()
            if kind == "step":
                self.steps += 1
            self.events.append({"kind": kind, "name": name, "where": place, "script_line": own,
                                "step": self.steps, "digest": digest, "size": size})
            self.samples.append(sample)
        except Exception:  # a value we cannot read must not break the user's script
            pass
        finally:
            self.recording = False

    def save(self, folder: str) -> None:
        import numpy as np

        with open(os.path.join(folder, TRACE_NAME), "w") as handle:
            json.dump(self.events, handle)
        samples = np.zeros((len(self.samples), SAMPLE))
        for index, sample in enumerate(self.samples):
            samples[index, :len(sample)] = sample
        np.save(os.path.join(folder, SAMPLES_NAME), samples)


def _tensors(value, found: list, depth: int = 0) -> None:
    import torch

    if depth > 4 or len(found) > 32:
        return
    if isinstance(value, torch.Tensor):
        found.append(value)
    elif isinstance(value, dict):  # diffusers' outputs are OrderedDicts
        for item in value.values():
            _tensors(item, found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors(item, found, depth + 1)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            _tensors(getattr(value, name, None), found, depth + 1)


def _digest(value) -> tuple:
    """(sha1 of the tensors' bytes, an evenly spaced sample of their values, how many)."""
    import numpy as np
    import torch

    tensors: list = []
    _tensors(value, tensors)
    digest = hashlib.sha1()
    parts, size = [], 0
    with torch.no_grad():
        for tensor in tensors:
            flat = tensor.detach().reshape(-1).to("cpu")
            if flat.numel() == 0:
                continue
            digest.update(str((tuple(tensor.shape), str(tensor.dtype))).encode())
            digest.update(flat.contiguous().view(torch.uint8).numpy().tobytes())
            step = max(1, flat.numel() // SAMPLE)
            parts.append(flat[::step][:SAMPLE].to(torch.float64).numpy())
            size += flat.numel()
    sample = np.concatenate(parts)[:SAMPLE] if parts else np.zeros(0)
    return digest.hexdigest(), sample, size


def install(script: str, with_diffusers: bool) -> Tracer:
    """Start recording this run (child side): patches torch's draw functions, diffusers'
    ``randn_tensor``, distributions' ``sample``, scheduler steps and a global module hook."""
    import torch

    import reprolint

    roots = (os.path.dirname(torch.__file__) + os.sep,
             os.path.dirname(os.path.abspath(reprolint.__file__)) + os.sep)
    tracer = Tracer(script, roots)

    def drawing(name: str, real):
        def draw(*args, **kwargs):
            if tracer.drawing:
                return real(*args, **kwargs)
            tracer.drawing += 1
            try:
                value = real(*args, **kwargs)
            finally:
                tracer.drawing -= 1
            tracer.record("draw", name, value)
            return value
        draw.__wrapped__ = real
        return draw

    for name in DRAW_FUNCTIONS:
        real = getattr(torch, name, None)
        if real is not None:
            setattr(torch, name, drawing(f"torch.{name}", real))

    def before(module, args):
        tracer.module_depth += 1

    def after(module, args, output):
        tracer.module_depth = max(0, tracer.module_depth - 1)
        if tracer.module_depth == 0:
            tracer.record("module", type(module).__name__, output)

    from torch.nn.modules import module as modules

    modules.register_module_forward_pre_hook(before)
    try:
        modules.register_module_forward_hook(after, always_call=True)
    except TypeError:  # an older torch
        modules.register_module_forward_hook(after)
    if with_diffusers:
        _patch_diffusers(tracer, drawing)
    return tracer


def _patch_diffusers(tracer: Tracer, drawing) -> None:
    try:
        from diffusers.schedulers.scheduling_utils import SchedulerMixin
        from diffusers.utils import torch_utils
    except Exception:
        return
    real = torch_utils.randn_tensor
    patched = drawing("randn_tensor", real)
    torch_utils.randn_tensor = patched
    for module in list(sys.modules.values()):  # modules that imported it by name already
        if getattr(module, "__name__", "").startswith("diffusers") and getattr(module, "randn_tensor", None) is real:
            module.randn_tensor = patched

    def traced_step(cls) -> None:
        real_step = cls.__dict__.get("step")
        if real_step is None or getattr(real_step, "_reprolint_traced", False):
            return

        def step(self, *args, **kwargs):
            output = real_step(self, *args, **kwargs)
            tracer.record("step", f"{type(self).__name__}.step", output)
            return output
        step._reprolint_traced = True
        cls.step = step

    def every_subclass(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every_subclass(sub)

    for cls in list(every_subclass(SchedulerMixin)):
        traced_step(cls)
    previous = SchedulerMixin.__dict__.get("__init_subclass__")

    def init_subclass(cls, **kwargs):  # scheduler classes diffusers imports later, lazily
        if previous is not None:
            previous.__func__(cls, **kwargs)
        else:
            super(SchedulerMixin, cls).__init_subclass__(**kwargs)
        traced_step(cls)

    SchedulerMixin.__init_subclass__ = classmethod(init_subclass)
    try:
        from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution
    except Exception:
        return
    DiagonalGaussianDistribution.sample = drawing("DiagonalGaussianDistribution.sample",
                                                  DiagonalGaussianDistribution.sample)


# -- the parent's side -------------------------------------------------------------------------

def load_trace(folder: str) -> list:
    """A run's record: events with their ``sample`` arrays; empty when it recorded none."""
    import numpy as np

    path = os.path.join(folder, TRACE_NAME)
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        events = json.load(handle)
    samples = np.load(os.path.join(folder, SAMPLES_NAME))
    for event, sample in zip(events, samples):
        event["sample"] = sample
    return events


def _label(event: dict) -> str:
    where = event.get("where") or ""
    place = f"{os.path.basename(where.rsplit(':', 1)[0])}:{where.rsplit(':', 1)[1]}" if ":" in where else "?"
    text = f"`{event['name']}` at {place}"
    return text


def _sample_delta(first: dict, second: dict) -> Optional[float]:
    import numpy as np

    a, b = first.get("sample"), second.get("sample")
    if a is None or b is None or len(a) != len(b):
        return None
    delta = np.abs(np.asarray(a) - np.asarray(b))
    delta = delta[np.isfinite(delta)]
    return float(delta.max()) if delta.size else 0.0


def first_divergence(first: list, second: list) -> Optional[dict]:
    """The first event at which two runs' records differ, with the |Δ| per scheduler step;
    None when either run recorded nothing."""
    if not first or not second:
        return None
    index, differing = 0, None
    for index, (a, b) in enumerate(zip(first, second)):
        if (a["kind"], a["name"]) != (b["kind"], b["name"]) or a["digest"] != b["digest"]:
            differing = (a, b)
            break
    else:
        if len(first) == len(second):
            return {"found": False, "phrase": f"the {len(first)} recorded events agree"}
        index = min(len(first), len(second))
    steps_before = sum(1 for event in first[:index] if event["kind"] == "step")
    has_steps = any(event["kind"] == "step" for event in first)
    if differing is None:
        longer = first if len(first) > len(second) else second
        what = f"one run recorded more events, from {_label(longer[index])}"
    else:
        a, b = differing
        what = _label(a) if (a["kind"], a["name"]) == (b["kind"], b["name"]) else f"{_label(a)} vs {_label(b)}"
    if index == 0:
        agreement = "runs part at the first recorded event"
    elif has_steps:
        agreement = f"runs agree until step {steps_before + 1}" if steps_before else "runs part before step 1"
    else:
        agreement = f"runs agree for {index} recorded events"
    per_step = []
    steps_a = [event for event in first if event["kind"] == "step"]
    steps_b = [event for event in second if event["kind"] == "step"]
    for a, b in zip(steps_a, steps_b):
        delta = 0.0 if a["digest"] == b["digest"] else _sample_delta(a, b)
        per_step.append(delta)
    event = differing[0] if differing else None
    return {"found": True, "index": index, "step": steps_before + 1 if has_steps else None,
            "kind": event["kind"] if event else None, "name": event["name"] if event else None,
            "where": event.get("where") if event else None,
            "script_line": event.get("script_line") if event else None,
            "phrase": f"{agreement}; first difference: {what}", "step_deltas": per_step}
