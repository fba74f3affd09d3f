from diffusers import DiffusionPipeline, DPMSolverSDEScheduler

pipe = DiffusionPipeline.from_pretrained("some/model")
pipe.scheduler = DPMSolverSDEScheduler.from_config(pipe.scheduler.config, use_karras_sigmas=True, noise_sampler_seed=0)
