"""What two or more systems share: registry, report, runtime helpers, checkpoints, training loop."""
