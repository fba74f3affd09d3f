"""Studio: a custom Stable Diffusion pipeline and the helpers the scripts share."""
from .pipeline_studio import StudioPipeline

__all__ = ["StudioPipeline"]
