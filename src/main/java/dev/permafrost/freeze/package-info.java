/**
 * Freeze plans and schedules: selectors over parameter names, resolved to a label per parameter; a selector that
 * matches nothing fails naming the closest names.
 */
package dev.permafrost.freeze;
