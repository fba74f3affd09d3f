import torch


def render(pipe, styles_arg, seed):
    styles = set(styles_arg.split(","))
    images = {}
    for i, style in enumerate(styles):
        generator = torch.Generator().manual_seed(seed + i)
        images[style] = pipe(f"a cat, {style}", generator=generator).images[0]
    return images
