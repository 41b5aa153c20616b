package io.jmptcp.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.wire.IpPacketCodec.Ipv4Fields;
import io.jmptcp.core.wire.IpPacketCodec.Ipv6Fields;
import io.jmptcp.core.wire.MptcpOption.CapableForm;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every packet of three Linux 6.18 MPTCP v1 connections (captured by
 * {@code src/test/resources/wire/capture-linux.sh}: two paths, MP_JOIN, ADD_ADDR of IPv4 and IPv6
 * addresses and their echoes, DATA_FIN; one run with DSS checksums) must parse, with valid IP and
 * TCP checksums by our checksum code, no malformed or unknown option, every DSS checksum verified by
 * our DSS checksum code, and must re-emit to the very same bytes.
 */
class LinuxCaptureTest {

    static List<byte[]> load(String name) throws IOException {
        try (InputStream in = LinuxCaptureTest.class.getResourceAsStream("/wire/" + name)) {
            assertTrue(in != null, "missing resource " + name);
            List<byte[]> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (!line.isBlank()) {
                    out.add(Hex.bytes(line.trim()));
                }
            }
            return out;
        }
    }

    /** IDSN = low 64 bits of SHA-256 of the big-endian key (RFC 8684 section 3.1). */
    static long idsn(long key) throws NoSuchAlgorithmException {
        byte[] h = MessageDigest.getInstance("SHA-256").digest(ByteBuffer.allocate(8).putLong(key).array());
        return ByteBuffer.wrap(h).getLong(24);
    }

    @ParameterizedTest
    @ValueSource(strings = {"linux-v4.hex", "linux-v4-csum.hex", "linux-v6.hex"})
    void everyLinuxPacketParsesVerifiesAndReemits(String file) throws Exception {
        List<byte[]> packets = load(file);
        assertTrue(packets.size() > 30, "capture too small: " + packets.size());
        Map<String, Integer> isn = new HashMap<>();
        Map<String, Integer> subtypeCounts = new TreeMap<>();
        Map<String, MappingSum> mappings = new HashMap<>();
        int dssChecksumsVerified = 0;
        int multiSegmentMappings = 0;
        for (byte[] p : packets) {
            ByteBuffer buf = ByteBuffer.wrap(p);
            PacketParse.Tcp t = assertInstanceOf(PacketParse.Tcp.class, IpPacketCodec.parse(buf, 0, p.length));
            assertTrue(t.ipChecksumValid(), "IP checksum");
            assertTrue(t.tcpChecksumValid(), "TCP checksum of " + Hex.hex(p));
            TcpHeader h = t.header();
            String flow = t.src() + ":" + h.srcPort() + ">" + t.dst() + ":" + h.dstPort();
            if (h.has(TcpHeader.SYN)) {
                isn.put(flow, h.seq());
            }
            for (TcpOption o : h.options()) {
                assertFalse(o instanceof TcpOption.Malformed || o instanceof MptcpOption.MptcpMalformed
                        || o instanceof TcpOption.Unknown || o instanceof MptcpOption.MptcpUnknown, o::toString);
                if (o instanceof MptcpOption m) {
                    subtypeCounts.merge(m.getClass().getSimpleName(), 1, Integer::sum);
                }
                if (o instanceof Dss d && d.hasMapping() && d.hasChecksum() && d.dataLevelLength() > 0) {
                    // RFC 8684 section 3.3.1: the checksum covers the whole mapping, which Linux may
                    // spread over several segments (each repeating the mapping): sum piece by piece.
                    int fin = d.dataFin() ? 1 : 0;
                    MappingSum m = mappings.get(flow);
                    if (m == null || !m.dss.equals(d)) {
                        m = new MappingSum(d, Checksum.add16(Checksum.dssPseudoHeader(d.dsn(), d.ssn(),
                                d.dataLevelLength()), d.checksum()));
                        mappings.put(flow, m);
                    }
                    long pos = Integer.toUnsignedLong(h.seq() - isn.get(flow) - d.ssn());
                    m.acc = Checksum.add(m.acc, buf, t.payloadOffset(), t.payloadLength(), pos);
                    m.received += t.payloadLength();
                    m.segments++;
                    if (m.received + fin == d.dataLevelLength()) {
                        assertEquals(0xffff, Checksum.fold(m.acc), () -> "DSS checksum of mapping " + d);
                        dssChecksumsVerified++;
                        multiSegmentMappings += m.segments > 1 ? 1 : 0;
                        mappings.remove(flow);
                    }
                }
                if (o instanceof MpCapable c && c.form() == CapableForm.ACK_DATA_CSUM) {
                    // RFC 8684 section 3.1: MP_CAPABLE with data maps DSN = IDSN + 1, SSN 1.
                    assertTrue(Checksum.dssValid(idsn(c.senderKey()) + 1, 1, c.dataLevelLength(), c.checksum(),
                            buf, t.payloadOffset(), t.payloadLength()), "MPC checksum of " + c);
                    dssChecksumsVerified++;
                }
            }
            assertEquals(Hex.hex(p), Hex.hex(reemit(buf, t)), "re-emitted packet");
        }
        // The capture holds the handshake, a join and address signalling.
        assertTrue(subtypeCounts.getOrDefault("MpCapable", 0) >= 3, subtypeCounts::toString);
        assertTrue(subtypeCounts.getOrDefault("MpJoinSyn", 0) >= 1, subtypeCounts::toString);
        assertTrue(subtypeCounts.getOrDefault("MpJoinSynAck", 0) >= 1, subtypeCounts::toString);
        assertTrue(subtypeCounts.getOrDefault("MpJoinAck", 0) >= 1, subtypeCounts::toString);
        assertTrue(subtypeCounts.getOrDefault("AddAddr", 0) >= 2, subtypeCounts::toString);
        assertTrue(subtypeCounts.getOrDefault("Dss", 0) >= 20, subtypeCounts::toString);
        if (file.contains("csum")) {
            assertTrue(dssChecksumsVerified >= 10, "verified only " + dssChecksumsVerified);
            assertTrue(multiSegmentMappings >= 1, "no mapping spanning segments was checked");
            assertTrue(mappings.isEmpty(), () -> "mappings never completed: " + mappings.keySet());
        }
    }

    /** The running checksum of one DSS mapping being received. */
    static final class MappingSum {
        final Dss dss;
        int acc;
        int received;
        int segments;

        MappingSum(Dss dss, int acc) {
            this.dss = dss;
            this.acc = acc;
        }
    }

    /** Emits the parsed packet again with the captured IP header fields. */
    static byte[] reemit(ByteBuffer buf, PacketParse.Tcp t) {
        ByteBuffer out = ByteBuffer.allocate(buf.capacity());
        int n;
        if (t.ipVersion() == 4) {
            Ipv4Packet ip = new Ipv4Packet(buf, t.ipHeaderOffset());
            n = IpPacketCodec.emitIpv4(out, 0, new Ipv4Fields(ip.srcAddr(), ip.dstAddr(), ip.tos(), ip.ttl(),
                    ip.identification(), ip.dontFragment()), t.header(), buf, t.payloadOffset(), t.payloadLength());
        } else {
            Ipv6Packet ip = new Ipv6Packet(buf, t.ipHeaderOffset());
            n = IpPacketCodec.emitIpv6(out, 0, new Ipv6Fields(ip.srcAddrHigh(), ip.srcAddrLow(), ip.dstAddrHigh(),
                    ip.dstAddrLow(), ip.trafficClass(), ip.flowLabel(), ip.hopLimit()), t.header(), buf,
                    t.payloadOffset(), t.payloadLength());
        }
        byte[] b = new byte[n];
        out.get(0, b);
        return b;
    }
}
