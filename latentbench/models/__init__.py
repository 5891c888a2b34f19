"""Reference models (PCA, VAEs), null baselines, training and the checkpoint cache."""
