"""The project's training loop, shared by every training script."""


def run_training(accelerator, model, loader, optimizer, epochs=1):
    for _ in range(epochs):
        for batch in loader:
            loss = model(batch).mean()
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()
