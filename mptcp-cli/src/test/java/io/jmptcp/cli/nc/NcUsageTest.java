package io.jmptcp.cli.nc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.Main;
import io.jmptcp.cli.stack.ConnectionFactories;
import io.jmptcp.cli.stack.StackOptions;
import io.jmptcp.core.engine.PlainConnectionFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Usage errors of {@code jmptcp nc} and the STACK options (no device is opened). */
class NcUsageTest {
    private record Outcome(int code, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Outcome(code, err.toString());
    }

    @Test
    void usageErrorsExitTwoWithAMessage() {
        Outcome o = run("nc", "--mptcp", "off", "--address", "10.3.1.1", "-l", "5000", "10.2.1.1", "80");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("-l PORT takes no HOST PORT"), o.err());
        o = run("nc", "--mptcp", "off", "10.2.1.1", "80");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("at least one --address"), o.err());
        o = run("nc", "--mptcp", "off", "--address", "10.3.1.1", "--checksum", "--announce", "10.2.1.1", "80");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--checksum, --announce need MPTCP"), o.err());
        o = run("nc", "--mptcp", "off", "--address", "10.3.1.1", "10.2.1.1", "99999");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("PORT must be 1..65535"), o.err());
        o = run("nc", "--mptcp", "off", "--address", "host.example", "10.2.1.1", "80");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--address needs an IP address"), o.err());
    }

    @Test
    void factoryChoice() {
        StackOptions o = new StackOptions();
        o.mptcp = StackOptions.Mode.off;
        assertTrue(ConnectionFactories.forOptions(o) instanceof PlainConnectionFactory);
        o.cc = "reno";
        assertTrue(ConnectionFactories.forOptions(o) instanceof PlainConnectionFactory);
        o.cc = "lia";
        assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
        o.cc = "vegas";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
        assertTrue(e.getMessage().contains("unknown --cc"), e.getMessage());
        o.cc = null;
        o.backup = List.of("10.3.2.1");
        assertThrows(IllegalArgumentException.class, () -> ConnectionFactories.forOptions(o));
        // --mptcp on (the default) makes MPTCP connections, with every scheduler; an unknown one is refused.
        StackOptions on = new StackOptions();
        on.checksum = true;
        on.maxSubflows = 2;
        on.announce = true;
        assertTrue(ConnectionFactories.forOptions(on) instanceof io.jmptcp.core.mptcp.MptcpConnectionFactory);
        for (String name : List.of("minrtt", "roundrobin", "redundant", "blest", "ecf")) {
            on.scheduler = name;
            assertTrue(ConnectionFactories.forOptions(on) instanceof io.jmptcp.core.mptcp.MptcpConnectionFactory, name);
        }
        on.scheduler = "fastest";
        IllegalArgumentException u = assertThrows(IllegalArgumentException.class,
                () -> ConnectionFactories.forOptions(on));
        assertTrue(u.getMessage().contains("unknown --scheduler 'fastest'"), u.getMessage());
    }
}
