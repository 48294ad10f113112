/**
 * Examples as rows in memory, the Fashion-MNIST IDX reader, and the checks every input row passes (label, width,
 * finite values) whatever its source. Imports nothing of the project.
 */
package dev.permafrost.data;
