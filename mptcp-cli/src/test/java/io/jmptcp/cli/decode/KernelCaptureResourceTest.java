package io.jmptcp.cli.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code decode --json} on a stored capture of Linux kernel MPTCP traffic, without root.
 *
 * <p>{@code decode/kernel-mptcp.pcap} (31 frames, Linux cooked v2) was made on Linux 6.18 with
 * {@code scripts/kernel-capture.sh --linktype LINUX_SLL2}: kernel client 10.231.1.1 to kernel
 * server 10.231.1.2:5201, the server announcing 10.231.2.2 (ADD_ADDR, echo), the client joining
 * from 10.231.2.1 (MP_JOIN), "hello\n"/"welcome\n"/"more\n"/"bye 5\n" exchanged, a DATA_FIN each
 * way, and a UDP datagram at the end (the script's end marker).
 *
 * <p>{@code decode/kernel-mptcp.tshark.jsonl} is tshark 4.0.17's dissection of that file in the
 * {@code --json} shape, written by {@link TsharkExpectations} (see its comment for the command).
 * It was checked by hand against {@code tshark -V -o tcp.relative_sequence_numbers:FALSE
 * -o mptcp.relative_sequence_numbers:FALSE}: the keys of frames 2-3, the ADD_ADDR of frame 4
 * (HMAC 10452171322617839815 = 0x910d9270a02940c7), the MP_JOIN token/nonces/HMACs of frames 6-8,
 * the 32-bit DATA_ACK of the join's fourth ACK (frame 9), the DSNs and DATA_FINs of frames 10-21.
 * The hand-checked values are asserted below as well; the crypto values were recomputed
 * independently with Python's hashlib/hmac.
 */
class KernelCaptureResourceTest {
    static Path resource(String name) throws Exception {
        return Path.of(KernelCaptureResourceTest.class.getResource("/decode/" + name).toURI());
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run decode(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of("decode"));
        all.addAll(List.of(args));
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private static List<Map<String, Object>> jsonLines(String text) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(StrictJson.object(line));
            }
        }
        return out;
    }

    @Test
    void jsonOutputEqualsTsharksDissection() throws Exception {
        Run r = decode("--json", resource("kernel-mptcp.pcap").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("skipped 1 of 31 frames"), r.err());
        List<Map<String, Object>> ours = jsonLines(r.out());
        List<Map<String, Object>> expected = jsonLines(
                Files.readString(resource("kernel-mptcp.tshark.jsonl")));
        assertEquals(30, ours.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), ours.get(i), "frame " + (i + 1));
        }
        assertEquals(expected.size(), ours.size());
        // byte for byte too: the stored lines are compact JSON with keys in the contract's order
        assertEquals(Files.readAllLines(resource("kernel-mptcp.tshark.jsonl")), r.out().lines().toList());
    }

    @Test
    void handCheckedValues() throws Exception {
        List<Map<String, Object>> j = jsonLines(decode("--json",
                resource("kernel-mptcp.pcap").toString()).out());
        assertEquals(Map.of("subtype", "MP_CAPABLE", "version", n(1), "flags", n(1)), mptcp(j, 1));
        assertEquals(n("9773096275978551124"), mptcp(j, 2).get("sender_key"));
        assertEquals(Map.of("subtype", "MP_CAPABLE", "version", n(1), "flags", n(1),
                "sender_key", n("3897319220101720039"), "receiver_key", n("9773096275978551124")),
                mptcp(j, 3));
        assertEquals(Map.of("subtype", "ADD_ADDR", "echo", false, "address_id", n(1),
                "address", "10.231.2.2", "hmac", "910d9270a02940c7"), mptcp(j, 4));
        assertEquals(Map.of("subtype", "ADD_ADDR", "echo", true, "address_id", n(1),
                "address", "10.231.2.2"), mptcp(j, 5));
        assertEquals(Map.of("subtype", "MP_JOIN", "backup", false, "address_id", n(1),
                "token", n(1312314222), "nonce", n("4225977175")), mptcp(j, 6));
        assertEquals(Map.of("subtype", "MP_JOIN", "backup", false, "address_id", n(1),
                "hmac", "939ea932c33827f8", "nonce", n(154820937)), mptcp(j, 7));
        assertEquals(Map.of("subtype", "MP_JOIN", "hmac", "bf55c33a41393228e43eea1ac57805bcf03eed0d"),
                mptcp(j, 8));
        assertEquals(Map.of("subtype", "DSS", "flags", n(1), "data_ack", n("2880399211"),
                "data_ack_len", n(4), "data_fin", false), mptcp(j, 9));
        // first data each way: DSN = IDSN(sender key) + 1
        assertEquals(n("9414855133628426091"), mptcp(j, 10).get("dsn"));
        assertEquals(n("465603674093149632"), mptcp(j, 12).get("dsn"));
        assertEquals(Map.of("subtype", "DSS", "flags", n(0x1f), "data_ack", n("465603674093149640"),
                "data_ack_len", n(8), "dsn", n("9414855133628426102"), "dsn_len", n(8), "ssn", n(0),
                "data_len", n(1), "data_fin", true), mptcp(j, 15));
        assertEquals(List.of("mss", "sack_perm", "timestamps", "nop", "wscale", "mptcp"),
                j.get(0).get("options"));
    }

    @Test
    void scenarioAndCryptoHoldOnTheStoredCapture() throws Exception {
        CaptureDecoder.Result r = CaptureDecoder.decode(resource("kernel-mptcp.pcap"));
        KernelScenario k = new KernelScenario(r.segments());
        k.assertComplete(false, false);
        assertEquals(6, k.assertCrypto());
    }

    /**
     * {@code kernel-mptcp.pcapng} and {@code kernel-mptcp.nsec.pcap} are the same capture
     * converted by Wireshark's writer ({@code editcap -F pcapng} and {@code editcap -F nsecpcap}):
     * files from an independent implementation must decode to exactly the same segments and
     * timestamps.
     */
    @Test
    void pcapngAndNanosecondPcapFromWiresharkDecodeIdentically() throws Exception {
        CaptureDecoder.Result pcap = CaptureDecoder.decode(resource("kernel-mptcp.pcap"));
        for (String other : List.of("kernel-mptcp.pcapng", "kernel-mptcp.nsec.pcap")) {
            CaptureDecoder.Result r = CaptureDecoder.decode(resource(other));
            assertEquals(Optional.empty(), r.summary().failure(), other);
            assertEquals(30, r.segments().size(), other);
            assertEquals(pcap.segments(), r.segments(), other);
            assertEquals(pcap.summary(), r.summary(), other);
        }
        assertEquals(io.jmptcp.tun.pcap.PcapReader.Format.PCAP_NANOS, io.jmptcp.tun.pcap.PcapReader
                .readAll(resource("kernel-mptcp.nsec.pcap")).format().orElseThrow());
        assertTrue(pcap.segments().get(0).timestampNanos() % 1000 == 0
                && pcap.segments().get(0).timestampNanos() > 1_700_000_000_000_000_000L, "µs capture time");
    }

    @Test
    void plainOutputIsOneReadableLinePerSegment() throws Exception {
        Run r = decode(resource("kernel-mptcp.pcap").toString());
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(30, lines.length);
        assertEquals("1 10.231.1.1:60852 > 10.231.1.2:5201 [S] seq=1672295643 ack=0 win=64240 len=0 "
                + "<mss 1460,sack_perm,ts val 1449478715 ecr 0,nop,wscale 10,mptcp MP_CAPABLE v1 flags=0x01>",
                lines[0]);
        assertEquals("4 10.231.1.2:5201 > 10.231.1.1:60852 [A] seq=1570405065 ack=1672295644 win=63 len=0 "
                + "<nop,nop,ts val 1860492093 ecr 1449478715,mptcp ADD_ADDR address_id=1 "
                + "address=10.231.2.2 hmac=910d9270a02940c7>", lines[3]);
        assertTrue(lines[14].endsWith("ssn=0 data_len=1 data_fin,nop,nop>"), lines[14]);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mptcp(List<Map<String, Object>> lines, int frame) {
        Map<String, Object> line = lines.get(frame - 1);
        assertEquals(BigInteger.valueOf(frame), line.get("frame"));
        List<Object> m = (List<Object>) line.get("mptcp");
        assertEquals(1, m.size(), "frame " + frame + " has one MPTCP option");
        return (Map<String, Object>) m.get(0);
    }

    private static BigInteger n(long v) {
        return BigInteger.valueOf(v);
    }

    private static BigInteger n(String v) {
        return new BigInteger(v);
    }
}
