"""A model's trainer in another module: its override hands the generator to the pipeline."""
import torch
from diffusers import StableDiffusionXLPipeline

from trainer_base import BaseTrainer


class SDXLTrainer(BaseTrainer):
    def sample_images(self, pipeline, generator):
        return pipeline("a photo of a dog", generator=generator).images

    def validate(self, pipeline: StableDiffusionXLPipeline):
        generator = torch.manual_seed(42)
        # Positionally, to a method inherited from the base class in another module.
        self.log_validation(pipeline, "a photo of a dog", generator)  # expect: RPL104
        seeded = torch.Generator("cpu").manual_seed(42)
        self.log_validation(pipeline, "a photo of a dog", seeded)
        # A method of this class, positionally and by keyword.
        self.save_samples(pipeline, torch.manual_seed(1))  # expect: RPL104
        self.save_samples(pipeline, generator=torch.Generator().manual_seed(1))

    def save_samples(self, pipeline, generator):
        for image in pipeline("a photo of a cat", generator=generator).images:
            image.save("sample.png")


def main():
    pipeline = StableDiffusionXLPipeline.from_pretrained("stabilityai/stable-diffusion-xl-base-1.0")
    trainer = SDXLTrainer()
    # A method called on an instance: the instance is not an argument.
    trainer.log_validation(pipeline, "a photo of a dog", torch.manual_seed(3))  # expect: RPL104
    trainer.log_validation(pipeline, torch.manual_seed(3), None)


if __name__ == "__main__":
    main()
