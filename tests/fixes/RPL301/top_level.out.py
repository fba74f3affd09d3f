import torch as T
from torch import nn
import os

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
T.use_deterministic_algorithms(True)
T.backends.cudnn.deterministic = True
T.backends.cudnn.benchmark = False

T.manual_seed(1234)
net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1)).cuda()
opt = T.optim.Adam(net.parameters())
for step in range(10):
    loss = net(T.randn(8, 4, device="cuda")).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
