package io.jmptcp.core.tcp;

import io.jmptcp.core.cc.CongestionControlFactory;
import io.jmptcp.core.cc.Cubic;

/**
 * Tunables of one connection. Times are microseconds. Defaults follow Linux where the RFCs leave a
 * range (noted per field). Mutable with fluent setters; the engine copies what it needs at creation.
 */
public final class TcpConfig {
    /** MSS we announce: path MTU minus IP and TCP headers (1500 - 20 - 20 for IPv4). */
    public int mss = 1460;
    /** Receive buffer: the advertised window is sized from it (RFC 9293 3.8.6). */
    public int receiveBuffer = 4 << 20;
    /** Send buffer: unacknowledged plus unsent bytes. */
    public int sendBuffer = 4 << 20;
    /** RFC 7323 window scaling. */
    public boolean windowScaling = true;
    /** RFC 7323 timestamps (and PAWS). */
    public boolean timestamps = true;
    /** RFC 2018 SACK. */
    public boolean sack = true;
    /** Nagle's algorithm (RFC 9293 3.7.4); off by default, as TCP_NODELAY. */
    public boolean nagle = false;
    /** Delayed ACK timeout (RFC 9293 3.8.6.3 allows up to 500 ms; Linux uses 40 ms minimum). */
    public long delayedAckMicros = 40_000;
    /** Acknowledge at least every this many full segments (RFC 5681 section 4.2: 2). */
    public int ackEvery = 2;
    /** Initial RTO (RFC 6298 2.1: 1 s). */
    public long initialRtoMicros = 1_000_000;
    /**
     * Lower bound of the RTO's variance term: RTO = SRTT + max(4 RTTVAR, this), as Linux (200 ms).
     * RFC 6298 2.4 asks for an RTO of at least 1 s; we follow the kernel.
     */
    public long minRtoMicros = 200_000;
    /** Upper bound of the RTO (RFC 6298 2.5: at least 60 s; Linux 120 s). */
    public long maxRtoMicros = 120_000_000;
    /** SYN retransmissions before giving up (Linux tcp_syn_retries: 6). */
    public int synRetries = 6;
    /** Data retransmission timeouts before giving up (Linux tcp_retries2: 15). */
    public int maxRetries = 15;
    /** Keepalive (RFC 9293 3.8.4): off by default. */
    public boolean keepalive = false;
    public long keepaliveIdleMicros = 7_200_000_000L;
    public long keepaliveIntervalMicros = 75_000_000L;
    public int keepaliveProbes = 9;
    /** TIME-WAIT duration, 2*MSL (Linux: 60 s). */
    public long timeWaitMicros = 60_000_000L;
    /**
     * How long an orphaned connection (see {@link TcpConnection#orphan}) waits in FIN-WAIT-2 for
     * the peer's FIN before it is forgotten (Linux net.ipv4.tcp_fin_timeout: 60 s).
     */
    public long finTimeoutMicros = 60_000_000L;
    /** Challenge ACKs per second per connection (RFC 5961 section 7; Linux default 1000 per host). */
    public int challengeAckLimit = 100;
    /** Minimum gap between ACKs answering unacceptable segments without data (Linux tcp_invalid_ratelimit). */
    public long invalidAckIntervalMicros = 500_000;
    /** Initial congestion window in segments (RFC 6928: 10). */
    public int initialCwndSegments = 10;
    /** Enable tail loss probes (RFC 8985 section 7). */
    public boolean tailLossProbe = true;
    /** Congestion control for this connection. */
    public CongestionControlFactory congestionControl = Cubic.FACTORY;

    public TcpConfig copy() {
        TcpConfig c = new TcpConfig();
        c.mss = mss;
        c.receiveBuffer = receiveBuffer;
        c.sendBuffer = sendBuffer;
        c.windowScaling = windowScaling;
        c.timestamps = timestamps;
        c.sack = sack;
        c.nagle = nagle;
        c.delayedAckMicros = delayedAckMicros;
        c.ackEvery = ackEvery;
        c.initialRtoMicros = initialRtoMicros;
        c.minRtoMicros = minRtoMicros;
        c.maxRtoMicros = maxRtoMicros;
        c.synRetries = synRetries;
        c.maxRetries = maxRetries;
        c.keepalive = keepalive;
        c.keepaliveIdleMicros = keepaliveIdleMicros;
        c.keepaliveIntervalMicros = keepaliveIntervalMicros;
        c.keepaliveProbes = keepaliveProbes;
        c.timeWaitMicros = timeWaitMicros;
        c.finTimeoutMicros = finTimeoutMicros;
        c.challengeAckLimit = challengeAckLimit;
        c.initialCwndSegments = initialCwndSegments;
        c.invalidAckIntervalMicros = invalidAckIntervalMicros;
        c.tailLossProbe = tailLossProbe;
        c.congestionControl = congestionControl;
        return c;
    }

    public TcpConfig mss(int v) { mss = v; return this; }
    public TcpConfig receiveBuffer(int v) { receiveBuffer = v; return this; }
    public TcpConfig sendBuffer(int v) { sendBuffer = v; return this; }
    public TcpConfig windowScaling(boolean v) { windowScaling = v; return this; }
    public TcpConfig timestamps(boolean v) { timestamps = v; return this; }
    public TcpConfig sack(boolean v) { sack = v; return this; }
    public TcpConfig nagle(boolean v) { nagle = v; return this; }
    public TcpConfig delayedAckMicros(long v) { delayedAckMicros = v; return this; }
    public TcpConfig minRtoMicros(long v) { minRtoMicros = v; return this; }
    public TcpConfig synRetries(int v) { synRetries = v; return this; }
    public TcpConfig maxRetries(int v) { maxRetries = v; return this; }
    public TcpConfig keepalive(long idleMicros, long intervalMicros, int probes) {
        keepalive = true;
        keepaliveIdleMicros = idleMicros;
        keepaliveIntervalMicros = intervalMicros;
        keepaliveProbes = probes;
        return this;
    }
    public TcpConfig timeWaitMicros(long v) { timeWaitMicros = v; return this; }
    public TcpConfig finTimeoutMicros(long v) { finTimeoutMicros = v; return this; }
    public TcpConfig challengeAckLimit(int v) { challengeAckLimit = v; return this; }
    public TcpConfig tailLossProbe(boolean v) { tailLossProbe = v; return this; }
    public TcpConfig congestionControl(CongestionControlFactory v) { congestionControl = v; return this; }

    /** Clamp the announced MSS to a path MTU (RFC 9293 3.7.1): MTU minus 40 (IPv4) or 60 (IPv6). */
    public TcpConfig pathMtu(int mtu, boolean ipv6) {
        mss = Math.min(mss, mtu - (ipv6 ? 60 : 40));
        return this;
    }
}
