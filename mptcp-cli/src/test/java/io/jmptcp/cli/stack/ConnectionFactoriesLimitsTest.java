package io.jmptcp.cli.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mptcp.MptcpConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The limits of issue 13 on the command line: --max-connections, --max-remote-addresses, --max-ofo. */
class ConnectionFactoriesLimitsTest {
    static StackOptions parse(String... args) {
        StackOptions o = new StackOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void defaultsAndFlagsReachTheStackAndTheConnections() {
        StackOptions d = parse("--address", "10.3.1.1");
        assertEquals(10_000, d.maxConnections);
        MptcpConfig dc = ConnectionFactories.mptcpConfig(d);
        assertEquals(8, dc.pm.maxRemoteAddresses);
        assertEquals(0, dc.maxOutOfOrder, "0: the receive buffer");

        StackOptions o = parse("--address", "10.3.1.1", "--max-connections", "50", "--max-remote-addresses", "3",
                "--max-ofo", "65536", "--max-subflows", "2");
        assertEquals(50, o.maxConnections);
        MptcpConfig c = ConnectionFactories.mptcpConfig(o);
        assertEquals(3, c.pm.maxRemoteAddresses);
        assertEquals(65536, c.maxOutOfOrder);
        assertEquals(2, c.maxSubflows);
    }

    @Test
    void badLimitsAreUsageErrors() {
        for (String[] bad : new String[][] {{"--max-connections", "0"}, {"--max-remote-addresses", "-1"},
                {"--max-remote-addresses", "256"}, {"--max-ofo", "0"}}) {
            StackOptions o = parse("--address", "10.3.1.1", bad[0], bad[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
        StackOptions plain = parse("--address", "10.3.1.1", "--mptcp", "off", "--max-ofo", "4096");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(plain))
                .getMessage().contains("--max-ofo"));
    }
}
