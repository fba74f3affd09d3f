"""Compare the outputs one flagged call produced in two runs.

Numbers: the largest absolute difference of any element (``max|Δ|``, in the output's own units:
images are on the 0-1 scale, PIL images included, and are also given on the 0-255 scale), the
mean absolute difference over all elements (``mean|Δ|``), the fraction of elements that differ
(of pixels, for images: a pixel differs when any of its channels does) and, for images, the
peak signal-to-noise ratio in dB (``PSNR``, peak 1.0; none when identical, as it is infinite).
"Identical" means bit-for-bit equal.

Next to those, the two measures diffusers' own tests use to call two images "the same": the
cosine distance of the 3×3 corner slice (``image[0, -3:, -3:, -1]``, as its tests take it; the
largest over the outputs compared; ``numpy_cosine_similarity_distance``, thresholds 1e-4 to 1e-3
in its tests) and, for images, the mean pixel difference on the 0-255 scale
(``assert_mean_pixel_difference``, threshold 10). A difference within both (the strict 1e-4 for
the slice) is "bitwise only": diffusers' tests would pass it; beyond either, it is drift beyond
diffusers' own test tolerance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np


# diffusers' thresholds (tests/pipelines: numpy_cosine_similarity_distance of the corner slice,
# the strictest of 1e-4..1e-3; assert_mean_pixel_difference's default, 0-255 scale).
SLICE_COSINE_TOLERANCE = 1e-4
MEAN_PIXEL_TOLERANCE = 10.0
# An output of fewer values than the 3×3 slice (a step's loss, a short vector) has no slice whose
# direction could tell two runs apart: the cosine of two positive numbers is 1 however far apart
# they are. There diffusers' tests compare the values themselves, to 1e-4 at the strictest
# (``expected_max_diff`` of its batch and save/load tests).
SLICE_VALUES = 9
MAX_DIFF_TOLERANCE = 1e-4


@dataclass
class Difference:
    max_abs: float
    fraction: float
    image: bool
    occurrences: int  # how many outputs of the call were compared (a call in a loop has several)
    note: Optional[str] = None
    mean_abs: float = 0.0
    psnr: Optional[float] = None  # images only; None when identical (infinite) or not an image
    slice_cosine_distance: float = 0.0  # the largest over the outputs compared
    slice_values: int = SLICE_VALUES  # the fewest values a compared slice had

    @property
    def identical(self) -> bool:
        return self.note is None and self.max_abs == 0.0

    @property
    def mean_pixel_difference(self) -> Optional[float]:
        """The mean absolute difference on the 0-255 scale, for images."""
        return self.mean_abs * 255.0 if self.image else None

    @property
    def scale(self) -> Optional[str]:
        """"bitwise-only" (within diffusers' test tolerance), "beyond-tolerance", or None when
        identical or not comparable."""
        if self.note is not None or self.identical:
            return None
        within = self.slice_cosine_distance <= SLICE_COSINE_TOLERANCE and (
            self.mean_pixel_difference is None or self.mean_pixel_difference < MEAN_PIXEL_TOLERANCE)
        if self.slice_values < SLICE_VALUES:
            within = within and self.max_abs <= MAX_DIFF_TOLERANCE
        return "bitwise-only" if within and np.isfinite(self.max_abs) else "beyond-tolerance"

    @property
    def max_abs_255(self) -> Optional[float]:
        return self.max_abs * 255.0 if self.image else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["identical"] = self.identical
        data["max_abs_255"] = self.max_abs_255
        data["mean_pixel_difference"] = self.mean_pixel_difference
        data["scale"] = self.scale
        return data

    def describe(self, diffusers_scale: bool = True) -> str:
        """``max|Δ|=0.83 (212/255; 97% of pixels differ)``, then where that stands on diffusers'
        scale unless ``diffusers_scale`` is off: losses and weights have no such tolerance."""
        if self.note:
            return self.note
        if self.identical:
            return "identical"
        units = "pixels" if self.image else "values"
        scale = ""
        if self.image:
            on_255 = self.max_abs_255
            scale = f"{on_255:.0f}/255; " if on_255 >= 1 else f"{on_255:.2g}/255; "
        exact = f"max|Δ|={format_number(self.max_abs)} ({scale}{_percent(self.fraction)} of {units} differ)"
        return f"{exact}; {self.describe_scale()}" if diffusers_scale else exact

    def describe_scale(self) -> str:
        """Where the difference stands on diffusers' scale, in words."""
        measures = f"slice cosine distance {format_number(self.slice_cosine_distance)}"
        if self.slice_values < SLICE_VALUES:
            # No 3×3 slice: the values themselves against diffusers' max-difference tolerance.
            measures = f"{self.slice_values}-value outputs: max|Δ| against {format_number(MAX_DIFF_TOLERANCE)}"
        if self.mean_pixel_difference is not None:
            measures += f", mean pixel difference {format_number(self.mean_pixel_difference)}/255"
        if self.scale == "bitwise-only":
            return f"bitwise only, within diffusers' test tolerance ({measures})"
        return f"beyond diffusers' test tolerance ({measures})"


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


def corner_slice(array: np.ndarray, is_image: bool) -> np.ndarray:
    """The 3×3 corner slice diffusers' tests compare: ``image[0, -3:, -3:, -1]`` for images with
    channels last, ``[0, -1, -3:, -3:]`` for channels first, the last 3×3 of other arrays."""
    if array.ndim >= 3:
        first = array.reshape(-1, *array.shape[-3:])[0]
        channels_last = is_image and first.shape[-1] in (1, 3, 4)
        return first[-3:, -3:, -1] if channels_last else first[-1, -3:, -3:]
    if array.ndim == 2:
        return array[-3:, -3:]
    return array.reshape(-1)[-9:]


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """diffusers' ``numpy_cosine_similarity_distance`` of two flattened slices; 0 for equal
    slices (zero ones included), 1 where only one is all zeros."""
    a, b = a.reshape(-1), b.reshape(-1)
    if np.array_equal(a, b):
        return 0.0
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0 or not np.isfinite(norms):
        return 1.0
    return float(1.0 - np.dot(a, b) / norms)


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
    slice_distance, slice_values = 0.0, SLICE_VALUES
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
            corner = corner_slice(a, is_image)
            slice_distance = max(slice_distance, cosine_distance(corner, corner_slice(b, is_image)))
            slice_values = min(slice_values, corner.size)
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
                      psnr=psnr, slice_cosine_distance=slice_distance, slice_values=slice_values)
