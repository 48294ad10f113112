/**
 * The named parameters of a DL4J network ({@code <layer>.<key>}, in flat-view order, with their kind) and the
 * feed-forward networks a job file describes.
 */
package dev.permafrost.model;
