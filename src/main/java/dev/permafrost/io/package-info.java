/**
 * Bytes in and out, for every package above: files on any Hadoop FileSystem (written to a hidden temporary name and
 * renamed into place), the one little-endian codec of the binary formats, and the JSON the project writes.
 */
package dev.permafrost.io;
