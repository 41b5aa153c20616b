package io.jmptcp.cli.stack;

import io.jmptcp.core.cc.CongestionControlFactory;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.pm.PmConfig;
import io.jmptcp.core.mptcp.MptcpConnectionFactory;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.sched.Scheduler;
import io.jmptcp.core.tcp.TcpConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Chooses the connection factory for the STACK options. Options a mode cannot honour are rejected
 * with a message rather than ignored.
 */
public final class ConnectionFactories {
    static final Set<String> SCHEDULERS = Set.copyOf(Scheduler.NAMES);
    static final Set<String> COUPLED = Set.of("lia", "olia", "balia");
    /**
     * Auto-tuned from 128 KiB (Linux's tcp_rmem default) to 4 MiB. A fixed 4 MiB let a kernel
     * sender commit a whole 4 MiB download to its subflows at once, and after a path flapped it
     * re-sent all of it, far behind our DATA_ACK, on whichever subflow was slow: downloads
     * stalled for over a minute in the soak (4 in 600 s); auto-tuned, none (docs/robustness.md).
     */
    static final String DEFAULT_RECEIVE_BUFFER = "131072:4194304";

    private ConnectionFactories() {
    }

    /**
     * The factory for {@code o}.
     *
     * @throws IllegalArgumentException for a bad or inapplicable option (a usage error)
     */
    public static ConnectionFactory forOptions(StackOptions o) {
        if (o.scheduler != null && !SCHEDULERS.contains(o.scheduler)) {
            throw new IllegalArgumentException("unknown --scheduler '" + o.scheduler + "' (" + String.join(", ", Scheduler.NAMES) + ")");
        }
        if (o.cc != null && !COUPLED.contains(o.cc) && !o.cc.equals("cubic") && !o.cc.equals("reno")) {
            throw new IllegalArgumentException("unknown --cc '" + o.cc + "' (lia, olia, balia, cubic, reno)");
        }
        if (o.maxSubflows != null && (o.maxSubflows < 1 || o.maxSubflows > 8)) {
            throw new IllegalArgumentException("--max-subflows must be 1..8, got " + o.maxSubflows);
        }
        if (o.maxConnections < 1) {
            throw new IllegalArgumentException("--max-connections must be at least 1, got " + o.maxConnections);
        }
        if (o.mptcp == StackOptions.Mode.on) {
            return new MptcpConnectionFactory(mptcpConfig(o));
        }
        List<String> mptcpOnly = new ArrayList<>();
        if (o.maxRemoteAddresses != null) {
            mptcpOnly.add("--max-remote-addresses");
        }
        if (o.maxOutOfOrder != null) {
            mptcpOnly.add("--max-ofo");
        }
        if (o.receiveBuffer != null) {
            mptcpOnly.add("--receive-buffer");
        }
        if (o.checksum) {
            mptcpOnly.add("--checksum");
        }
        if (o.scheduler != null) {
            mptcpOnly.add("--scheduler");
        }
        if (o.maxSubflows != null) {
            mptcpOnly.add("--max-subflows");
        }
        if (o.announce) {
            mptcpOnly.add("--announce");
        }
        if (!o.backup.isEmpty()) {
            mptcpOnly.add("--backup");
        }
        if (!o.endpoints.isEmpty()) {
            mptcpOnly.add("--endpoint");
        }
        if (o.addAddrAccepted != null) {
            mptcpOnly.add("--add-addr-accepted");
        }
        if (o.addAddrTimeoutMillis != null) {
            mptcpOnly.add("--add-addr-timeout");
        }
        if (o.closeTimeoutSeconds != null) {
            mptcpOnly.add("--close-timeout");
        }
        if (o.noRejoin) {
            mptcpOnly.add("--no-rejoin");
        }
        if (o.noJoinInitialAddr) {
            mptcpOnly.add("--no-join-initial-addr");
        }
        if (o.cc != null && COUPLED.contains(o.cc)) {
            mptcpOnly.add("--cc " + o.cc + " (coupled congestion control)");
        }
        if (!mptcpOnly.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", mptcpOnly) + " need MPTCP; they have no meaning with --mptcp off");
        }
        return new PlainConnectionFactory(timers(plainConfig(o.cc), o));
    }

    /** {@code --receive-buffer}: BYTES (fixed) or INITIAL:MAX (auto-tuned), each at least 4 KiB. */
    static void receiveBuffer(MptcpConfig c, String spec) {
        String[] p = spec.split(":", -1);
        long[] v = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            try {
                v[i] = Long.parseLong(p[i].strip());
            } catch (NumberFormatException e) {
                v[i] = -1;
            }
        }
        boolean ok = (p.length == 1 || p.length == 2) && v[0] >= 4096 && v[v.length - 1] >= v[0]
                && v[v.length - 1] <= 1 << 30;
        if (!ok) {
            throw new IllegalArgumentException("--receive-buffer wants BYTES or INITIAL:MAX, 4096 to 1073741824 bytes, "
                    + "INITIAL at most MAX, got '" + spec + "'");
        }
        if (p.length == 1) {
            c.receiveBuffer((int) v[0]);
        } else {
            c.receiveBufferAutotune((int) v[0], (int) v[1]);
        }
    }

    /**
     * The MPTCP settings: checksum, scheduler, subflow limit, and the congestion control of each
     * connection's subflows (coupled {@code lia} unless {@code --cc} says otherwise; a connection
     * accepted from a plain TCP SYN keeps the plain default, cubic).
     */
    static MptcpConfig mptcpConfig(StackOptions o) {
        MptcpConfig c = new MptcpConfig().checksum(o.checksum).announce(o.announce)
                .tcp(timers(plainConfig(o.cc == null || COUPLED.contains(o.cc) ? null : o.cc), o))
                .congestionControl(o.cc == null ? "lia" : o.cc);
        if (o.scheduler != null) {
            String name = o.scheduler;
            c.scheduler(() -> Scheduler.byName(name));
        }
        if (o.maxSubflows != null) {
            c.maxSubflows(o.maxSubflows);
        }
        if (o.maxOutOfOrder != null) {
            if (o.maxOutOfOrder < 1) {
                throw new IllegalArgumentException("--max-ofo must be at least 1 byte, got " + o.maxOutOfOrder);
            }
            c.maxOutOfOrder(o.maxOutOfOrder);
        }
        receiveBuffer(c, o.receiveBuffer != null ? o.receiveBuffer : DEFAULT_RECEIVE_BUFFER);
        if (o.sendBuffer != null) {
            c.sendBuffer(o.sendBuffer); // checked by timers() above
        }
        PmConfig pm = c.pm;
        if (o.maxRemoteAddresses != null) {
            if (o.maxRemoteAddresses < 0 || o.maxRemoteAddresses > 255) {
                throw new IllegalArgumentException("--max-remote-addresses must be 0..255, got " + o.maxRemoteAddresses);
            }
            pm.maxRemoteAddresses = o.maxRemoteAddresses;
        }
        if (o.addAddrAccepted != null) {
            if (o.addAddrAccepted < 0 || o.addAddrAccepted > 8) {
                throw new IllegalArgumentException("--add-addr-accepted must be 0..8, got " + o.addAddrAccepted);
            }
            pm.addAddrAccepted(o.addAddrAccepted);
        }
        if (o.addAddrTimeoutMillis != null) {
            if (o.addAddrTimeoutMillis < 1) {
                throw new IllegalArgumentException("--add-addr-timeout must be at least 1 ms, got " + o.addAddrTimeoutMillis);
            }
            pm.addAddrTimeoutMicros(o.addAddrTimeoutMillis * 1000);
        }
        if (o.closeTimeoutSeconds != null) {
            if (o.closeTimeoutSeconds < 0) {
                throw new IllegalArgumentException("--close-timeout must be 0 or more seconds, got " + o.closeTimeoutSeconds);
            }
            pm.closeTimeoutMicros(o.closeTimeoutSeconds * 1_000_000L);
        }
        pm.rejoin(!o.noRejoin);
        c.joinInitialAddress(!o.noJoinInitialAddr);
        return c;
    }

    /** The retransmission and keepalive settings of {@code --tcp-retries}, {@code --rto-max}, {@code --keepalive}. */
    static TcpConfig timers(TcpConfig t, StackOptions o) {
        if (o.sendBuffer != null) {
            if (o.sendBuffer < 4096 || o.sendBuffer > 1 << 30) {
                throw new IllegalArgumentException("--send-buffer must be 4096 to 1073741824 bytes, got " + o.sendBuffer);
            }
            t.sendBuffer(o.sendBuffer);
        }
        if (o.tcpRetries != null) {
            if (o.tcpRetries < 1 || o.tcpRetries > 255) {
                throw new IllegalArgumentException("--tcp-retries must be 1..255, got " + o.tcpRetries);
            }
            t.maxRetries(o.tcpRetries);
        }
        if (o.rtoMaxMillis != null) {
            if (o.rtoMaxMillis < t.minRtoMicros / 1000) {
                throw new IllegalArgumentException("--rto-max must be at least " + t.minRtoMicros / 1000 + " ms, got "
                        + o.rtoMaxMillis);
            }
            t.maxRtoMicros = o.rtoMaxMillis * 1000;
        }
        if (o.keepalive != null) {
            String[] f = o.keepalive.split(",", -1);
            long[] v = new long[3];
            try {
                if (f.length != 3) {
                    throw new NumberFormatException();
                }
                for (int i = 0; i < 3; i++) {
                    v[i] = Long.parseLong(f[i].strip());
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--keepalive takes IDLE,INTVL,CNT (seconds, seconds, probes), got "
                        + o.keepalive);
            }
            if (v[0] < 1 || v[1] < 1 || v[2] < 1 || v[2] > 127) {
                throw new IllegalArgumentException("--keepalive: idle and interval at least 1 s, 1..127 probes, got "
                        + o.keepalive);
            }
            t.keepalive(v[0] * 1_000_000L, v[1] * 1_000_000L, (int) v[2]);
        }
        return t;
    }

    /** The TCP settings of a plain connection (MSS is clamped to the MTU by the factory). */
    static TcpConfig plainConfig(String cc) {
        return new TcpConfig().congestionControl(CongestionControlFactory.byName(cc == null ? "cubic" : cc));
    }
}
