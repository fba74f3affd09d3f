from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("some/model")
image = pipe("a cat", seed=42).images[0]
images = pipe(
    "a dog",
    num_images_per_prompt=2,
    seed=seed,  # dropped by **kwargs
).images
