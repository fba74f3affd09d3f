"""A model's trainer: validation images from the generator the shared trainer keeps."""
from finetune.trainer import PortableTrainer, Trainer


class I2VTrainer(Trainer):
    def validation_step(self, eval_data, pipe):
        video = pipe(
            prompt=eval_data["prompt"],
            image=eval_data["image"],
            generator=self.state.generator,  # expect: RPL106
        ).frames[0]
        return [("video", video)]


class PortableI2VTrainer(PortableTrainer):
    def validation_step(self, eval_data, pipe):
        video = pipe(prompt=eval_data["prompt"], generator=self.state.generator).frames[0]
        return [("video", video)]
