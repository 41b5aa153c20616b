package io.jmptcp.cli.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mptcp.MptcpConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The limits of issue 13 on the command line: --max-connections, --max-remote-addresses, --max-ofo, --receive-buffer. */
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
    void theReceiveBufferIsFixedOrAutoTuned() {
        MptcpConfig d = ConnectionFactories.mptcpConfig(parse("--address", "10.3.1.1"));
        assertEquals(4 << 20, d.receiveBuffer);
        assertEquals(128 << 10, d.receiveBufferInitial, "auto-tuned by default");
        MptcpConfig fixed = ConnectionFactories.mptcpConfig(parse("--address", "10.3.1.1", "--receive-buffer", "1048576"));
        assertEquals(1 << 20, fixed.receiveBuffer);
        assertEquals(0, fixed.receiveBufferInitial);
        MptcpConfig tuned = ConnectionFactories.mptcpConfig(parse("--address", "10.3.1.1", "--receive-buffer",
                "131072:4194304"));
        assertEquals(128 << 10, tuned.receiveBufferInitial);
        assertEquals(4 << 20, tuned.receiveBuffer);
    }

    @Test
    void theSendBufferReachesMptcpAndPlainConnections() {
        assertEquals(4 << 20, ConnectionFactories.mptcpConfig(parse("--address", "10.3.1.1")).sendBuffer);
        MptcpConfig m = ConnectionFactories.mptcpConfig(parse("--address", "10.3.1.1", "--send-buffer", "262144"));
        assertEquals(256 << 10, m.sendBuffer);
        assertEquals(256 << 10, m.tcp.sendBuffer);
        StackOptions plain = parse("--address", "10.3.1.1", "--mptcp", "off", "--send-buffer", "65536");
        assertEquals(64 << 10, ConnectionFactories.timers(new io.jmptcp.core.tcp.TcpConfig(), plain).sendBuffer);
    }

    @Test
    void badLimitsAreUsageErrors() {
        for (String[] bad : new String[][] {{"--max-connections", "0"}, {"--max-remote-addresses", "-1"},
                {"--max-remote-addresses", "256"}, {"--max-ofo", "0"}, {"--receive-buffer", "100"},
                {"--receive-buffer", "65536:4096"}, {"--receive-buffer", "big"}, {"--receive-buffer", "1:2:3"},
                {"--send-buffer", "1000"}}) {
            StackOptions o = parse("--address", "10.3.1.1", bad[0], bad[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
        StackOptions plain = parse("--address", "10.3.1.1", "--mptcp", "off", "--max-ofo", "4096");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(plain))
                .getMessage().contains("--max-ofo"));
    }
}
