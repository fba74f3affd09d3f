# A transformer fine-tuned with determinism asked for, on flash-attention kernels.
import os

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import torch
from flash_attn import flash_attn_func, flash_attn_varlen_func
from torch import nn

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.backends.cudnn.benchmark = False


class SelfAttention(nn.Module):
    def __init__(self, dim, heads, deterministic: bool = True):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.heads = heads
        self.deterministic = deterministic

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, -1).unbind(dim=2)
        return flash_attn_func(q, k, v, causal=True).reshape(b, n, -1)  # expect: RPL305

    def forward_packed(self, q, k, v, cu_seqlens, max_seqlen):
        return flash_attn_varlen_func(q, k, v, cu_seqlens, cu_seqlens, max_seqlen, max_seqlen,
                                      deterministic=self.deterministic)

    def forward_checked(self, q, k, v):
        return flash_attn_func(q, k, v, causal=True, deterministic=True)


def train(model, loader, optimizer):
    for batch in loader:
        loss = model(batch.cuda()).float().pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
