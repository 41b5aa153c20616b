package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.Main;
import io.jmptcp.cli.forward.ForwardSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Option parsing of {@code jmptcp daemon}: defaults, --config with command-line override, errors. */
class DaemonCommandTest {
    @TempDir
    Path dir;

    static DaemonCommand parse(String... args) {
        CommandLine main = new CommandLine(new Main());
        String[] full = new String[args.length + 1];
        full[0] = "daemon";
        System.arraycopy(args, 0, full, 1, args.length);
        CommandLine.ParseResult r = main.parseArgs(full);
        return (DaemonCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void socksDefaultsToLoopback1080AndIsOffWithForward() {
        Daemon.Config c = parse("--address", "10.3.1.1").config();
        assertEquals("127.0.0.1", c.socks().getAddress().getHostAddress());
        assertEquals(1080, c.socks().getPort());
        assertEquals(Path.of("/run/jmptcp/control.sock"), c.control());
        assertNull(c.socksSettings().username());

        Daemon.Config f = parse("--address", "10.4.1.1", "--forward", "8080=10.2.1.1:80").config();
        assertNull(f.socks(), "a forward-only daemon opens no SOCKS port unless asked");
        assertEquals(List.of(new ForwardSpec(8080, "10.2.1.1", 80)), f.forwards());
    }

    @Test
    void configFileGivesDefaultsAndTheCommandLineWins() throws Exception {
        Path cfg = dir.resolve("jmptcp.conf");
        Files.writeString(cfg, String.join("\n", "# jmptcp daemon", "socks=127.0.0.1:1090", "socks-auth=bob:pw",
                "forward=81=10.0.0.1:80,82=[2001:db8::1]:80", "drain-timeout=3", "control=off", "tun=jdm9", ""));
        DaemonCommand d = parse("--config", cfg.toString(), "--socks", "127.0.0.1:1095");
        Daemon.Config c = d.config();
        assertEquals(1095, c.socks().getPort(), "the command line overrides the file");
        assertEquals("bob", c.socksSettings().username());
        assertEquals("pw", c.socksSettings().password());
        assertEquals(List.of(new ForwardSpec(81, "10.0.0.1", 80), new ForwardSpec(82, "2001:db8::1", 80)), c.forwards());
        assertEquals(3, d.drainTimeout);
        assertNull(c.control());
        assertEquals("jdm9", d.stackOptions.tun, "STACK options come from the file too");
    }

    @Test
    void badValuesAreUsageErrors() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--socks", "nowhere").config())
                .getMessage().contains("HOST:PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--socks-auth", "nopass").config())
                .getMessage().contains("USER:PASS"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--forward", "80:1.2.3.4").config())
                .getMessage().contains("PORT=HOST:PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--forward", "0=1.2.3.4:80").config())
                .getMessage().contains("bad port"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--socks", "off").config())
                .getMessage().contains("nothing to do"));
    }

    @Test
    void withoutConfigTheBuiltInDefaultsHold() {
        DaemonCommand d = parse("--address", "10.3.1.1");
        assertNull(d.config);
        assertEquals(10, d.drainTimeout);
        assertEquals("mptcp0", d.stackOptions.tun);
    }

    @Test
    void aConfigOptionWinsOverTheBuiltInDefaultAndTheCommandLineOverTheFile() throws Exception {
        Path cfg = dir.resolve("d.conf");
        Files.writeString(cfg, "drain-timeout = 7\naddress=10.5.1.1\n");
        assertEquals(7, parse("--config", cfg.toString()).drainTimeout);
        assertEquals(List.of("10.5.1.1"), parse("--config", cfg.toString()).stackOptions.addresses);
        DaemonCommand d = parse("--drain-timeout", "2", "--config=" + cfg, "--address", "10.6.1.1");
        assertEquals(2, d.drainTimeout, "the command line wins, whichever side of --config it is on");
        assertEquals(List.of("10.6.1.1"), d.stackOptions.addresses);
    }

    @Test
    void missingConfigFileIsAUsageErrorWithExitCode2() {
        Path absent = dir.resolve("absent");
        Run r = execute("daemon", "--config", absent.toString(), "--address", "10.3.1.1");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--config " + absent + " is not a readable file"), r.err());
        Run d = execute("daemon", "--config", dir.toString(), "--address", "10.3.1.1");
        assertEquals(2, d.exit());
        assertTrue(d.err().contains("--config " + dir + " is not a readable file"), d.err());
    }

    @Test
    void anUnknownKeyInTheConfigFileIsAUsageErrorNamingIt() throws Exception {
        Path cfg = dir.resolve("typo.conf");
        Files.writeString(cfg, "socks=127.0.0.1:1090\nsocks_auth=bob:pw\n");
        Run r = execute("daemon", "--config", cfg.toString(), "--address", "10.3.1.1");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--config " + cfg + ": unknown key 'socks_auth'"), r.err());
        assertTrue(r.err().contains("socks-auth"), "lists the keys there are: " + r.err());
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--config", cfg.toString()));
        assertTrue(e.getMessage().contains("unknown key 'socks_auth'"), e.getMessage());
    }

    @Test
    void aBadValueInTheConfigFileIsAUsageError() throws Exception {
        Path cfg = dir.resolve("bad.conf");
        Files.writeString(cfg, "drain-timeout=soon\n");
        Run r = execute("daemon", "--config", cfg.toString(), "--address", "10.3.1.1");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--drain-timeout") && r.err().contains("soon"), r.err());
        Path esc = dir.resolve("escape.conf");
        Files.writeString(esc, "socks=\\u12\n");
        Run e = execute("daemon", "--config", esc.toString(), "--address", "10.3.1.1");
        assertEquals(2, e.exit());
        assertTrue(e.err().contains("--config " + esc + ": cannot read it"), e.err());
    }

    private record Run(int exit, String err) {
    }

    private static Run execute(String... args) {
        CommandLine main = new CommandLine(new Main());
        java.io.StringWriter err = new java.io.StringWriter();
        main.setErr(new java.io.PrintWriter(err));
        int exit = main.execute(args);
        return new Run(exit, err.toString());
    }
}
