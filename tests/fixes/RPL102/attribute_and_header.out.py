import torch
from diffusers import DiffusionPipeline


class Service:
    def __init__(self):
        self.pipe = DiffusionPipeline.from_pretrained("some/model")
        self.generator = torch.Generator()
        self.generator.manual_seed(7)

    def twice(self):
        self.pipe("warm-up", generator=self.generator)
        if self.pipe("real", generator=self.generator.manual_seed(7)).nsfw_content_detected:
            return None
        self.generator.manual_seed(7)
        return self.pipe("again", generator=self.generator, num_inference_steps=10)
