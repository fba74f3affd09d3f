"""A tiny regression model with dropout that checkpoints after every step and resumes from its
checkpoint when there is one: the model, the optimizer and the step come back, but no random
state does, so the dropout masks and the sampled batches after the resume differ from those of
the uninterrupted run (RPL204)."""
import os

import torch
from torch import nn

torch.manual_seed(0)
CHECKPOINT = "checkpoint.pt"
TOTAL_STEPS = 20

model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 1))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
features = torch.randn(256, 8)
targets = features.sum(dim=1, keepdim=True)

start = 0
if os.path.exists(CHECKPOINT):
    state = torch.load(CHECKPOINT)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    start = state["step"]

for step in range(start, TOTAL_STEPS):
    batch = torch.randint(0, len(features), (32,))
    loss = nn.functional.mse_loss(model(features[batch]), targets[batch])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step + 1}, CHECKPOINT)
print("final loss", float(loss))
