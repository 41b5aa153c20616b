package io.jmptcp.cli.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.cc.Cubic;
import io.jmptcp.core.cc.Reno;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnectionFactory;
import org.junit.jupiter.api.Test;

/** {@code --cc}: coupled algorithms for MPTCP (lia by default), cubic for plain TCP. */
class ConnectionFactoriesCcTest {
    @Test
    void mptcpDefaultsToLiaAndTakesEveryName() {
        StackOptions o = new StackOptions();
        MptcpConfig c = ConnectionFactories.mptcpConfig(o);
        assertEquals("lia", c.congestionControl);
        assertEquals(Cubic.FACTORY, c.tcp.congestionControl, "a plain-TCP peer still gets cubic");
        for (String cc : new String[] {"lia", "olia", "balia", "cubic", "reno"}) {
            o.cc = cc;
            assertInstanceOf(MptcpConnectionFactory.class, ConnectionFactories.forOptions(o), cc);
            assertEquals(cc, ConnectionFactories.mptcpConfig(o).congestionControl);
        }
        o.cc = "reno";
        assertEquals(Reno.FACTORY, ConnectionFactories.mptcpConfig(o).tcp.congestionControl);
    }

    @Test
    void coupledNeedsMptcp() {
        StackOptions o = new StackOptions();
        o.mptcp = StackOptions.Mode.off;
        assertInstanceOf(PlainConnectionFactory.class, ConnectionFactories.forOptions(o));
        o.cc = "balia";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
        assertTrue(e.getMessage().contains("--cc balia (coupled congestion control)"), e.getMessage());
    }
}
