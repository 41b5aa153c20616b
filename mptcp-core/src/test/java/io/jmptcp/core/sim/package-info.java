/**
 * A deterministic discrete-event network for engine tests (after smoltcp's tests/netsim.rs).
 *
 * <p>{@link io.jmptcp.core.sim.NetSim} is the virtual clock and event queue. A
 * {@link io.jmptcp.core.sim.Link} is one direction of a path (rate, propagation delay, drop-tail
 * queue, seeded loss, duplication, reordering, jitter, up/down) delivering
 * {@link io.jmptcp.core.sim.Packet}s, which are IP packets as bytes on a path, to any consumer.
 * Both hosts run the real {@link io.jmptcp.core.engine.Engine}: {@link io.jmptcp.core.sim.SimStack}
 * with a connection factory (plain TCP or MPTCP, several addresses, listeners), and
 * {@link io.jmptcp.core.sim.SimHost} around one test-made TCP connection;
 * {@link io.jmptcp.core.sim.TcpPair} joins two SimHosts with a pair of links and runs
 * {@link io.jmptcp.core.sim.BulkApp} transfers with SHA-256 checks, and
 * {@link io.jmptcp.core.sim.MultiPathNet} joins two SimStacks by several paths.
 *
 * <p>Everything derives from seeds; the same seed gives the same {@code NetSim.traceHash()}.
 */
package io.jmptcp.core.sim;
