"""reprolint: find the code that makes PyTorch and diffusers results irreproducible.

Importing this package never imports torch or diffusers; only ``reprolint.verify`` does.
"""

__version__ = "0.1.0"
# The name on the package index (`pip install reprolint-torch`). `reprolint` there is an unrelated
# project; the command and the import package are still `reprolint`.
DISTRIBUTION = "reprolint-torch"
