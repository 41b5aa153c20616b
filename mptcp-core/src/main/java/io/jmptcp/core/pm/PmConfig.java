package io.jmptcp.core.pm;

/**
 * Limits and timers of the path manager (the subflow limit is the connection's
 * {@code maxSubflows}). The limits and the ADD_ADDR timer are Linux's
 * ({@code ip mptcp limits}, {@code net.mptcp.add_addr_timeout}, {@code close_timeout}) with the
 * kernel's defaults; re-establishment is jmptcp's own (the kernel never re-creates a subflow).
 */
public final class PmConfig {
    /** Peer announcements this side acts on (Linux {@code add_addr_accepted}, default 0). */
    public int addAddrAccepted = 0;
    /** Interval between repetitions of an ADD_ADDR not yet echoed (Linux add_addr_timeout, 120 s). */
    public long addAddrTimeoutMicros = 120_000_000L;
    /** Repetitions of an ADD_ADDR not echoed (Linux ADD_ADDR_RETRANS_MAX). */
    public int addAddrRetransmits = 3;
    /** Remote addresses remembered per connection (Linux MPTCP_PM_MAX_ADDR_ID bounds the ids). */
    public int maxRemoteAddresses = 8;
    /**
     * How long a connection without a single subflow survives, waiting for a path to work again
     * (break before make, RFC 6182 section 2.2.1; Linux close_timeout, 60 s). 0: it fails at once.
     */
    public long closeTimeoutMicros = 60_000_000L;
    /** Re-creating a subflow lost to a reset or a timeout: the first wait, doubled on each failure. */
    public long rejoinInitialMicros = 500_000L;
    /** ... up to this wait. */
    public long rejoinMaxMicros = 4_000_000L;
    /** Re-create lost subflows at all. */
    public boolean rejoin = true;

    public PmConfig copy() {
        PmConfig c = new PmConfig();
        c.addAddrAccepted = addAddrAccepted;
        c.addAddrTimeoutMicros = addAddrTimeoutMicros;
        c.addAddrRetransmits = addAddrRetransmits;
        c.maxRemoteAddresses = maxRemoteAddresses;
        c.closeTimeoutMicros = closeTimeoutMicros;
        c.rejoinInitialMicros = rejoinInitialMicros;
        c.rejoinMaxMicros = rejoinMaxMicros;
        c.rejoin = rejoin;
        return c;
    }

    public PmConfig addAddrAccepted(int v) { addAddrAccepted = v; return this; }
    public PmConfig addAddrTimeoutMicros(long v) { addAddrTimeoutMicros = v; return this; }
    public PmConfig addAddrRetransmits(int v) { addAddrRetransmits = v; return this; }
    public PmConfig closeTimeoutMicros(long v) { closeTimeoutMicros = v; return this; }
    public PmConfig rejoin(boolean v) { rejoin = v; return this; }
    public PmConfig rejoinMicros(long initial, long max) { rejoinInitialMicros = initial; rejoinMaxMicros = max; return this; }
}
