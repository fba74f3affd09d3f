from diffusers import DPMSolverSDEScheduler as SDE

sched = SDE.from_config(config, noise_sampler_seed=0)  # noise from the global RNG
