package io.jmptcp.cli.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.pm.Endpoints;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The STACK options that make the stack's endpoints and its path-manager limits. */
class StackEndpointsTest {

    private static String describe(Endpoints e) {
        return String.join("; ", e.list().stream().map(Endpoint::toString).toList());
    }

    @Test
    void addressesAreSubflowEndpointsAfterTheFirstAndEndpointAndBackupAddFlags() {
        StackOptions o = new StackOptions();
        o.addresses = List.of("10.3.1.1", "10.3.2.1");
        o.endpoints = List.of("10.3.3.1=signal,backup", "10.3.2.1=subflow,fullmesh");
        o.backup = List.of("10.3.2.1");
        assertEquals("10.3.1.1 id 1; 10.3.2.1 id 2 subflow,backup,fullmesh; 10.3.3.1 id 3 signal,backup",
                describe(StackRuntime.endpoints(o)));
    }

    @Test
    void badEndpointOptionsAreUsageErrors() {
        StackOptions o = new StackOptions();
        o.addresses = List.of("10.3.1.1");
        o.backup = List.of("10.3.9.9");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StackRuntime.endpoints(o));
        assertTrue(e.getMessage().contains("--backup 10.3.9.9 is not a stack address"), e.getMessage());
        o.backup = List.of();
        o.endpoints = List.of("10.3.2.1=signal,turbo");
        e = assertThrows(IllegalArgumentException.class, () -> StackRuntime.endpoints(o));
        assertTrue(e.getMessage().contains("unknown endpoint flag 'turbo'"), e.getMessage());
        o.endpoints = List.of("example.org=signal");
        assertThrows(IllegalArgumentException.class, () -> StackRuntime.endpoints(o));
    }

    @Test
    void pathManagerLimitsAreRead() {
        StackOptions o = new StackOptions();
        o.addresses = List.of("10.3.1.1");
        o.addAddrAccepted = 2;
        o.addAddrTimeoutMillis = 1500L;
        o.closeTimeoutSeconds = 0;
        o.noRejoin = true;
        o.noJoinInitialAddr = true;
        MptcpConfig c = ConnectionFactories.mptcpConfig(o);
        assertEquals(false, c.joinInitialAddress);
        assertEquals(2, c.pm.addAddrAccepted);
        assertEquals(1_500_000, c.pm.addAddrTimeoutMicros);
        assertEquals(0, c.pm.closeTimeoutMicros);
        assertEquals(false, c.pm.rejoin);
        // The kernel's defaults when nothing is given.
        MptcpConfig d = ConnectionFactories.mptcpConfig(new StackOptions());
        assertEquals(0, d.pm.addAddrAccepted);
        assertEquals(120_000_000, d.pm.addAddrTimeoutMicros);
        assertEquals(60_000_000, d.pm.closeTimeoutMicros);
        assertEquals(3, d.maxSubflows);
        assertEquals(true, d.joinInitialAddress);
        o.addAddrAccepted = 9;
        assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.mptcpConfig(o));
    }
}
