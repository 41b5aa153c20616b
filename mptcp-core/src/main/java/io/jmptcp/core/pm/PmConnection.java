package io.jmptcp.core.pm;

import java.net.InetAddress;
import java.util.List;

/**
 * One MPTCP connection as its path manager sees it, and the actions the path manager may take on
 * it (Linux's pm.c calls into protocol.c and subflow.c for these). The connection carries out
 * each action at once and checks the limits and its own state; an action it cannot take returns
 * false or null.
 */
public interface PmConnection {
    /** We sent the first SYN (the client). */
    boolean activeOpen();

    /** The peer's address and port of the initial subflow. */
    InetAddress remoteAddress();

    int remotePort();

    /** The local address of the initial subflow (address id 0 on this connection). */
    InetAddress initialLocalAddress();

    /** The stack's endpoints now. */
    List<Endpoint> endpoints();

    /** The subflows that are not closed. */
    List<? extends PmSubflow> subflows();

    /** The peer set C in its MP_CAPABLE: no subflow may go to its initial address and port. */
    boolean peerDeniesInitialJoins();

    /** Most subflows at once, the initial one included. */
    int subflowLimit();

    /** Whether new subflows may be opened now (MPTCP in use, fully established, not closing). */
    boolean canOpenSubflows();

    /**
     * Opens an MP_JOIN subflow from {@code local} (address id {@code localId}) to the peer's
     * {@code remote}:{@code port} (its id {@code remoteId}), with the B flag if {@code backup}.
     * Returns the new subflow, or null when the limit or the connection's state forbids it.
     */
    PmSubflow openSubflow(InetAddress local, int localId, InetAddress remote, int port, int remoteId, boolean backup);

    /** Closes a subflow (reset with MP_TCPRST, its data reinjected elsewhere). */
    void closeSubflow(PmSubflow s);

    /** Sends ADD_ADDR for a local endpoint, repeated until echoed. */
    void announce(Endpoint e);

    /** Sends REMOVE_ADDR for a local address id (stops a pending announcement of it too). */
    void withdraw(int localId);

    /** Changes our preference for a subflow: MP_PRIO with B = {@code backup} on it. */
    void setBackup(PmSubflow s, boolean backup);

    /** An announced address was not remembered: the connection already knew its most (counted). */
    default void remoteAddressDropped(InetAddress address) {
    }
}
