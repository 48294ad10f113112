/**
 * The DL4J adapter: a network as a named flat vector with a gradient per minibatch, rebuilt with fully frozen layers
 * in inference mode; loading, saving and evaluating DL4J models.
 */
package dev.permafrost.network;
