/**
 * Training: the training state as one value, the single-process and distributed trainers, freeze phases, the worker
 * loop both run, epoch plans, resume checks. Knows no scheduler: an {@code EpochRunner} runs the workers.
 */
package dev.permafrost.train;
