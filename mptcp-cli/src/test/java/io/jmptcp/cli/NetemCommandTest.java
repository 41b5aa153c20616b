package io.jmptcp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Option handling of {@code jmptcp netem} (no device is opened: every case fails before that). */
class NetemCommandTest {

    private static String[] run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new String[] {Integer.toString(code), err.toString()};
    }

    @Test
    void devIsRequired() {
        String[] r = run("netem", "--delay", "10");
        assertEquals("2", r[0]);
        assertTrue(r[1].contains("--dev"), r[1]);
    }

    @Test
    void outOfRangeValuesAreUsageErrors() {
        String[] loss = run("netem", "--dev", "jtunx0", "--loss", "120");
        assertEquals("2", loss[0]);
        assertTrue(loss[1].contains("loss must be within 0..100"), loss[1]);
        String[] delay = run("netem", "--dev", "jtunx0", "--delay", "-1");
        assertEquals("2", delay[0]);
        assertTrue(delay[1].contains("delay and jitter must not be negative"), delay[1]);
        String[] mtu = run("netem", "--dev", "jtunx0", "--mtu", "20");
        assertEquals("2", mtu[0]);
        assertTrue(mtu[1].contains("MTU must be within"), mtu[1]);
    }

    @Test
    void isASubcommandOfJmptcp() {
        CommandLine cli = new CommandLine(new Main());
        assertTrue(cli.getSubcommands().containsKey("netem"));
    }
}
