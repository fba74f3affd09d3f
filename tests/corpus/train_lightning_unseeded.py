"""Fine-tune a small autoencoder with PyTorch Lightning."""

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.use_deterministic_algorithms(True)  # expect: RPL302


class LitAutoEncoder(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 16), nn.ReLU())
        self.decoder = nn.Linear(16, 64)

    def training_step(self, batch, batch_idx):
        (x,) = batch
        loss = nn.functional.mse_loss(self.decoder(self.encoder(x)), x)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


if __name__ == "__main__":
    data = TensorDataset(torch.linspace(0, 1, 64 * 256).reshape(256, 64))
    loader = DataLoader(data, batch_size=32, shuffle=True)
    model = LitAutoEncoder()
    trainer = L.Trainer(max_epochs=5, accelerator="auto")  # expect: RPL203
    trainer.fit(model, loader)
