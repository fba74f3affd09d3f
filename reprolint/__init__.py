"""reprolint: find the code that makes PyTorch and diffusers results irreproducible.

Importing this package never imports torch or diffusers; only ``reprolint.verify`` does.
"""

__version__ = "0.1.0"
