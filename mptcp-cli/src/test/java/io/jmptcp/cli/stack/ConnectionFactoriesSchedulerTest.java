package io.jmptcp.cli.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.sched.Scheduler;
import org.junit.jupiter.api.Test;

/** {@code --scheduler}: every name makes its scheduler, a new one per connection; minrtt by default. */
class ConnectionFactoriesSchedulerTest {
    @Test
    void everySchedulerNameIsHonoured() {
        StackOptions o = new StackOptions();
        assertEquals("minrtt", ConnectionFactories.mptcpConfig(o).scheduler.get().name());
        for (String name : new String[] {"minrtt", "roundrobin", "redundant", "blest", "ecf"}) {
            o.scheduler = name;
            MptcpConfig c = ConnectionFactories.mptcpConfig(o);
            Scheduler a = c.scheduler.get();
            assertEquals(name, a.name());
            assertNotSame(a, c.scheduler.get(), "one scheduler per connection: round-robin keeps a turn");
        }
        o.scheduler = "otias";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
        assertTrue(e.getMessage().contains("blest, ecf"), e.getMessage());
    }
}
