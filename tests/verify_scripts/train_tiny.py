"""A tiny training loop: shuffled DataLoader with workers and no seeding (RPL304), cudnn.benchmark (RPL303)."""
import torch
from torch.utils.data import DataLoader, TensorDataset

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.backends.cudnn.benchmark = True
features = torch.linspace(-1, 1, 64).reshape(16, 4)
targets = features.sum(dim=1, keepdim=True)
loader = DataLoader(TensorDataset(features, targets), batch_size=4, shuffle=True, num_workers=1)
model = torch.nn.Linear(4, 1).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(1000):
    for x, y in loader:
        loss = torch.nn.functional.mse_loss(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
torch.save(model.state_dict(), "model.pt")
