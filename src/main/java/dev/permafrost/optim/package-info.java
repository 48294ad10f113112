/**
 * Optimizer kernels (Adam, AdamW, SGD) over plain float ranges with torch.optim's exact arithmetic, their per-shard
 * state, and the replay of PyTorch reference trajectories.
 */
package dev.permafrost.optim;
