/**
 * The jobs: the training job (pretrain, finetune) from its settings to its outputs, the scheduled retraining job, and
 * the job settings (defaults, job file, overrides, with every setting's type checked).
 */
package dev.permafrost.job;
