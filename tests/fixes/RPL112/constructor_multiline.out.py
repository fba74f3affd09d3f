import diffusers

scheduler = diffusers.DPMSolverSDEScheduler(
    num_train_timesteps=1000,
    beta_schedule="scaled_linear",  # as in SD 1.5
    noise_sampler_seed=0,
)
