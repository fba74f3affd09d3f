# A plain PyTorch training script with no seeding at all.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

torch.backends.cudnn.benchmark = True  # expect: RPL303


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, 3)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(21632, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.dropout(self.conv(x)), 1))


def train(model, loader, optimizer):
    model.train()
    for data, target in loader:
        data, target = data.cuda(), target.cuda()
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(data), target)
        loss.backward()  # expect: RPL202
        optimizer.step()


def main():
    dataset = datasets.MNIST("data", train=True, download=True, transform=transforms.ToTensor())
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2, pin_memory=True)  # expect: RPL304
    model = Net().cuda()  # expect: RPL308
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    for epoch in range(1, 15):
        train(model, loader, optimizer)


if __name__ == "__main__":
    main()
