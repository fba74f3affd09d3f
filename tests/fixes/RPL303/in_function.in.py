from torch.backends import cudnn


def setup(fast):
    if fast:
        cudnn.benchmark = (True)
