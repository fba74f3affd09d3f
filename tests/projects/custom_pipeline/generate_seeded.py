"""Every call gets its own seeded generator: nothing to report."""
import torch

from studio.pipeline_studio import load_pipeline, render


def main():
    pipe = load_pipeline("stable-diffusion-v1-5/stable-diffusion-v1-5")
    for index, prompt in enumerate(["a red bicycle", "a blue kettle"]):
        image = pipe(prompt, generator=torch.Generator("cpu").manual_seed(index)).images[0]
        image.save(f"{index}.png")
    render(pipe, "a green lamp", torch.Generator("cpu").manual_seed(10))
    render(pipe, "a green lamp", torch.Generator("cpu").manual_seed(10))


if __name__ == "__main__":
    main()
