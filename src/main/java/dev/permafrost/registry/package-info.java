/**
 * Published model versions on any Hadoop FileSystem: {@code NAME/vN/} folders moved into place exclusively, a
 * {@code CURRENT} pointer replaced atomically, one decision record per data partition, and the pure rule that decides
 * whether a retrained model is published.
 */
package dev.permafrost.registry;
