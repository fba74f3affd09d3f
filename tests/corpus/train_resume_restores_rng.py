# The same resume done right: the random states travel with the checkpoint.
import random

import numpy as np
import torch


def save_checkpoint(path, model, optimizer, step):
    torch.save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": step,
        "rng": {"torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all(),
                "numpy": np.random.get_state(), "python": random.getstate()},
    }, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path, weights_only=False)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    torch.cuda.set_rng_state_all(checkpoint["rng"]["cuda"])
    np.random.set_state(checkpoint["rng"]["numpy"])
    random.setstate(checkpoint["rng"]["python"])
    return checkpoint["step"]


def train(model, optimizer, loader, resume=None):
    step = load_checkpoint(resume, model, optimizer) if resume else 0
    for batch in loader:
        loss = model(batch).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step += 1
        if step % 1000 == 0:
            save_checkpoint(f"ckpt-{step}.pt", model, optimizer, step)
