package io.jmptcp.core.tcp;

/** The connection states of RFC 9293 section 3.3.2. */
public enum TcpState {
    CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING,
    LAST_ACK, TIME_WAIT;

    /** States in which both sequence spaces are synchronised (RFC 9293 section 3.5.2). */
    public boolean synchronised() {
        return ordinal() >= ESTABLISHED.ordinal();
    }
}
