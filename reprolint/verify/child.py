"""The verify server and the runs it forks. Runs only in the subprocess ``--verify`` starts.

The server imports torch and diffusers once (that alone takes seconds), then, for each request
read from stdin, forks a fresh process that runs one instrumented copy of the user's script and
exits. Each run is its own process, in its own process group (the parent kills the whole group
on timeout and after the run), with the script's folder as working directory and its output
captured to files. Nothing the script does can reach the server or reprolint itself.

Protocol (one JSON object per line): the server writes ``{"hello": {...versions}}`` once; for
each request it answers ``{"pid": N}`` when the run starts and ``{"exit": status}`` when it ends.
"""

from __future__ import annotations

import builtins
import json
import os
import random
import sys
import traceback
import types

from reprolint.verify.isolation import Isolation

CAPTURE = "__reprolint_capture__"
RESEED = "__reprolint_reseed__"
PERTURB = "__reprolint_perturb__"
REPEAT = "__reprolint_repeat__"
ALONE = "__reprolint_alone__"
MAX_OCCURRENCES = 16  # captures kept per call (a call in a loop); enough to show drift


LOSS_CAPTURE, WEIGHTS_CAPTURE = -1, -2  # as reprolint.verify.instrument numbers them


class TrainingStepLimit(BaseException):
    """The run made its optimizer steps: stop the script there (a BaseException, so that the
    script's own ``except Exception`` does not catch it)."""


class StandInUnavailable(Exception):
    """The checkpoint is not here and no stand-in exists for its class: a skip, not an error."""


_protocol = None  # the server's channel to reprolint; fd 1 itself is pointed at stderr
_user_env: dict = {}  # variables the server changed for itself, restored in each run


def _send(message: dict) -> None:
    _protocol.write(json.dumps(message) + "\n")
    _protocol.flush()


def _preload() -> dict:
    """Import what nearly every verified script needs, so that each forked run starts warm."""
    info = {"python": sys.version.split()[0]}
    try:
        import numpy  # noqa: F401
        import torch

        info["torch"] = torch.__version__
        info["cuda_version"] = torch.version.cuda
    except Exception as exc:  # reported by the parent as a clear error
        info["import_error"] = f"{type(exc).__name__}: {exc}"
        return info
    try:
        import diffusers
        import transformers  # noqa: F401
        from diffusers import (AutoencoderKL, DDIMPipeline, DDPMPipeline,  # noqa: F401
                               StableDiffusionImg2ImgPipeline, StableDiffusionPipeline,
                               StableDiffusionXLPipeline, UNet2DConditionModel, UNet2DModel)
        from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer  # noqa: F401

        info["diffusers"] = diffusers.__version__
        from reprolint.verify import standins, trace  # noqa: F401  (imported before the run changes sys.path)
    except Exception as exc:
        info["diffusers"] = None
        info["diffusers_error"] = f"{type(exc).__name__}: {exc}"
    return info


def _probe_cuda() -> dict:
    """Whether CUDA works, asked in a forked child: initialising CUDA in the server would make
    every later fork unable to use it."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        result = {"cuda_available": False}
        try:
            import torch

            result["cuda_available"] = bool(torch.cuda.is_available())
            if result["cuda_available"]:
                result["cuda_device"] = torch.cuda.get_device_name(0)
                result["cudnn_version"] = torch.backends.cudnn.version()
                # Whether a forked run can use CUDA: it cannot once anything in the server
                # touched CUDA; the runner then starts CUDA runs as fresh processes instead.
                torch.zeros(1, device="cuda")
                result["cuda_in_fork"] = True
        except Exception as exc:
            result["cuda_error"] = str(exc)
            result["cuda_in_fork"] = False
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {"cuda_available": False}


_current_run = 0  # the process group of the run in progress (its leader's pid), 0 between runs


def _end_with_parent(parent: int, folder: str) -> None:
    """When reprolint dies (SIGKILL, a crash) without closing the server, the server must not
    outlive it with a run going: kill the run's process group, remove the scratch folder, exit.
    On Linux the kernel tells us (PR_SET_PDEATHSIG sends SIGTERM when the parent dies; strictly,
    when the parent's thread that started the server ends, so start it from a thread that lives
    as long as the session, as reprolint's main thread does); elsewhere a watcher thread sees
    the parent process change."""
    import shutil
    import signal

    def parent_gone(signum=None, frame=None):
        if _current_run:
            try:
                os.killpg(_current_run, signal.SIGKILL)
            except OSError:
                pass
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        os._exit(1)

    signal.signal(signal.SIGTERM, parent_gone)
    if not _set_parent_death_signal(signal.SIGTERM):
        import threading
        import time

        def watch():
            while os.getppid() == parent:
                time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="reprolint-parent-watch", daemon=True).start()
    if parent and os.getppid() != parent:  # died before the signal was asked for
        parent_gone()


def _set_parent_death_signal(number: int) -> bool:
    """Have the kernel send ``number`` to this process when its parent dies (Linux prctl);
    returns whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, number, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def serve(parent: int = 0, folder: str = "") -> None:
    """The server loop; ``parent``: reprolint's pid, ``folder``: the scratch folder, removed
    if reprolint dies first."""
    global _protocol, _current_run
    _end_with_parent(parent, folder)
    # Whatever an import prints must not corrupt the protocol: keep a private copy of stdout
    # for the protocol and send fd 1 to stderr.
    _protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    # torch.cuda.is_available() during the imports must not initialise CUDA in the server (a
    # forked run could then not use it): ask NVML instead. Each run gets the user's value back.
    _user_env["PYTORCH_NVML_BASED_CUDA_CHECK"] = os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK")
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    info = _preload()
    if "import_error" not in info:
        info.update(_probe_cuda())
    _send({"hello": info})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                _run(request)
            finally:
                os._exit(0)
        _current_run = pid
        _send({"pid": pid})
        _, status = os.waitpid(pid, 0)
        _current_run = 0
        _send({"exit": os.waitstatus_to_exitcode(status)})


# -- one run -----------------------------------------------------------------------------------

def _to_arrays(value, prefix: str, image: bool, out: dict, depth: int = 0) -> None:
    """Flatten an output into named float arrays: tensors, arrays, PIL images, pipeline outputs
    (``.images``, ``.frames``, ``.latents``) and tuples, lists or dicts of them."""
    import numpy as np
    import torch

    if depth > 6 or len(out) > 256:
        return
    if isinstance(value, torch.Tensor):
        out[prefix or "output"] = (value.detach().to("cpu", torch.float64).numpy(), image)
        return
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        array = value.astype(np.float64)
        if value.dtype == np.uint8:
            array = array / 255.0
        out[prefix or "output"] = (array, image)
        return
    if type(value).__module__.startswith("PIL.") and hasattr(value, "mode"):
        out[prefix or "image"] = (np.asarray(value.convert("RGB"), dtype=np.float64) / 255.0, True)
        return
    if isinstance(value, dict):  # diffusers' BaseOutput is an OrderedDict
        for key, item in value.items():
            _to_arrays(item, f"{prefix}.{key}" if prefix else str(key), image or key in ("images", "frames"),
                       out, depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _to_arrays(item, f"{prefix}[{index}]", image, out, depth + 1)
        return
    for attribute in ("images", "frames", "latents"):
        if hasattr(value, attribute):
            _to_arrays(getattr(value, attribute), f"{prefix}.{attribute}" if prefix else attribute,
                       attribute != "latents", out, depth + 1)


def _install_hooks(request: dict) -> None:
    import numpy as np

    capture_dir = request["capture_dir"]
    counts: dict = {}

    def capture(capture_id, value):
        occurrence = counts.get(capture_id, 0)
        counts[capture_id] = occurrence + 1
        if occurrence >= MAX_OCCURRENCES:
            return value
        arrays: dict = {}
        try:
            _to_arrays(value, "", False, arrays)
        except Exception as exc:  # an output we cannot read must not break the user's script
            arrays = {}
            sys.stderr.write(f"reprolint: could not capture the output of call {capture_id}: {exc}\n")
        names = sorted(arrays)
        base = os.path.join(capture_dir, f"{capture_id}_{occurrence}")
        np.savez(base + ".npz", **{f"a{i}": arrays[name][0] for i, name in enumerate(names)})
        with open(base + ".json", "w") as handle:
            json.dump({"names": names, "images": [arrays[name][1] for name in names],
                       "type": type(value).__name__}, handle)
        return value

    def each_generator(generator):
        return generator if isinstance(generator, (list, tuple)) else [generator]

    def reseed(capture_id, generator):
        # The generator as a fresh `manual_seed` of its own seed would leave it.
        for g in each_generator(generator):
            if hasattr(g, "manual_seed") and hasattr(g, "initial_seed"):
                g.manual_seed(g.initial_seed())
        return generator

    def perturb(capture_id, generator):
        # Another draw from the process-global generator, as any library code may make.
        import torch

        torch.rand(1)
        return generator

    def repeat(capture_id, func, /, *args, **kwargs):
        # The call made twice in this process; its occurrences pair up (first, second).
        first = capture(capture_id, func(*args, **kwargs))
        capture(capture_id, func(*args, **kwargs))
        return first

    def alone(capture_id, func, /, *args, **kwargs):
        # The batch, then its last image made alone from that image's generator as it was
        # before the batch; the pair recorded is (last image of the batch, image made alone).
        states = _generator_states(kwargs.get("generator"))
        batch = func(*args, **kwargs)
        images = _images_of(batch)
        if images is None or len(images) < 2:
            capture(capture_id, batch)
            raise NotABatch("the flagged call made " + ("no images" if images is None else "one image")
                            + ", not a batch")
        last = len(images) - 1
        for generator, state in states:
            generator.set_state(state)
        single_args, single_kwargs = _alone_arguments(args, kwargs, last)
        single = _images_of(func(*single_args, **single_kwargs))
        capture(capture_id, {"images": [images[last]]})
        capture(capture_id, {"images": [single[0]] if single is not None and len(single) else []})
        return batch

    setattr(builtins, CAPTURE, capture)
    setattr(builtins, RESEED, reseed)
    setattr(builtins, PERTURB, perturb)
    setattr(builtins, REPEAT, repeat)
    setattr(builtins, ALONE, alone)


class NotABatch(Exception):
    """The call a batch check observes made fewer than two images: nothing to regenerate."""


def _generator_states(generator) -> list:
    """(generator, its state) for each distinct generator passed, to restore them later."""
    found = []
    for g in (generator if isinstance(generator, (list, tuple)) else [generator]):
        if hasattr(g, "get_state") and hasattr(g, "set_state") and all(g is not seen for seen, _ in found):
            found.append((g, g.get_state()))
    return found


def _images_of(output):
    """The images of a pipeline output, indexable per image: ``.images`` (or the first element of
    a tuple output), a list of PIL images, an array or a tensor with the batch first."""
    images = getattr(output, "images", None)
    if images is None and isinstance(output, (tuple, list)) and output and not hasattr(output[0], "mode"):
        images = output[0]
    if images is None:
        images = output
    if isinstance(images, (list, tuple)) or getattr(images, "ndim", 0) >= 4:
        return images
    return None


def _alone_arguments(args: tuple, kwargs: dict, index: int) -> tuple:
    """The arguments that make image ``index`` of the batch alone: its prompt, one image per
    prompt, and its own generator (where the call passed a list)."""
    per_prompt = kwargs.get("num_images_per_prompt") or 1
    kwargs = dict(kwargs)
    generator = kwargs.get("generator")
    if isinstance(generator, (list, tuple)):
        kwargs["generator"] = generator[index % len(generator)]
    for name in ("num_images_per_prompt", "batch_size"):
        if name in kwargs:
            kwargs[name] = 1
    args = list(args)
    prompt_index = index // per_prompt
    for name in ("prompt", "prompt_2", "negative_prompt", "negative_prompt_2"):
        if isinstance(kwargs.get(name), (list, tuple)):
            kwargs[name] = kwargs[name][prompt_index % len(kwargs[name])]
    if args and isinstance(args[0], (list, tuple)) and args[0] and isinstance(args[0][0], str):
        args[0] = args[0][prompt_index % len(args[0])]
    return tuple(args), kwargs


def determinism_flags() -> dict:
    """The determinism settings in force in this process (read after the script ran, so that
    what it set counts); empty where torch is not imported."""
    torch = sys.modules.get("torch")
    if torch is None:
        return {}
    flags: dict = {}
    readings = {
        "deterministic_algorithms": lambda: torch.are_deterministic_algorithms_enabled(),
        "deterministic_algorithms_warn_only": lambda: torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn_deterministic": lambda: torch.backends.cudnn.deterministic,
        "cudnn_benchmark": lambda: torch.backends.cudnn.benchmark,
        "cudnn_allow_tf32": lambda: torch.backends.cudnn.allow_tf32,
        "cuda_matmul_allow_tf32": lambda: torch.backends.cuda.matmul.allow_tf32,
        "float32_matmul_precision": lambda: torch.get_float32_matmul_precision(),
    }
    for name, read in readings.items():
        try:
            flags[name] = read()
        except Exception:  # an older torch without the setting
            continue
    for name in ("CUBLAS_WORKSPACE_CONFIG", "PYTHONHASHSEED"):
        flags[name] = os.environ.get(name)
    return flags


def _install_training_limit(steps: int, record_from: int = 0) -> None:
    """Record each step's loss (what ``.backward()`` is called on) from optimizer step
    ``record_from`` on and, after ``steps`` optimizer steps, the weights of every parameter the
    optimizers hold; then stop the run."""
    import torch
    from torch.optim.optimizer import register_optimizer_step_post_hook

    capture = getattr(builtins, CAPTURE)
    real_backward = torch.Tensor.backward
    optimizers: list = []
    done = [0]

    def backward(self, *args, **kwargs):
        if self.numel() == 1 and record_from <= done[0] < steps:
            capture(LOSS_CAPTURE, self.detach())
        return real_backward(self, *args, **kwargs)

    def after_step(optimizer, args, kwargs):
        if optimizer not in optimizers:
            optimizers.append(optimizer)
        done[0] += 1
        if done[0] < steps:
            return
        weights = {f"optimizer{o}.group{g}.param{p}": parameter.detach()
                   for o, opt in enumerate(optimizers) for g, group in enumerate(opt.param_groups)
                   for p, parameter in enumerate(group["params"])}
        capture(WEIGHTS_CAPTURE, weights)
        raise TrainingStepLimit(steps)

    torch.Tensor.backward = backward
    register_optimizer_step_post_hook(after_step)


# -- a run that resumes: the script trained, checkpointed and stopped, then run again ------------

RANDOM_STATES = "random_states.pt"  # the process's random states at the script's last checkpoint


def _random_states() -> dict:
    """Python's, numpy's, torch's and (where initialised) CUDA's random states, as a script that
    saved them with its checkpoint would have them."""
    import torch

    states = {"python": random.getstate(), "torch": torch.get_rng_state()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        states["numpy"] = numpy.random.get_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _install_checkpoint_stop(steps: int, max_steps: int, outcome: dict, states_path: str) -> None:
    """The run before a resume: train at least ``steps`` optimizer steps, and stop at the first
    optimizer step after a checkpoint (a ``torch.save``) made from then on, or at the script's
    end. The random states at the last checkpoint are kept in ``states_path``; after
    ``max_steps`` steps with no checkpoint, stop and say so."""
    import torch
    from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

    real_save = torch.save
    done = [0]

    def save(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        outcome["saved_at"] = done[0]
        real_save(_random_states(), states_path)

    def before_step(optimizer, args, kwargs):
        if outcome.get("saved_at", -1) >= steps:
            raise TrainingStepLimit(done[0])
        if done[0] >= max_steps:
            raise TrainingStepLimit(done[0])

    def after_step(optimizer, args, kwargs):
        done[0] += 1

    torch.save = save
    register_optimizer_step_pre_hook(before_step)
    register_optimizer_step_post_hook(after_step)


def _install_resume_watch(details: dict, states_path) -> None:
    """The resumed run: note whether an optimizer loads a state (the script resumed) and, for
    the run that shows the fix, restore the random states of the checkpoint right after."""
    import torch

    real_load = torch.optim.Optimizer.load_state_dict

    def load_state_dict(self, state_dict):
        loaded = real_load(self, state_dict)
        details["resumed"] = True
        if states_path:
            states = torch.load(states_path, weights_only=False)
            random.setstate(states["python"])
            torch.set_rng_state(states["torch"])
            if "numpy" in states:
                import numpy

                numpy.random.set_state(states["numpy"])
            if "cuda" in states:
                torch.cuda.set_rng_state_all(states["cuda"])
        return loaded

    torch.optim.Optimizer.load_state_dict = load_state_dict


def _run_before_resume(request: dict, resume: dict) -> dict:
    """Run the script once, in the working folder the resumed run will use, until it has trained
    and checkpointed (``_install_checkpoint_stop``); in a forked process, so that the resumed
    run starts as fresh as a new process would. Returns what it reported."""
    folder = os.path.join(os.path.dirname(request["capture_dir"]), "before-resume")
    captures = os.path.join(folder, "captures")
    os.makedirs(captures, exist_ok=True)
    outcome_path = os.path.join(folder, "outcome.json")
    pid = os.fork()
    if pid == 0:
        outcome: dict = {"status": "ok", "stand_ins": []}
        try:
            _seed_process(request["seed"])
            _install_hooks({**request, "capture_dir": captures})
            with open(request["source_path"], encoding="utf-8") as handle:
                source = handle.read()
            _install_device_patches(request["device"], source)
            _install_checkpoint_stop(resume["steps"], resume["max_steps"], outcome,
                                     os.path.join(os.path.dirname(request["capture_dir"]), RANDOM_STATES))
            _install_loader_patches(request, outcome["stand_ins"], source)
            _exec_script(source, request["script"], request["argv"][0])
        except TrainingStepLimit:
            pass
        except SystemExit as exc:
            if exc.code not in (None, 0):
                outcome["status"] = "error"
                outcome["error"] = f"the script exited with sys.exit({exc.code!r})"
        except BaseException as exc:  # noqa: BLE001 - the verdict says what stopped it
            outcome["status"] = "error"
            outcome["error"] = _one_line(exc)
        finally:
            try:
                with open(outcome_path, "w") as handle:
                    json.dump(outcome, handle)
            finally:
                os._exit(0)
    os.waitpid(pid, 0)
    try:
        with open(outcome_path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {"status": "error", "error": "the process died before reporting"}


class ResumeNotShown(Exception):
    """The runs could not show a resume: no checkpoint was saved, or the script did not load it."""


def _exec_script(source: str, script: str, copy: str) -> None:
    code = compile(source, script, "exec")
    main = types.ModuleType("__main__")
    main.__file__ = copy
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _uses_diffusers(source: str) -> bool:
    # In a fresh interpreter, importing diffusers only to patch it would cost seconds.
    return "diffusers" in sys.modules or "diffusers" in source


def _install_device_patches(device: str, source: str) -> None:
    """Let a script written for a GPU run on the CPU: offloading is a no-op there, as are CUDA
    housekeeping calls."""
    import torch

    if device == "cpu":
        for name in ("synchronize", "empty_cache", "reset_peak_memory_stats"):
            if hasattr(torch.cuda, name):
                setattr(torch.cuda, name, lambda *args, **kwargs: None)
    if not _uses_diffusers(source):
        return
    try:
        import diffusers
    except Exception:
        return
    if device == "cpu":
        for name in ("enable_model_cpu_offload", "enable_sequential_cpu_offload"):
            setattr(diffusers.DiffusionPipeline, name, lambda self, *args, **kwargs: None)


def _install_loader_patches(request: dict, used: list, source: str) -> None:
    """Load the real checkpoint when it is on this machine; otherwise build a stand-in of the
    same class (``--stand-in auto``), or stop with a skip that names the class."""
    if not _uses_diffusers(source):
        return
    try:
        import diffusers
    except Exception:
        return
    device = request["device"]
    stand_in = request["stand_in"] == "auto"

    def wrap(owner, real_loader, name_keyword):
        def load(cls, *args, **kwargs):
            checkpoint = args[0] if args else kwargs.get(name_keyword)
            try:
                pipe = real_loader.__get__(None, cls)(*args, **kwargs)
            except Exception as exc:
                if not stand_in:
                    raise
                from reprolint.verify import standins

                try:
                    if issubclass(cls, diffusers.ModelMixin):
                        pipe = standins.build_model(cls.__name__)
                    else:
                        pipe = standins.build(cls.__name__, checkpoint if isinstance(checkpoint, str) else None,
                                              components=kwargs)
                except standins.NoStandIn as missing:
                    raise StandInUnavailable(
                        f"no stand-in for {missing}; run with the model available locally or "
                        f"--allow-download") from exc
                used.append(type(pipe).__name__)
            if device != "cpu" and hasattr(pipe, "to"):
                pipe = pipe.to(device)
            return pipe
        return classmethod(load)

    owners = [diffusers.DiffusionPipeline, diffusers.ModelMixin]
    # diffusers' auto_pipeline module imports every pipeline (seconds): touch it only for a
    # script that uses it.
    auto_names = [n for n in ("AutoPipelineForText2Image", "AutoPipelineForImage2Image",
                              "AutoPipelineForInpainting") if n in source]
    for name in auto_names:
        owner = getattr(diffusers, name, None)
        if owner is not None:
            owners.append(owner)
    for owner in owners:
        real = owner.__dict__.get("from_pretrained")
        if isinstance(real, classmethod):
            setattr(owner, "from_pretrained", wrap(owner, real, "pretrained_model_name_or_path"))
    if "from_single_file" in source:
        try:
            from diffusers.loaders.single_file import FromSingleFileMixin
        except Exception:
            return
        real = FromSingleFileMixin.__dict__.get("from_single_file")
        if isinstance(real, classmethod):
            setattr(FromSingleFileMixin, "from_single_file", wrap(FromSingleFileMixin, real,
                                                                  "pretrained_model_link_or_path"))


def _start_trace(script: str, source: str):
    """Record where this run's outputs come from (``reprolint.verify.trace``); None if it cannot."""
    try:
        from reprolint.verify import trace

        return trace.install(script, _uses_diffusers(source))
    except Exception as exc:
        sys.stderr.write(f"reprolint: could not trace the run: {exc}\n")
        return None


def _seed_process(seed: int) -> None:
    """The process-level randomness of this run: what differs between two days of the user's."""
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed % (2 ** 32))
    except Exception:
        pass
    try:
        import torch

        torch.manual_seed(seed)
    except Exception:
        pass


class SignalToParent(BaseException):
    """The script tried to signal its parent process; a BaseException, so that the script's own
    ``except Exception`` does not swallow it."""


def _guard_parent(script: str) -> None:
    """Refuse the signals a script sends to its parent process or to every process: under
    --verify the parent is reprolint's runner (or reprolint itself), not whatever launcher the
    script expects, and killing it would lose the run. The refusal says which line tried."""
    parent = os.getppid()
    try:
        parent_group = os.getpgid(parent)
    except OSError:
        parent_group = None

    def hook(event, arguments):
        if event not in ("os.kill", "os.killpg") or len(arguments) < 2:
            return
        target, number = arguments[0], arguments[1]
        if not isinstance(target, int) or not number:
            return  # signal 0 only asks whether a process exists
        if event == "os.kill":
            aimed = target in (parent, -1) or (target < -1 and -target == parent_group)
        else:
            aimed = target == parent_group
        if not aimed:
            return
        frame, line = sys._getframe(1), None
        while frame is not None:
            if frame.f_code.co_filename == script:
                line = frame.f_lineno
                break
            frame = frame.f_back
        whom = "every process it may signal" if target == -1 else "its parent process"
        where = f" at line {line}" if line else ""
        raise SignalToParent(
            f"the script sent {_signal_name(number)} to {whom} (reprolint's verify runner){where}; "
            "reprolint refused it: a script that signals its parent cannot be verified")

    sys.addaudithook(hook)


def _signal_name(number) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except (ValueError, TypeError):
        return f"signal {number}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_once(request_path: str) -> None:
    """Run one request in this (freshly started) process: for CUDA runs where forking cannot."""
    with open(request_path) as handle:
        request = json.load(handle)
    try:
        _run(request)
    finally:
        os._exit(0)


def _run(request: dict) -> None:
    import signal

    try:
        os.setsid()
    except OSError:  # already a session leader (started as a fresh process)
        pass
    # The script gets the default SIGTERM, not the server's; and it dies with its parent (the
    # server, or reprolint for a fresh-process run) rather than run on alone.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _set_parent_death_signal(signal.SIGKILL)
    if _protocol is not None:
        _protocol.close()  # the script never gets the server's channel
    for name, value in _user_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    out = os.open(request["stdout_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(request["stderr_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(os.devnull)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    result = {"status": "ok", "stand_ins": []}
    details: dict = {}  # what a resumed run learned: the checkpoint's step, whether it loaded
    tracer = None
    script = request["script"]
    # The run's view of the script: its copy in the scratch folder that mirrors the script's
    # folder. Paths built from the working folder, `__file__` or `sys.argv[0]` all land there.
    copy = request["argv"][0]
    try:
        os.chdir(request["workdir"])
        Isolation(request["workdir"], request.get("protected", ())).install()
        sys.argv = list(request["argv"])
        # As `python script.py` would: the script's folder first; reprolint's own root last.
        reprolint_root = sys.path[0]
        sys.path[:] = [request["workdir"]] + [p for p in sys.path if p not in ("", reprolint_root)]
        sys.path.append(reprolint_root)
        _guard_parent(script)
        resume = request.get("resume")
        if resume:
            before = _run_before_resume(request, resume)
            if before["status"] != "ok":
                raise ResumeNotShown(f"the run before the resume: {before.get('error')}")
            if before.get("saved_at", -1) < resume["steps"]:
                raise ResumeNotShown(
                    f"the script saved no checkpoint (torch.save) after {resume['steps']} optimizer steps"
                    f" (within {resume['max_steps']}); give it arguments that checkpoint early (verify-args)")
            details["saved_at"] = before["saved_at"]
        _seed_process(request["seed"])
        _install_hooks(request)
        with open(request["source_path"], encoding="utf-8") as handle:
            source = handle.read()
        _install_device_patches(request["device"], source)
        if request.get("train_steps"):
            _install_training_limit(request["train_steps"], request.get("record_from", 0))
        if resume:
            _install_resume_watch(details, os.path.join(os.path.dirname(request["capture_dir"]), RANDOM_STATES)
                                  if resume.get("restore") else None)
        _install_loader_patches(request, result["stand_ins"], source)
        tracer = _start_trace(script, source)
        _exec_script(source, script, copy)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            result = {**result, "status": "error", "error": f"the script exited with sys.exit({exc.code!r})"}
    except (StandInUnavailable, NotABatch, ResumeNotShown) as exc:
        result = {**result, "status": "skipped", "error": str(exc)}
    except TrainingStepLimit as exc:
        result = {**result, "training_steps": exc.args[0]}
    except SignalToParent as exc:
        result = {**result, "status": "error", "error": str(exc)}
    except BaseException as exc:  # noqa: BLE001 - every failure of the user's script is a verdict
        # The traceback from the script's first frame on: reprolint's own frame says nothing.
        frames = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        text = "".join(traceback.format_exception(type(exc), exc, frames))
        lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == script]
        result = {**result, "status": "error", "error": _one_line(exc), "traceback": text, "error_lines": lines}
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        if request.get("resume") and result["status"] == "ok" and "saved_at" in details \
                and not details.get("resumed"):
            result = {**result, "status": "skipped",
                      "error": "the second run did not resume: no optimizer loaded the checkpoint the first run "
                               "saved; give the script arguments that resume (verify-args)"}
        result["details"] = details
        try:
            result["flags"] = determinism_flags()
        except Exception:
            pass
        if tracer is not None:
            try:
                tracer.save(os.path.dirname(request["capture_dir"]))
            except Exception as exc:  # the verdict then names no first difference
                sys.stderr.write(f"reprolint: could not save the run's trace: {exc}\n")
        temporary = request["result_path"] + ".tmp"
        with open(temporary, "w") as handle:
            json.dump(result, handle)
        os.replace(temporary, request["result_path"])


if __name__ == "__main__":
    serve()
