"""Compare the outputs one flagged call produced in two runs.

Numbers: the largest absolute difference of any element (``max|Δ|``, in the output's own units:
images are on the 0-1 scale, PIL images included, and are also given on the 0-255 scale), the
mean absolute difference over all elements (``mean|Δ|``), the fraction of elements that differ
(of pixels, for images: a pixel differs when any of its channels does) and, for images, the
peak signal-to-noise ratio in dB (``PSNR``, peak 1.0; none when identical, as it is infinite).
"Identical" means bit-for-bit equal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np


@dataclass
class Difference:
    max_abs: float
    fraction: float
    image: bool
    occurrences: int  # how many outputs of the call were compared (a call in a loop has several)
    note: Optional[str] = None
    mean_abs: float = 0.0
    psnr: Optional[float] = None  # images only; None when identical (infinite) or not an image

    @property
    def identical(self) -> bool:
        return self.note is None and self.max_abs == 0.0

    @property
    def max_abs_255(self) -> Optional[float]:
        return self.max_abs * 255.0 if self.image else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["identical"] = self.identical
        data["max_abs_255"] = self.max_abs_255
        return data

    def describe(self) -> str:
        """``max|Δ|=0.83 (212/255; 97% of pixels differ)``."""
        if self.note:
            return self.note
        if self.identical:
            return "identical"
        units = "pixels" if self.image else "values"
        scale = ""
        if self.image:
            on_255 = self.max_abs_255
            scale = f"{on_255:.0f}/255; " if on_255 >= 1 else f"{on_255:.2g}/255; "
        return f"max|Δ|={format_number(self.max_abs)} ({scale}{_percent(self.fraction)} of {units} differ)"


def format_number(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 0.01:
        return f"{value:.2f}"
    return f"{value:.1e}"


def _percent(fraction: float) -> str:
    if 0 < fraction < 0.01:
        return "<1%"
    if 0.99 < fraction < 1:
        return ">99%"
    return f"{fraction * 100:.0f}%"


def _element_difference(a: np.ndarray, b: np.ndarray):
    delta = np.abs(a - b)
    both_nan = np.isnan(a) & np.isnan(b)
    delta = np.where(both_nan, 0.0, delta)
    delta = np.where(np.isnan(delta), np.inf, delta)  # NaN on one side only
    return delta


def compare_outputs(first: list, second: list) -> Difference:
    """Compare two runs' captures of one call: lists (one per occurrence) of
    ``{name: (array, is_image)}``."""
    count = min(len(first), len(second))
    if count == 0:
        return Difference(0.0, 0.0, False, 0, note="the call produced no output to compare")
    notes = []
    if len(first) != len(second):
        notes.append(f"the call ran {len(first)} times in one run and {len(second)} in the other")
    max_abs, differing, total, image = 0.0, 0, 0, False
    abs_sum, squared_sum, elements = 0.0, 0.0, 0
    for left, right in zip(first[:count], second[:count]):
        for name in sorted(set(left) | set(right)):
            if name not in left or name not in right:
                notes.append(f"output `{name}` is missing from one run")
                continue
            a, is_image = left[name]
            b, _ = right[name]
            image = image or bool(is_image)
            if a.shape != b.shape:
                notes.append(f"output `{name}` has shape {a.shape} in one run and {b.shape} in the other")
                continue
            if a.size == 0:
                continue
            delta = _element_difference(a, b)
            max_abs = max(max_abs, float(delta.max()))
            abs_sum += float(delta.sum())
            squared_sum += float(np.square(delta).sum())
            elements += delta.size
            if is_image and delta.ndim >= 3:
                # Channels last (numpy/PIL) unless the first non-batch axis is small (tensors).
                channel_axis = -1 if delta.shape[-1] in (1, 3, 4) else -3
                per_pixel = delta.max(axis=channel_axis)
                differing += int(np.count_nonzero(per_pixel))
                total += per_pixel.size
            else:
                differing += int(np.count_nonzero(delta))
                total += delta.size
    fraction = differing / total if total else 0.0
    mean_abs = abs_sum / elements if elements else 0.0
    psnr = None
    if image and squared_sum > 0 and np.isfinite(squared_sum):
        psnr = float(10 * np.log10(1.0 / (squared_sum / elements)))
    return Difference(max_abs, fraction, image, count, note="; ".join(notes) or None, mean_abs=mean_abs,
                      psnr=psnr)
