import torch.backends.cudnn as cudnn

cudnn.deterministic = True
cudnn.benchmark = True  # faster convolutions
