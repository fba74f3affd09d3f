# Lightning seeds the workers itself with seed_everything(..., workers=True).
import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader


class LitAutoEncoder(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 3))
        self.decoder = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 28 * 28))

    def training_step(self, batch, batch_idx):
        x, _ = batch
        x = x.view(x.size(0), -1)
        z = self.encoder(x)
        return nn.functional.mse_loss(self.decoder(z), x)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


if __name__ == "__main__":
    L.seed_everything(42, workers=True)
    train_loader = DataLoader(load_mnist(), batch_size=64, shuffle=True, num_workers=4)
    trainer = L.Trainer(max_epochs=1, deterministic=True, accelerator="gpu")
    trainer.fit(LitAutoEncoder(), train_loader)
