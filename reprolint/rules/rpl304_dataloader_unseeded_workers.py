from __future__ import annotations

from typing import Optional

import libcst as cst

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Verification
from reprolint.semantic import catalog
from reprolint.semantic.imports import dotted_name
from reprolint.semantic.values import Const, DataSampler, DictValue, possible_values


class DataloaderUnseededWorkers(Rule):
    """
    ## What it does
    Flags `DataLoader(...)` with `shuffle=True` or a `sampler=`, and `num_workers` given and not
    literally `0`, but neither `generator=` nor `worker_init_fn=`. Silent where the module calls
    Lightning's `seed_everything(..., workers=True)`, which seeds workers itself. A sampler that
    does not shuffle (`DistributedSampler(..., shuffle=False)`) is no shuffling; one that shuffles
    with its own seed (a `DistributedSampler`, which takes `seed=`) is reported for the workers'
    seeds only, and the message says so. Seeding the
    global generator first (`set_seed`) does not silence it: the order and the worker seeds then
    still shift whenever code before the loop draws one more number. A `DataLoader` built in a
    function that passes its own `**kwargs` on is judged with what the calls of that function in
    the module pass (`make_loader(ds, num_workers=8)`), reported at the `DataLoader`. Where that
    function is in another module of the project (`from data import build_loader`), the call
    that passes `num_workers` (by keyword or in a `**loader_kwargs` dict: `dict(num_workers=4,
    shuffle=True)`, `{"num_workers": 4}`) is reported instead, and names the `DataLoader`:
    linting one module must not depend on which scripts call it.

    ## Why is this bad?
    Without `generator=`, the shuffling order and the base seed of every worker (from which each
    worker seeds `torch`, `random` and `numpy`) are drawn from torch's global generator when the
    loader is iterated: any other random draw before that (a model's initialisation, one more
    augmentation, a changed number of warm-up batches) changes the order and every worker's
    augmentations. Before torch 1.9, workers also left `numpy` unseeded, so augmentations
    repeated across workers. The PyTorch notes recommend both `generator=` and a
    `worker_init_fn`.

    ## Example
    ```python
    loader = DataLoader(dataset, batch_size=16, shuffle=True, num_workers=4)
    ```

    ## Use instead
    ```python
    def seed_worker(worker_id):
        worker_seed = torch.initial_seed() % 2**32
        numpy.random.seed(worker_seed)
        random.seed(worker_seed)

    g = torch.Generator()
    g.manual_seed(0)
    loader = DataLoader(dataset, batch_size=16, shuffle=True, num_workers=4,
                        worker_init_fn=seed_worker, generator=g)
    ```

    ## Fix safety
    No automatic fix: the worker seeding function belongs to the project.

    ## Evidence
    - PyTorch docs, `notes/randomness.rst`, "DataLoader".
    """

    code = "RPL304"
    name = "dataloader-unseeded-workers"
    summary = "shuffling DataLoader with workers but no generator/worker_init_fn"
    triggers = ("DataLoader",)
    # Workers draw from unseeded streams: runs with different process seeds show it.
    verification = Verification(observe=None, training=True)

    def check(self, model):
        if any(_seeds_workers(c) for c in model.calls_to(*catalog.SEED_EVERYTHING)):
            return
        for call in model.calls:
            loader = model.project_dataloaders.get(id(call))
            if loader is not None:
                finding = self._through_project_function(model, call, loader)
                if finding is not None:
                    yield finding
        for call in model.calls_to(*catalog.DATALOADER_CLASSES):
            if call.star_args:
                continue
            forwarded = _forwarding_callers(model, call)
            if forwarded:
                # ``def make_loader(ds, **kwargs): return DataLoader(ds, shuffle=True, **kwargs)``:
                # what the ``**kwargs`` carry comes from the calls of ``make_loader``.
                yield from self._through_kwargs(model, call, forwarded)
                continue
            if call.passes("generator") is not False or call.passes("worker_init_fn") is not False:
                continue
            source = _shuffle_source(call)
            if source is None:
                continue
            workers = call.passed_value("num_workers")
            if not call.passes("num_workers") or isinstance(workers, Const) and workers.value == 0:
                continue
            yield self.report(
                model, call.node,
                "shuffling DataLoader with worker processes but neither `generator=` nor "
                f"`worker_init_fn=`: {_consequence(source)}",
            )

    def _through_project_function(self, model, caller, loader: dict):
        """``build_loader(ds, **loader_kwargs)`` of another module's function whose ``**kwargs``
        reach a DataLoader that passes neither ``generator=`` nor ``worker_init_fn=``."""
        if caller.star_args or any(not isinstance(v, DictValue) for v in caller.star_kwargs):
            return None
        if caller.passes("generator") or caller.passes("worker_init_fn"):
            return None
        source = "global" if loader["shuffle"] is True or loader["sampler"] else _shuffle_source(caller)
        workers = caller.passed_value("num_workers")
        if caller.passes("num_workers"):
            if isinstance(workers, Const) and workers.value == 0:
                return None
        elif loader["num_workers"] != "some":
            return None
        if source is None:
            return None
        callee = dotted_name(caller.node.func) or "the function"
        return self.report(
            model, caller.node,
            f"what this call passes reaches, through `**kwargs`, a shuffling DataLoader with worker processes "
            f"in `{callee}` ({loader['where']}) that passes neither `generator=` nor `worker_init_fn=`: "
            f"{_consequence(source)}; pass both, here or there",
        )

    def _through_kwargs(self, model, loader, callers):
        if loader.keyword("generator") is not None or loader.keyword("worker_init_fn") is not None:
            return
        for caller in callers:
            if caller.star_args or any(not isinstance(v, DictValue) for v in caller.star_kwargs):
                continue
            if caller.passes("generator") or caller.passes("worker_init_fn"):
                continue
            shuffled = _is_const_true(loader.passed_value("shuffle")) or _is_const_true(caller.passed_value("shuffle"))
            workers = caller.passed_value("num_workers")
            if not shuffled or not caller.passes("num_workers") or isinstance(workers, Const) and workers.value == 0:
                continue
            yield self.report(
                model, loader.node,
                "shuffling DataLoader with worker processes (`num_workers` passed through `**` from line "
                f"{model.line(caller.node)}) but neither `generator=` nor `worker_init_fn=`: the order and "
                "every worker's seed come from torch's global generator",
            )
            return

    VALID = [
        Example(
            """
            from torch.utils.data import DataLoader

            def make_loader(dataset, **kwargs):
                return DataLoader(dataset, shuffle=True, batch_size=8, **kwargs)

            train_loader = make_loader(train_dataset, num_workers=0)
            """
        ),
        Example(
            """
            from torch.utils.data import DataLoader

            loader = DataLoader(dataset, shuffle=True, num_workers=4, worker_init_fn=seed_worker, generator=g)
            """
        ),
        Example(
            """
            from torch.utils.data import DataLoader

            loader = DataLoader(dataset, shuffle=True, batch_size=8)
            """,
            note="no worker processes",
        ),
        Example(
            """
            from torch.utils.data import DataLoader
            from torch.utils.data.distributed import DistributedSampler

            sampler = DistributedSampler(val_dataset, shuffle=False)
            loader = DataLoader(val_dataset, batch_size=32, shuffle=False, sampler=sampler, num_workers=8)
            """,
            note="a validation sampler that does not shuffle",
        ),
    ]
    INVALID = [
        Example(
            """
            from torch.utils.data import DataLoader, RandomSampler

            sampler = RandomSampler(train_dataset)
            loader = DataLoader(train_dataset, sampler=sampler, batch_size=32, num_workers=4)
            """,
            expect=[(4, 10)],
            note="a RandomSampler without `generator=` draws its order from the global generator",
        ),
        Example(
            """
            import torch

            if args.distributed:
                train_sampler = torch.utils.data.distributed.DistributedSampler(train_dataset)
                val_sampler = torch.utils.data.distributed.DistributedSampler(val_dataset, shuffle=False)
            else:
                train_sampler = None
                val_sampler = None

            train_loader = torch.utils.data.DataLoader(
                train_dataset, batch_size=256, shuffle=(train_sampler is None),
                num_workers=args.workers, pin_memory=True, sampler=train_sampler)
            val_loader = torch.utils.data.DataLoader(
                val_dataset, batch_size=256, shuffle=False,
                num_workers=args.workers, pin_memory=True, sampler=val_sampler)
            """,
            expect=[(10, 16)],
            note="without `--distributed` the training loader shuffles from the global generator; the "
                 "validation loader never draws from it (PyTorch's ImageNet example)",
        ),
        Example(
            """
            import torch

            train_dataloader = torch.utils.data.DataLoader(
                train_dataset, shuffle=True, batch_size=16, num_workers=args.dataloader_num_workers
            )
            """,
            expect=[(3, 20)],
        ),
        Example(
            """
            from torch.utils.data import DataLoader

            def make_loader(dataset, **kwargs):
                return DataLoader(dataset, shuffle=True, batch_size=8, **kwargs)

            train_loader = make_loader(train_dataset, num_workers=8, pin_memory=True)
            """,
            expect=[(4, 12)],
            note="`num_workers` reaches the DataLoader through `**kwargs`",
        ),
    ]


def _forwarding_callers(model, call) -> list:
    """The calls, in this module, of the function whose ``**kwargs`` parameter ``call`` passes on
    as its only ``**`` argument; empty when it passes none."""
    stars = [arg.value for arg in call.node.args if arg.star == "**"]
    if len(stars) != 1 or not isinstance(stars[0], cst.Name):
        return []
    function = call.node
    parents = model.syntax.parents
    while function in parents and not isinstance(function, cst.FunctionDef):
        function = parents[function]
    if not isinstance(function, cst.FunctionDef):
        return []
    star_param = function.params.star_kwarg
    if star_param is None or star_param.name.value != stars[0].value:
        return []
    name = function.name.value
    return [c for c in model.calls
            if (dotted_name(c.node.func) or "").rpartition(".")[2] == name and c.node is not call.node]


def _shuffle_source(call) -> Optional[str]:
    """Where the loader's shuffling comes from: "global" (``shuffle=True``, or a sampler not known
    to order itself, such as a ``RandomSampler`` without ``generator=``), "sampler" (a sampler
    that shuffles with its own seed, a ``DistributedSampler``: only the workers' seeds then come
    from the global generator), or None (no shuffling). Where the sampler may be ``None``
    (``sampler=train_sampler``, ``None`` when not distributed), an unknown ``shuffle=``
    (``shuffle=(train_sampler is None)``) may be True."""
    shuffle = call.passed_value("shuffle")
    if _is_const_true(shuffle):
        return "global"
    if not call.passes("sampler"):
        return None
    source = None
    for sampler in possible_values(call.passed_value("sampler")):
        if isinstance(sampler, Const) and sampler.value is None:
            if call.passes("shuffle") and not isinstance(shuffle, Const):
                return "global"
        elif isinstance(sampler, DataSampler):
            if sampler.shuffles and not sampler.orders_itself:
                return "global"
            if sampler.shuffles:
                source = "sampler"
        else:
            return "global"
    return source


def _consequence(source: Optional[str]) -> str:
    if source == "sampler":
        return ("the sampler shuffles with its own seed, but every worker's seed (and so its random "
                "augmentations) comes from torch's global generator")
    return "the order and every worker's seed come from torch's global generator"


def _is_const_true(value) -> bool:
    return isinstance(value, Const) and value.value is True


def _seeds_workers(call) -> bool:
    workers = call.keyword("workers")
    return workers is not None and not (isinstance(workers.value, Const) and not workers.value.value)
