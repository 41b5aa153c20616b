package io.jmptcp.core.pm;

import java.net.InetAddress;

/**
 * The path manager of one MPTCP connection (RFC 6182 section 4; Linux pm.c with pm_netlink.c or
 * a userspace manager): told about every event that concerns paths, it decides which subflows to
 * open, close and re-create, what to announce and which paths are backup, and acts through the
 * {@link PmConnection}. One instance per connection, so another policy can replace this one.
 *
 * <p>Every call happens on the connection's event loop with the current time; nothing here reads
 * a clock.
 */
public interface PathManager {
    /** The connection became fully established (MP_CAPABLE complete, section 3.1). */
    void onEstablished(long now, PmConnection c);

    /** A subflow became fully established (for a join: the fourth ACK, section 3.2). */
    void onSubflowEstablished(long now, PmConnection c, PmSubflow s);

    /** A subflow is gone. */
    void onSubflowClosed(long now, PmConnection c, PmSubflow s, CloseReason why);

    /** The peer announced an address (ADD_ADDR with a valid HMAC, already echoed). */
    void onAddAddr(long now, PmConnection c, int remoteId, InetAddress address, int port);

    /** The peer withdrew an address id (REMOVE_ADDR). */
    void onRemoveAddr(long now, PmConnection c, int remoteId);

    /** An endpoint was added to the stack, or its flags changed ({@code before} null when new). */
    void onEndpointChanged(long now, PmConnection c, Endpoint before, Endpoint after);

    /** An endpoint was removed from the stack. */
    void onEndpointRemoved(long now, PmConnection c, Endpoint e);

    /** The time {@link #onTimer} wants to run next, or Long.MAX_VALUE. */
    long nextTimer();

    /** Timers due by {@code now}. */
    void onTimer(long now, PmConnection c);
}
