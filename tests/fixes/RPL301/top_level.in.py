import torch as T
from torch import nn

T.manual_seed(1234)
net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1)).cuda()
opt = T.optim.Adam(net.parameters())
for step in range(10):
    loss = net(T.randn(8, 4, device="cuda")).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
