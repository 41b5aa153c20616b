package io.jmptcp.cli.stack;

import io.jmptcp.core.cc.CongestionControlFactory;
import io.jmptcp.core.cc.Cubic;
import io.jmptcp.core.cc.Reno;
import io.jmptcp.core.runtime.ConnectionFactory;
import io.jmptcp.core.runtime.PlainConnectionFactory;
import io.jmptcp.core.tcp.TcpConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Chooses the connection factory for the STACK options. Options a mode cannot honour are rejected
 * with a message rather than ignored.
 */
public final class ConnectionFactories {
    static final Set<String> SCHEDULERS = Set.of("minrtt", "roundrobin", "redundant", "blest");
    static final Set<String> COUPLED = Set.of("lia", "olia", "balia");

    private ConnectionFactories() {
    }

    /**
     * The factory for {@code o}.
     *
     * @throws IllegalArgumentException for a bad or inapplicable option (a usage error)
     * @throws UnsupportedOperationException for {@code --mptcp on} until the MPTCP factory is registered
     */
    public static ConnectionFactory forOptions(StackOptions o) {
        if (o.scheduler != null && !SCHEDULERS.contains(o.scheduler)) {
            throw new IllegalArgumentException("unknown --scheduler '" + o.scheduler + "' (minrtt, roundrobin, redundant, blest)");
        }
        if (o.cc != null && !COUPLED.contains(o.cc) && !o.cc.equals("cubic") && !o.cc.equals("reno")) {
            throw new IllegalArgumentException("unknown --cc '" + o.cc + "' (lia, olia, balia, cubic, reno)");
        }
        if (o.maxSubflows != null && (o.maxSubflows < 1 || o.maxSubflows > 8)) {
            throw new IllegalArgumentException("--max-subflows must be 1..8, got " + o.maxSubflows);
        }
        if (o.mptcp == StackOptions.Mode.on) {
            throw new UnsupportedOperationException("MPTCP is not built yet in this version; use --mptcp off for plain TCP");
        }
        List<String> mptcpOnly = new ArrayList<>();
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
        if (o.cc != null && COUPLED.contains(o.cc)) {
            mptcpOnly.add("--cc " + o.cc + " (coupled congestion control)");
        }
        if (!mptcpOnly.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", mptcpOnly) + " need MPTCP; they have no meaning with --mptcp off");
        }
        return new PlainConnectionFactory(plainConfig(o));
    }

    /** The TCP settings of a plain connection (MSS is clamped to the MTU by the factory). */
    static TcpConfig plainConfig(StackOptions o) {
        CongestionControlFactory cc = "reno".equals(o.cc) ? Reno.FACTORY : Cubic.FACTORY;
        return new TcpConfig().congestionControl(cc);
    }
}
