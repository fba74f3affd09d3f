from __future__ import annotations

from reprolint.rules.base import Example, Rule
from reprolint.rules.verification import Verification
from reprolint.semantic import catalog
from reprolint.semantic.values import Const


class DataloaderUnseededWorkers(Rule):
    """
    ## What it does
    Flags `DataLoader(...)` with `shuffle=True` or a `sampler=`, and `num_workers` given and not
    literally `0`, but neither `generator=` nor `worker_init_fn=`. Silent where the module calls
    Lightning's `seed_everything(..., workers=True)`, which seeds workers itself. Seeding the
    global generator first (`set_seed`) does not silence it: the order and the worker seeds then
    still shift whenever code before the loop draws one more number.

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
        for call in model.calls_to(*catalog.DATALOADER_CLASSES):
            if call.star_args:
                continue
            if call.passes("generator") is not False or call.passes("worker_init_fn") is not False:
                continue
            shuffled = _is_const_true(call.passed_value("shuffle"))
            if call.passes("sampler"):
                sampler = call.passed_value("sampler")
                shuffled = shuffled or not (isinstance(sampler, Const) and sampler.value is None)
            if not shuffled:
                continue
            workers = call.passed_value("num_workers")
            if not call.passes("num_workers") or isinstance(workers, Const) and workers.value == 0:
                continue
            yield self.report(
                model, call.node,
                "shuffling DataLoader with worker processes but neither `generator=` nor "
                "`worker_init_fn=`: the order and every worker's seed come from torch's global generator",
            )

    VALID = [
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
    ]
    INVALID = [
        Example(
            """
            import torch

            train_dataloader = torch.utils.data.DataLoader(
                train_dataset, shuffle=True, batch_size=16, num_workers=args.dataloader_num_workers
            )
            """,
            expect=[(3, 20)],
        ),
    ]


def _is_const_true(value) -> bool:
    return isinstance(value, Const) and value.value is True


def _seeds_workers(call) -> bool:
    workers = call.keyword("workers")
    return workers is not None and not (isinstance(workers.value, Const) and not workers.value.value)
