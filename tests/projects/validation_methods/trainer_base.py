"""A training toolkit's base trainer: each model's trainer overrides `sample_images`, which runs
its pipeline with the generator it is given."""
import torch


class BaseTrainer:
    def sample_images(self, pipeline, generator):
        raise NotImplementedError

    def log_validation(self, pipeline, prompt, generator):
        return pipeline(prompt, generator=generator).images

    def train(self, pipeline, steps):
        for step in range(steps):
            if step % 100 == 0:
                # The override runs a pipeline with it: the process-global generator.
                self.sample_images(pipeline, torch.manual_seed(0))  # expect: RPL104
                self.sample_images(pipeline, torch.Generator("cpu").manual_seed(0))
