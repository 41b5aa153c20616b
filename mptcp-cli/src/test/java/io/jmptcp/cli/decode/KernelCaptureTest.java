package io.jmptcp.cli.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import io.jmptcp.core.mptcp.MptcpCrypto;
import io.jmptcp.core.wire.Checksum;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.PacketParse;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.tun.pcap.PcapFrame;
import io.jmptcp.tun.pcap.PcapReader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Captures real Linux kernel MPTCP traffic (kernel client to kernel server in two network
 * namespaces, two paths; {@code scripts/kernel-capture.sh}) and decodes it with our reader and
 * codec. Every TCP and MPTCP field must agree with tshark's dissection of the same file, the
 * capture must contain each element of the scenario (MP_CAPABLE, ADD_ADDR and echo, MP_JOIN,
 * DSS data both ways and on both subflows, DATA_FIN both ways), and the captured keys must
 * reproduce the first DSNs, the join token and HMACs and the ADD_ADDR HMAC.
 *
 * <p>Five captures: IPv4 over Linux cooked v1; IPv4 with DSS checksums over cooked v2 (the
 * checksums are recomputed); IPv6; path-manager events (MP_PRIO, REMOVE_ADDR next to a DSS); an
 * abort (MP_FASTCLOSE and MP_TCPRST on the RSTs). About 3 seconds each.
 */
@Tag("netns")
class KernelCaptureTest {
    @TempDir
    Path dir;

    @Test
    void kernelConnectionDecodesLikeTsharkAndItsKeysCheckOut() throws Exception {
        Host.requireNetns("tshark", "tcpdump", "python3");
        Path cap = capture("plain.pcap", "--bulk", "400000", "--linktype", "LINUX_SLL");
        assertEquals(113, PcapReader.readAll(cap).frames().get(0).linkType(), "Linux cooked v1");

        CaptureDecoder.Result r = CaptureDecoder.decode(cap);
        assertEquals(Optional.empty(), r.summary().failure());
        assertEquals(Map.of("not TCP", 1), r.summary().skipped(), "only the UDP end marker is skipped");
        TsharkComparison.Counts counts = TsharkComparison.assertAgrees(cap, r.segments());
        assertTrue(counts.bySubtype().keySet().containsAll(List.of("MP_CAPABLE", "MP_JOIN", "DSS",
                "ADD_ADDR")), counts.toString());

        KernelScenario k = new KernelScenario(r.segments());
        k.assertComplete(false, true);
        assertEquals(2 + 3 + 1, k.assertCrypto(), "DSN per direction, join token + 2 HMACs, ADD_ADDR");
    }

    @Test
    void kernelConnectionWithDssChecksums() throws Exception {
        Host.requireNetns("tshark", "tcpdump", "python3");
        // --late-announce: the client's first data rides MP_CAPABLE with DLL and checksum (24 bytes)
        Path cap = capture("csum.pcap", "--checksum", "--late-announce", "--bulk", "400000",
                "--linktype", "LINUX_SLL2");
        assertEquals(276, PcapReader.readAll(cap).frames().get(0).linkType(), "Linux cooked v2");

        CaptureDecoder.Result r = CaptureDecoder.decode(cap);
        assertEquals(Optional.empty(), r.summary().failure());
        TsharkComparison.assertAgrees(cap, r.segments());

        KernelScenario k = new KernelScenario(r.segments());
        k.assertComplete(true, true);
        assertEquals(6, k.assertCrypto());
        // The checksums must be the kernel's, not just two bytes in the right place: recompute
        // them (RFC 8684 3.3.1), with the decoded DSN, SSN and data-level length.
        DecodedSegment mpcData = k.first(s -> KernelScenario.capableData(s) != null, "MP_CAPABLE with data");
        MptcpOption.MpCapable mpc = KernelScenario.capableData(mpcData);
        assertEquals(MptcpOption.CapableForm.ACK_DATA_CSUM, mpc.form());
        assertTrue(verifyCapableChecksum(cap, mpcData, mpc), "MP_CAPABLE data checksum");
        int[] verified = verifyDssChecksums(cap, r.segments());
        assertTrue(verified[0] >= 2, "mappings in one segment checked: " + verified[0]);
        assertTrue(verified[1] >= 1, "mappings over several segments checked: " + verified[1]);
    }

    @Test
    void kernelConnectionOverIpv6() throws Exception {
        Host.requireNetns("tshark", "tcpdump", "python3");
        Path cap = capture("v6.pcap", "--ipv6", "--bulk", "400000", "--linktype", "LINUX_SLL2");

        CaptureDecoder.Result r = CaptureDecoder.decode(cap);
        assertEquals(Optional.empty(), r.summary().failure());
        TsharkComparison.assertAgrees(cap, r.segments());

        KernelScenario k = new KernelScenario(r.segments());
        assertTrue(k.client instanceof java.net.Inet6Address, "an IPv6 connection");
        k.assertComplete(false, true);
        // includes the ADD_ADDR HMAC over a 16-byte address
        assertEquals(6, k.assertCrypto());
    }

    @Test
    void kernelPathManagerEventsMpPrioAndRemoveAddr() throws Exception {
        Host.requireNetns("tshark", "tcpdump", "python3");
        Path cap = capture("pm.pcap", "--pm-events");

        CaptureDecoder.Result r = CaptureDecoder.decode(cap);
        assertEquals(Optional.empty(), r.summary().failure());
        TsharkComparison.Counts counts = TsharkComparison.assertAgrees(cap, r.segments());
        assertTrue(counts.bySubtype().containsKey("MP_PRIO"), counts.toString());
        assertTrue(counts.bySubtype().containsKey("REMOVE_ADDR"), counts.toString());
        KernelScenario k = new KernelScenario(r.segments());
        // Linux puts MP_PRIO and REMOVE_ADDR next to a DSS: segments with two MPTCP options
        assertTrue(k.all(s -> OptionFields.mptcp(s.options()).size() == 2).size() >= 2,
                "segments carrying two MPTCP options");
        MptcpOption.MpPrio prio = KernelScenario.option(k.first(s ->
                KernelScenario.option(s, MptcpOption.MpPrio.class) != null, "MP_PRIO"),
                MptcpOption.MpPrio.class);
        assertTrue(prio.backup(), "the endpoint was marked backup");
        MptcpOption.RemoveAddr rm = KernelScenario.option(k.first(s ->
                KernelScenario.option(s, MptcpOption.RemoveAddr.class) != null, "REMOVE_ADDR"),
                MptcpOption.RemoveAddr.class);
        assertEquals(List.of(1), rm.addressIds(), "the deleted endpoint's id");
        k.assertComplete(false, false);
        assertEquals(6, k.assertCrypto());
    }

    @Test
    void kernelAbortSendsMpFastcloseAndMpTcpRst() throws Exception {
        Host.requireNetns("tshark", "tcpdump", "python3");
        Path cap = capture("fastclose.pcap", "--fastclose");

        CaptureDecoder.Result r = CaptureDecoder.decode(cap);
        assertEquals(Optional.empty(), r.summary().failure());
        TsharkComparison.Counts counts = TsharkComparison.assertAgrees(cap, r.segments());
        assertTrue(counts.bySubtype().containsKey("MP_TCPRST"), counts.toString());
        KernelScenario k = new KernelScenario(r.segments());
        List<DecodedSegment> resets = k.all(s -> KernelScenario.option(s, MptcpOption.MpFastclose.class) != null);
        assertEquals(2, resets.size(), "one MP_FASTCLOSE reset per subflow");
        for (DecodedSegment s : resets) {
            assertTrue((s.flags() & TcpHeader.RST) != 0, "MP_FASTCLOSE rides a RST, frame " + s.frame());
            assertEquals(k.client, k.sideOf(s), "the client aborted");
            // RFC 8684 3.5: the option carries the key of the host that receives it
            assertEquals(Long.toUnsignedString(k.serverKey), Long.toUnsignedString(
                    KernelScenario.option(s, MptcpOption.MpFastclose.class).receiverKey()));
        }
        assertEquals(6, k.assertCrypto());
    }

    /**
     * The checksum of MP_CAPABLE with data covers the implied mapping (RFC 8684 3.1): DSN =
     * IDSN(sender key) + 1, relative SSN 1, the option's data-level length.
     */
    private static boolean verifyCapableChecksum(Path cap, DecodedSegment s, MptcpOption.MpCapable c)
            throws Exception {
        PcapFrame f = PcapReader.readAll(cap).frames().get(s.frame() - 1);
        ByteBuffer buf = ByteBuffer.wrap(f.data());
        PacketParse.Tcp t = (PacketParse.Tcp) IpPacketCodec.parse(buf, f.ipOffset(),
                f.data().length - f.ipOffset());
        assertEquals(c.dataLevelLength(), t.payloadLength(), "the mapping is this segment's payload");
        return Checksum.dssValid(MptcpCrypto.idsn(c.senderKey()) + 1, 1, c.dataLevelLength(),
                c.checksum(), buf, t.payloadOffset(), t.payloadLength());
    }

    /**
     * Recomputes the DSS checksum (RFC 8684 3.3.1) of every mapping whose payload the capture
     * holds: the checksum covers the whole mapping, which Linux spreads over several (GSO)
     * segments, so the payload is gathered per direction by relative subflow sequence number
     * (TCP sequence minus the subflow's ISN). Returns {mappings in one segment, mappings over
     * several segments} verified.
     */
    private static int[] verifyDssChecksums(Path cap, List<DecodedSegment> segments) throws Exception {
        List<PcapFrame> frames = PcapReader.readAll(cap).frames();
        Map<String, Integer> isn = new HashMap<>();
        Map<String, TreeMap<Long, byte[]>> payloads = new HashMap<>();
        for (DecodedSegment s : segments) {
            String dir = s.src().getHostAddress() + ":" + s.srcPort() + ">" + s.dst().getHostAddress()
                    + ":" + s.dstPort();
            if ((s.flags() & TcpHeader.SYN) != 0) {
                isn.put(dir, s.seq());
            } else if (s.payloadLength() > 0 && isn.containsKey(dir)) {
                PcapFrame f = frames.get(s.frame() - 1);
                ByteBuffer buf = ByteBuffer.wrap(f.data());
                PacketParse.Tcp t = (PacketParse.Tcp) IpPacketCodec.parse(buf, f.ipOffset(),
                        f.data().length - f.ipOffset());
                byte[] data = Arrays.copyOfRange(f.data(), t.payloadOffset(),
                        t.payloadOffset() + t.payloadLength());
                payloads.computeIfAbsent(dir, d -> new TreeMap<>())
                        .put(Integer.toUnsignedLong(s.seq() - isn.get(dir)), data);
            }
        }
        int single = 0;
        int multi = 0;
        Set<String> seen = new HashSet<>();
        for (DecodedSegment s : segments) {
            Dss d = KernelScenario.mapping(s);
            String dir = s.src().getHostAddress() + ":" + s.srcPort() + ">" + s.dst().getHostAddress()
                    + ":" + s.dstPort();
            int len = d == null ? 0 : d.dataLevelLength() - (d.dataFin() ? 1 : 0);
            if (d == null || !d.hasChecksum() || len <= 0
                    || !seen.add(dir + "/" + d.dsn() + "/" + d.ssn())) {
                continue;
            }
            long ssn = Integer.toUnsignedLong(d.ssn());
            byte[] mapped = new byte[len];
            BitSet have = new BitSet(len);
            int pieces = 0;
            for (Map.Entry<Long, byte[]> e : payloads.getOrDefault(dir, new TreeMap<>()).entrySet()) {
                long from = Math.max(e.getKey(), ssn);
                long to = Math.min(e.getKey() + e.getValue().length, ssn + len);
                if (from < to) {
                    System.arraycopy(e.getValue(), (int) (from - e.getKey()), mapped, (int) (from - ssn),
                            (int) (to - from));
                    have.set((int) (from - ssn), (int) (to - ssn));
                    pieces++;
                }
            }
            if (have.cardinality() != len) {
                continue; // part of the mapping is not in the capture
            }
            assertTrue(Checksum.dssValid(d.dsn(), d.ssn(), d.dataLevelLength(), d.checksum(),
                    ByteBuffer.wrap(mapped), 0, len), "DSS checksum of the mapping in frame " + s.frame());
            if (pieces == 1) {
                single++;
            } else {
                multi++;
            }
        }
        return new int[] {single, multi};
    }

    private Path capture(String name, String... args) {
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>();
        cmd.add(Testbed.script("kernel-capture.sh").toString());
        cmd.addAll(List.of(args));
        cmd.add(out.toString());
        Host.run(60, cmd).check();
        assertTrue(Files.exists(out), "capture written");
        return out;
    }
}
