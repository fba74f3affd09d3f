"""Lightning seeds the workers itself (seed_everything(..., workers=True)): nothing to report."""
from lightning.pytorch import seed_everything

from data import build_shuffled_loader


def loaders(train_set, workers):
    seed_everything(0, workers=True)
    return build_shuffled_loader(train_set, num_workers=workers)
