"""The shared trainer: its state object carries the generator that validation draws from."""
import torch
from accelerate import Accelerator


class State:
    def __init__(self, seed):
        self.seed = seed
        self.generator = None


class Trainer:
    def __init__(self, args):
        self.args = args
        self.accelerator = Accelerator()
        self.state = State(args.seed)

    def fit(self):
        accelerator = self.accelerator
        generator = torch.Generator(device=accelerator.device)
        if self.args.seed is not None:
            generator = generator.manual_seed(self.args.seed)
        self.state.generator = generator
        for step, batch in enumerate(self.args.data):
            self.train_step(batch)
        self.validate()

    def validate(self):
        for eval_data in self.args.eval_data:
            self.validation_step(eval_data, self.args.pipe)

    def train_step(self, batch):
        raise NotImplementedError

    def validation_step(self, eval_data, pipe):
        raise NotImplementedError


class PortableTrainer(Trainer):
    def fit(self):
        self.state.generator = torch.Generator("cpu").manual_seed(self.args.seed)
        self.validate()
