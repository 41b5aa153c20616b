package io.jmptcp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.cli.testbed.Testbed.PathMode;
import io.jmptcp.core.testutil.Host;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code scripts/testbed.sh path K up|blackhole|reset} does what it says, seen by the kernel's own
 * TCP: a connect across path K, from each end, succeeds (up), times out (blackhole) or is refused
 * (reset, the router's RST), while path 2 stays untouched; the rules count what they dropped.
 * Path 1 is emulated (a delay), so its packets cross the router twice: the case where the router's
 * own RSTs come back through the forward hook.
 */
@Tag("netns")
class TestbedPathModeTest {
    /** A kernel TCP connect from SRC to DST:PORT with a 2 s timeout: prints ok, refused or timeout. */
    private static final String PROBE = """
            import socket, sys
            s = socket.socket(); s.settimeout(2); s.bind((sys.argv[1], 0))
            try:
                s.connect((sys.argv[2], int(sys.argv[3]))); print("ok")
            except ConnectionRefusedError: print("refused")
            except socket.timeout: print("timeout")
            """;
    /** A listener on ADDR:PORT for each ADDR given, until killed. */
    private static final String LISTEN = """
            import socket, sys, time
            port, keep = int(sys.argv[1]), []
            for a in sys.argv[3:]:
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((a, port)); s.listen(64); keep.append(s)
            open(sys.argv[2], "w").close()
            while True: time.sleep(60)
            """;

    private static String probe(Testbed tb, String side, String src, String dst) {
        return tb.exec(30, side, List.of("python3", "-c", PROBE, src, dst, "7777")).check().output().trim();
    }

    /** What connects see: [cli->srv on path 1, srv->cli on path 1, cli->srv on path 2]. */
    private static List<String> look(Testbed tb) {
        return List.of(probe(tb, "cli", "10.1.1.1", "10.2.1.1"), probe(tb, "srv", "10.2.1.1", "10.1.1.1"),
                probe(tb, "cli", "10.1.2.1", "10.2.2.1"));
    }

    @Test
    void eachModeDoesWhatItSaysInBothDirectionsOnItsPathOnly() throws Exception {
        Host.requireNetns("python3", "nft", "setsid", "ping");
        try (Testbed tb = Testbed.options(Testbed.randomPrefix("jpm")).paths(2).delay(1, 2).up()) {
            Path srvReady = tb.dir().resolve("srv-ready");
            Path cliReady = tb.dir().resolve("cli-ready");
            Testbed.Proc srv = tb.launch("srv", "python3", "-c", LISTEN, "7777", srvReady.toString(), "10.2.1.1",
                    "10.2.2.1").start();
            Testbed.Proc cli = tb.launch("cli", "python3", "-c", LISTEN, "7777", cliReady.toString(), "10.1.1.1").start();
            srv.await("the server listeners", 20, () -> Files.exists(srvReady));
            cli.await("the client listener", 20, () -> Files.exists(cliReady));

            assertEquals(List.of("ok", "ok", "ok"), look(tb), "before any path action");

            tb.path(1, PathMode.blackhole);
            tb.path(1, PathMode.blackhole); // idempotent
            assertEquals(List.of("timeout", "timeout", "ok"), look(tb), "path 1 blackholed");
            // SYN retransmissions of both connects were dropped (and counted) by the path's table.
            assertTrue(tb.nftPackets("rtr", "inet path1") >= 2, tb.exec("rtr", "nft", "list", "ruleset").output());
            assertEquals(1, tables(tb), "one table for path 1 after two blackholes");

            tb.path(1, PathMode.reset);
            assertEquals(List.of("refused", "refused", "ok"), look(tb), "path 1 answering with resets");
            assertTrue(tb.nftPackets("rtr", "inet path1") >= 2, tb.exec("rtr", "nft", "list", "ruleset").output());
            // What is not TCP is dropped: a ping across path 1 gets no answer, one across path 2 does.
            assertTrue(tb.exec(30, "cli", List.of("ping", "-c", "1", "-W", "1", "-I", "10.1.1.1", "10.2.1.1"))
                    .exitCode() != 0, "ping across a reset path");
            tb.exec(30, "cli", List.of("ping", "-c", "1", "-W", "2", "-I", "10.1.2.1", "10.2.2.1")).check();

            tb.path(1, PathMode.up);
            tb.path(1, PathMode.up); // idempotent, also with no table left
            assertEquals(List.of("ok", "ok", "ok"), look(tb), "path 1 up again");
            assertEquals(0, tables(tb), "no path table after up");

            tb.path(2, PathMode.reset);
            assertEquals(List.of("ok", "ok", "refused"), look(tb), "path 2 reset, path 1 untouched");
            tb.path(2, PathMode.up);
        }
    }

    private static long tables(Testbed tb) {
        String out = tb.exec("rtr", "nft", "list", "tables").check().output();
        return out.lines().filter(l -> l.matches("table inet path\\d")).count();
    }
}
