"""Verdict cache: ``<cache folder>/verify/<key>.json``.

The cache folder is ``$REPROLINT_CACHE_DIR`` or ``.reprolint_cache`` in the current folder; it
holds a ``.gitignore`` containing ``*`` so it is never committed. A verdict's key covers the
script's content, the finding, the verify options, and the torch, diffusers and CUDA versions,
all read without importing torch.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
from typing import Optional

import reprolint
from reprolint.cache import CacheError, claim_folder

CACHE_ENV = "REPROLINT_CACHE_DIR"
# Bump when verdicts change meaning (2: mean_abs, psnr, arguments; 3: needs-cuda, diffusers' scale,
# divergence, environment; 4: 64 x 64 stand-in images, the float-error fix of batch checks).
FORMAT = 4


def cache_folder(folder: Optional[str] = None) -> str:
    """The cache folder, claimed for reprolint; CacheError when it is a folder of the user's."""
    folder = folder or os.environ.get(CACHE_ENV) or os.path.join(os.getcwd(), ".reprolint_cache")
    claim_folder(folder)
    return folder


def _version(distribution: str) -> Optional[str]:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _torch_cuda_version() -> Optional[str]:
    """``torch.version.cuda``, read from torch/version.py without importing torch."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    try:
        with open(os.path.join(os.path.dirname(spec.origin), "version.py"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    match = re.search(r"^cuda\s*(?::[^=\n]*)?=\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def environment_fingerprint() -> dict:
    return {
        "reprolint": reprolint.__version__,
        "torch": _version("torch"),
        "diffusers": _version("diffusers"),
        "transformers": _version("transformers"),
        "cuda": _torch_cuda_version(),
        "gpu_present": os.path.exists("/dev/nvidiactl"),
    }


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def verdict_key(content_hash: str, finding, options: dict, fingerprint: dict) -> str:
    material = json.dumps({
        "format": FORMAT,
        "source": content_hash,
        "finding": [finding.code, finding.start.line, finding.start.column, finding.message],
        "options": options,
        "environment": fingerprint,
    }, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


class VerdictCache:
    def __init__(self, enabled: bool = True, folder: Optional[str] = None) -> None:
        self.enabled = enabled
        self.refused: Optional[str] = None  # why the folder was not used, for one warning
        self.folder = None
        if enabled:
            try:
                self.folder = os.path.join(cache_folder(folder), "verify")
            except (CacheError, OSError) as exc:
                self.enabled, self.refused = False, str(exc)

    def get(self, key: str) -> Optional[dict]:
        if not self.enabled:
            return None
        try:
            with open(os.path.join(self.folder, key + ".json"), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def put(self, key: str, verdict: dict) -> None:
        if not self.enabled:
            return
        try:
            os.makedirs(self.folder, exist_ok=True)
            temporary = os.path.join(self.folder, f".{key}.{os.getpid()}.tmp")
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(verdict, handle)
            os.replace(temporary, os.path.join(self.folder, key + ".json"))
        except OSError:
            pass  # a cache that cannot be written only costs time
