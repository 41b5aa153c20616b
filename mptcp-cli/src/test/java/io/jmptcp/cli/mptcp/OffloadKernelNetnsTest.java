package io.jmptcp.cli.mptcp;

import static io.jmptcp.cli.testbed.Testbed.delta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TUN offloads (issue 12) against the kernel on one unlimited path (veth, router, veth), where the
 * kernel does hand super-packets to the TUN and takes them back: jmptcp nc with offloads (the
 * default) and with --no-offload, plain TCP and MPTCP, 24 MiB each way at once; the bytes, the
 * kernel's MPTCP error counters, and a capture on the server side read by tshark: with offloads
 * jmptcp's data, MPTCP included, reaches the server as super-segments, each with a mapping that
 * covers it; without, never.
 */
@Tag("netns")
class OffloadKernelNetnsTest {
    private static Testbed tb;
    private static int nextPort = 16100;

    @BeforeAll
    static void up() throws Exception {
        Host.requireNetns("python3", "nstat", "tcpdump", "tshark", "setsid", "bash");
        tb = Testbed.options(Testbed.randomPrefix("jof")).paths(1).up();
    }

    @AfterAll
    static void down() {
        if (tb != null) {
            tb.close();
        }
    }

    @ParameterizedTest(name = "offload={0} mptcp={1}")
    @CsvSource({"true, true", "true, false", "false, true", "false, false"})
    void transferBothWaysIsIntactAndWellFormed(boolean offload, boolean mptcp) throws Exception {
        long bytes = 24L << 20;
        int port = nextPort++;
        Path pcap = tb.dir().resolve("offload-" + port + ".pcap");
        Testbed.Proc dump = tb.launch("srv", "tcpdump", "-i", "any", "-U", "-w", pcap.toString(),
                "tcp", "port", Integer.toString(port)).start();
        dump.awaitErr("listening on", 20);
        Map<String, Long> before = tb.mptcpCounters("srv");
        KernelInteropTest.Outcome o;
        try {
            List<String> peerArgs = new ArrayList<>(List.of("server", "--port", Integer.toString(port), "--send",
                    Long.toString(bytes)));
            if (mptcp) {
                peerArgs.add("--mptcp");
            }
            Testbed.Proc peer = KernelInteropTest.peer(tb, port, peerArgs);
            Path in = KernelInteropTest.input(bytes, port, tb.dir());
            List<String> nc = new ArrayList<>(List.of("nc", "--tun", tb.prefix() + "t0", "--address", "10.3.1.1",
                    "--mptcp", mptcp ? "on" : "off"));
            if (!offload) {
                nc.add("--no-offload");
            }
            nc.addAll(List.of("10.2.1.1", Integer.toString(port)));
            o = KernelInteropTest.outcome(KernelInteropTest.nc(tb, in, port, nc), peer, in);
        } finally {
            dump.terminate();
            dump.exitCode(20);
        }
        Map<String, Long> after = tb.mptcpCounters("srv");
        o.assertIntact(bytes);
        assertEquals(mptcp ? "true" : "false", o.peer().group(5), "kernel socket MPTCP");
        for (String c : List.of("DSSNotMatching", "DSSNoMatchTCP", "DataCsumErr", "InfiniteMapRx", "DSSCorruptionFallback",
                "DSSCorruptionReset", "MPCapableFallbackACK")) {
            assertEquals(0, delta(before, after, c), c + " " + after);
        }
        String[] opts = {"-o", "tcp.check_checksum:TRUE", "-o", "mptcp.analyze_mappings:TRUE"};
        String fromStack = "ip.src == 10.3.1.1 && tcp.len > 0";
        assertTrue(KernelInteropTest.tshark(pcap, opts, fromStack).length() > 0, "the capture holds jmptcp data");
        // Packets of at most the MTU were segmented (or never joined) and carry a full checksum; a
        // larger one is a super-segment the kernel passed on whole (its checksum is partial, as with
        // the kernel's own TSO).
        assertEquals("", KernelInteropTest.tshark(pcap, opts, fromStack + " && ip.len <= 1500 && tcp.checksum.status == 0"),
                "segments with a bad TCP checksum");
        assertEquals("", KernelInteropTest.tshark(pcap, opts, "_ws.malformed || _ws.malformed.expert"));
        if (mptcp) {
            assertEquals("", KernelInteropTest.tshark(pcap, opts, fromStack + " && mptcp.dss.missing_mapping"),
                    "data without a DSS mapping");
            assertEquals("", KernelInteropTest.tshark(pcap, opts,
                    fromStack + " && tcp.options.mptcp.datalvllen && tcp.options.mptcp.datalvllen < tcp.len"),
                    "a mapping shorter than its segment");
        }
        String large = KernelInteropTest.tshark(pcap, opts, fromStack + " && ip.len > 1500");
        int superSegments = large.isEmpty() ? 0 : large.split(" ").length;
        if (offload) {
            // One DSS mapping per chunk, repeated on each of its segments, lets MPTCP data join
            // into super-segments as plain TCP does (461 of them in 24 MiB when first run).
            assertTrue(superSegments > 0, "jmptcp's data left as super-segments");
        } else {
            assertEquals(0, superSegments, "--no-offload writes one packet at a time");
        }
    }
}
