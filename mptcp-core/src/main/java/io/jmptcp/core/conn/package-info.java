/**
 * The connection contract between the sans-I/O engine and the protocols: a
 * {@link io.jmptcp.core.conn.Connection} (plain TCP, or MPTCP with its subflows) is driven with
 * segments and time, made by a {@link io.jmptcp.core.conn.ConnectionFactory}, and reaches the rest of
 * the stack only through {@link io.jmptcp.core.conn.StackContext} (addresses, ports, demultiplexing,
 * ISNs, randomness, counters). It sits above {@code tcp} and below {@code mptcp}, so that MPTCP can
 * implement it without depending on the engine or the runtime.
 */
package io.jmptcp.core.conn;
