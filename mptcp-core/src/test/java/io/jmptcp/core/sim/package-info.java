/**
 * A deterministic discrete-event network for engine tests (after smoltcp's tests/netsim.rs).
 *
 * <p>{@link io.jmptcp.core.sim.NetSim} is the virtual clock and event queue. A
 * {@link io.jmptcp.core.sim.Link} is one direction of a path (rate, propagation delay, drop-tail
 * queue, seeded loss, duplication, reordering, jitter, up/down) delivering
 * {@link io.jmptcp.core.sim.Packet}s, which carry a path id and the sender's 4-tuple, to any
 * consumer. {@link io.jmptcp.core.sim.SimHost} drives one engine; {@link io.jmptcp.core.sim.TcpPair}
 * joins two with a pair of links and runs {@link io.jmptcp.core.sim.BulkApp} transfers with SHA-256
 * checks. For multipath tests, create one pair of links per path on the same {@code NetSim} and
 * route each host's packets by {@code Packet.path()} or {@code Packet.tuple()}.
 *
 * <p>Everything derives from seeds; the same seed gives the same {@code NetSim.traceHash()}.
 */
package io.jmptcp.core.sim;
