/**
 * The subflow TCP engine, sans-I/O (RFC 9293 with RFC 6298, 7323, 2018, 2883, 8985, 6582, 6937,
 * 5961, 6528).
 *
 * <h2>Driving a connection (the runtime)</h2>
 * <pre>{@code
 * TcpConnection c = TcpConnection.connect(cfg, tuple, isnGenerator, mib, now);   // or listen(...)
 * // on every inbound segment for this 4-tuple:
 * c.input(now, segment);
 * // after input, after application calls, and whenever now >= c.pollAt():
 * c.poll(now, segment -> encodeAndSend(segment));
 * long wake = c.pollAt();   // <= now: poll again now; TcpConnection.NEVER: no timer pending
 * }</pre>
 * Segments carry a {@link io.jmptcp.core.wire.TcpHeader} record and a payload slice, never bytes
 * on the wire and never addresses; the runtime encodes them with the wire codec and demultiplexes
 * by {@link io.jmptcp.core.tcp.FourTuple}. A segment for no connection is answered with
 * {@link io.jmptcp.core.tcp.TcpConnection#resetFor}.
 *
 * <h2>Hooks for MPTCP</h2>
 * <ul>
 * <li>{@code sendChunk(byte[] chunk, Object tag)}: chunks that no segment straddles, kept without
 * a copy; the tag is handed back for every segment carrying part of the chunk (one DSS mapping per
 * chunk, repeated on each of its segments).</li>
 * <li>{@code setOptionWriter(writer, reservedBytes)}: adds options to each outgoing segment within
 * the remaining budget; {@code reservedBytes} shrink full segments as Linux's effective MSS.</li>
 * <li>{@code setInboundObserver(observer)}: every inbound segment with an
 * {@link io.jmptcp.core.tcp.InboundResult}.</li>
 * <li>{@code readChunk(max)}: in-order bytes with their relative subflow sequence number.</li>
 * <li>{@code setReceiveWindowProvider(provider)}: the connection-level window to advertise.</li>
 * <li>{@code sendableBytes()}: what the congestion and peer windows allow now.</li>
 * </ul>
 */
package io.jmptcp.core.tcp;
