/**
 * Permafrost: distributed fine-tuning on Apache Spark where frozen weights provably never move.
 * <p>
 * The packages, bottom up. A package imports only packages listed above it; {@code PackageOrderTest} reads this list
 * and fails the build when an import points up.
 * <ol>
 *   <li>{@code data} — rows in memory, the Fashion-MNIST IDX reader, the checks every input row passes.</li>
 *   <li>{@code io} — bytes in and out: files on any Hadoop FileSystem with atomic writes, the little-endian codec, JSON.</li>
 *   <li>{@code model} — the named parameters of a DL4J network, and job-file model specs.</li>
 *   <li>{@code freeze} — freeze plans and schedules: names resolved to labels, errors with suggestions.</li>
 *   <li>{@code shard} — the shard layout over the flat vector, each shard's update rule, fingerprints.</li>
 *   <li>{@code optim} — optimizer kernels over float ranges with torch.optim's arithmetic, per-shard state.</li>
 *   <li>{@code ps} — the parameter-server core; {@code ps.rpc}, the same as a gRPC service with its client.</li>
 *   <li>{@code network} — the DL4J adapter: build, gradient, frozen layers in inference mode, evaluation.</li>
 *   <li>{@code train} — the training state, both trainers, freeze phases, the worker loop, resume checks.</li>
 *   <li>{@code checkpoint} — the training state on disk: atomic checkpoint folders, checksums, retention.</li>
 *   <li>{@code registry} — published model versions on any Hadoop FileSystem: exclusive publishes, the current pointer, decisions.</li>
 *   <li>{@code spark} — broadcast, barrier epochs, DataFrame input, the local standalone cluster.</li>
 *   <li>{@code report} — what a run writes for people: metrics, audit, chart, page, per-epoch history, progress lines.</li>
 *   <li>{@code job} — the train and retrain jobs and their settings.</li>
 *   <li>{@code benchmark} — the training paths measured side by side, and their report.</li>
 *   <li>{@code cli} — the commands, their options, and {@code Main}.</li>
 * </ol>
 */
package dev.permafrost;
