package io.jmptcp.core.mptcp;

import io.jmptcp.core.cc.CongestionControlGroup;
import io.jmptcp.core.sched.MinRttScheduler;
import io.jmptcp.core.sched.Scheduler;
import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.pm.DefaultPathManager;
import io.jmptcp.core.pm.PathManager;
import io.jmptcp.core.pm.PmConfig;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Options of MPTCP connections (the command line's {@code --mptcp}, {@code --checksum},
 * {@code --scheduler}, {@code --cc}, {@code --max-subflows}). Mutable with fluent setters; each
 * connection reads it when it is created.
 */
public final class MptcpConfig {
    /** false: plain TCP only (no MP_CAPABLE on SYNs, MP_CAPABLE SYNs answered as plain TCP). */
    public boolean enabled = true;
    /** Request DSS checksums (MP_CAPABLE flag A, RFC 8684 section 3.1). */
    public boolean checksum;
    /** The packet scheduler, one instance per connection. */
    public Supplier<Scheduler> scheduler = MinRttScheduler::new;
    /**
     * Congestion control of the subflows, one {@link CongestionControlGroup} per
     * connection: {@code lia} (the default), {@code olia}, {@code balia} (coupled), or {@code cubic},
     * {@code reno} (uncoupled, one independent controller per subflow). A connection that is plain
     * TCP from its SYN uses {@code tcp.congestionControl} instead.
     */
    public String congestionControl = "lia";
    /** Subflow TCP settings; their congestion control serves only connections without MPTCP. */
    public TcpConfig tcp = new TcpConfig();
    /**
     * Most subflows per connection, the initial one included: Linux's {@code subflows} limit
     * plus one, and like the kernel's default (2) this allows two more.
     */
    public int maxSubflows = 3;
    /**
     * Take joins to the initial subflow's address and port (Linux's
     * {@code net.mptcp.allow_join_initial_addr_port}, 1 by default). When false the listener sets
     * the MP_CAPABLE C flag on its SYN/ACK (RFC 8684 section 3.1) and refuses such joins.
     */
    public boolean joinInitialAddress = true;
    /** Path-manager limits and timers (ADD_ADDR, re-establishment, close timeout). */
    public PmConfig pm = new PmConfig();
    /** The path manager of each connection, made from {@link #pm}. */
    public Function<PmConfig, PathManager> pathManager = DefaultPathManager::new;
    /** Connection-level send buffer (bytes kept until DATA_ACKed). */
    public int sendBuffer = 4 << 20;
    /**
     * Announce the stack's non-initial addresses with ADD_ADDR once fully established, as if each
     * endpoint had the {@code signal} flag (a fullmesh one excepted).
     */
    public boolean announce;
    /**
     * Connection-level receive buffer, bytes: bounds the one window advertised on every subflow.
     * With auto-tuning ({@link #receiveBufferInitial} above 0) it is the cap, otherwise the size.
     */
    public int receiveBuffer = 4 << 20;
    /**
     * The receive buffer a connection starts with when auto-tuned ({@link ReceiveBufferTuner}),
     * bytes; 0 turns auto-tuning off (the buffer is {@link #receiveBuffer} from the start). Off by
     * default for now: with a 128 KiB start (Linux's tcp_rmem default) PathManagerSimTest's backup
     * path carried 13 % of the bytes while the primary worked (issue 11 note).
     */
    public int receiveBufferInitial = 0;
    /**
     * Connection-level out-of-order data held, in bytes (0: the receive buffer, which the window
     * bounds it by anyway); more is dropped and counted (OFODrop).
     */
    public int maxOutOfOrder;
    /**
     * Opportunistic retransmission and penalisation (Raiciu et al., NSDI 2012): when new data is
     * blocked by the peer's connection-level window and the data at DATA_ACK sits on a slower
     * subflow, send it again on a faster subflow with room and halve the slow subflow's window.
     */
    public boolean opportunisticRetransmission = true;

    /** An independent copy (the TCP settings copied too; the scheduler supplier is shared). */
    public MptcpConfig copy() {
        MptcpConfig c = new MptcpConfig();
        c.enabled = enabled;
        c.checksum = checksum;
        c.scheduler = scheduler;
        c.congestionControl = congestionControl;
        c.tcp = tcp.copy();
        c.maxSubflows = maxSubflows;
        c.sendBuffer = sendBuffer;
        c.announce = announce;
        c.receiveBuffer = receiveBuffer;
        c.receiveBufferInitial = receiveBufferInitial;
        c.maxOutOfOrder = maxOutOfOrder;
        c.opportunisticRetransmission = opportunisticRetransmission;
        c.pm = pm.copy();
        c.joinInitialAddress = joinInitialAddress;
        c.pathManager = pathManager;
        return c;
    }

    public MptcpConfig enabled(boolean v) { enabled = v; return this; }
    public MptcpConfig checksum(boolean v) { checksum = v; return this; }
    public MptcpConfig scheduler(Supplier<Scheduler> v) { scheduler = v; return this; }
    public MptcpConfig tcp(TcpConfig v) { tcp = v; return this; }
    /** @throws IllegalArgumentException for a name {@link CongestionControlGroup#forConnection} refuses */
    public MptcpConfig congestionControl(String v) {
        CongestionControlGroup.forConnection(v); // refuses an unknown name now
        congestionControl = v;
        return this;
    }
    public MptcpConfig maxSubflows(int v) { maxSubflows = v; return this; }
    public MptcpConfig sendBuffer(int v) { sendBuffer = v; return this; }
    /** A fixed receive buffer of {@code v} bytes, no auto-tuning (as SO_RCVBUF in Linux). */
    public MptcpConfig receiveBuffer(int v) { receiveBuffer = v; receiveBufferInitial = 0; return this; }
    /** Auto-tuning from {@code initial} up to {@code max} bytes. */
    public MptcpConfig receiveBufferAutotune(int initial, int max) {
        if (initial <= 0 || max < initial) {
            throw new IllegalArgumentException("receive buffer from " + initial + " to " + max);
        }
        receiveBufferInitial = initial;
        receiveBuffer = max;
        return this;
    }
    public MptcpConfig maxOutOfOrder(int v) { maxOutOfOrder = v; return this; }
    public MptcpConfig opportunisticRetransmission(boolean v) { opportunisticRetransmission = v; return this; }
    public MptcpConfig announce(boolean v) { announce = v; return this; }
    public MptcpConfig pm(PmConfig v) { pm = v; return this; }
    public MptcpConfig joinInitialAddress(boolean v) { joinInitialAddress = v; return this; }
}
