from diffusers import DPMSolverSDEScheduler as SDE

sched = SDE.from_config(config)  # noise from the global RNG
