/**
 * The training state on disk: checkpoint folders committed atomically on any Hadoop FileSystem, with SHA-256
 * checksums and fingerprints in a manifest, retention, and reading back the newest intact one.
 */
package dev.permafrost.checkpoint;
