package io.jmptcp.cli.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.MptcpOption.AddAddr;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.MptcpOption.MpPrio;
import io.jmptcp.core.wire.MptcpOption.RemoveAddr;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import io.jmptcp.tun.pcap.PcapFrame;
import io.jmptcp.tun.pcap.PcapLinkReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Whatever bytes a frame holds, decoding and both renderers must not throw, and the JSON must
 * stay valid with the contract's keys.
 */
class DecodeRobustnessTest {

    private static final byte[] TEMPLATE = template();

    private static byte[] template() {
        try {
            TcpHeader h = new TcpHeader(1, 2, 3, 4, TcpHeader.ACK, 5, 0, 0, List.of(
                    new Dss(true, false, 7, true, true, 8, 9, 10, false, true, 11),
                    new MpPrio(true), new RemoveAddr(List.of(1, 2))));
            ByteBuffer out = ByteBuffer.allocate(200);
            int n = IpPacketCodec.emit(out, 0, InetAddress.getByName("10.0.0.1"),
                    InetAddress.getByName("10.0.0.2"), 64, h, ByteBuffer.allocate(8), 0, 8);
            return Arrays.copyOf(out.array(), n);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static void decodeAndRender(byte[] ipPacket) {
        PcapFrame f = new PcapFrame(1, 0, 0, PcapLinkReader.LINKTYPE_RAW, ipPacket, ipPacket.length,
                PcapLinkReader.locate(PcapLinkReader.LINKTYPE_RAW, ipPacket));
        CaptureDecoder.Decoded d = CaptureDecoder.decodeFrame(f);
        if (d.segment() != null) {
            Map<String, Object> j = StrictJson.object(SegmentJson.render(d.segment()));
            assertEquals(BigInteger.ONE, j.get("frame"));
            assertEquals(11, j.size());
            SegmentText.render(d.segment());
        }
    }

    @Property(tries = 2000)
    void mutatedMptcpPacketsNeverBreakTheDecoder(@ForAll @IntRange(min = 0, max = 80) int position,
                                                 @ForAll byte value,
                                                 @ForAll @IntRange(min = 0, max = 80) int position2,
                                                 @ForAll byte value2) {
        byte[] p = TEMPLATE.clone();
        // mostly the TCP header and options (from byte 20), sometimes the IP header
        p[position % p.length] = value;
        p[(20 + position2) % p.length] = value2;
        decodeAndRender(p);
    }

    @Property(tries = 500)
    void arbitraryBytesNeverBreakTheDecoder(@ForAll @Size(max = 120) byte[] bytes) {
        decodeAndRender(bytes);
    }

    @Property(tries = 300)
    void arbitraryOptionAreasRenderAsValidJson(@ForAll @Size(max = 40) byte[] optionBytes) {
        // the codec's view of an arbitrary option area, rendered through every path
        List<TcpOption> options = io.jmptcp.core.wire.TcpOptionCodec.parse(
                ByteBuffer.wrap(optionBytes), 0, optionBytes.length);
        try {
            DecodedSegment s = new DecodedSegment(3, 0, InetAddress.getByName("::1"), 1,
                    InetAddress.getByName("::2"), 2, 0xFF, -1, -1, 65535, 0, options);
            Map<String, Object> j = StrictJson.object(SegmentJson.render(s));
            assertEquals(options.size(), ((List<?>) j.get("options")).size());
            assertEquals("FSRPAUEC", j.get("flags"));
            SegmentText.render(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Property(tries = 200)
    void keysAndHmacsRoundTripThroughJsonExactly(@ForAll long key, @ForAll long hmac,
                                                 @ForAll @IntRange(min = 0, max = 255) int id)
            throws Exception {
        DecodedSegment s = new DecodedSegment(1, 0, InetAddress.getByName("1.2.3.4"), 1,
                InetAddress.getByName("5.6.7.8"), 2, 0, 0, 0, 0, 0, List.of(MpCapable.ack(1, key, ~key),
                new AddAddr(false, id, InetAddress.getByName("10.1.2.3"), -1, hmac)));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> mp = (List<Map<String, Object>>) StrictJson.object(SegmentJson.render(s))
                .get("mptcp");
        assertEquals(new BigInteger(Long.toUnsignedString(key)), mp.get(0).get("sender_key"));
        assertEquals(new BigInteger(Long.toUnsignedString(~key)), mp.get(0).get("receiver_key"));
        assertEquals(String.format("%016x", hmac), mp.get(1).get("hmac"));
        assertEquals(BigInteger.valueOf(id), mp.get(1).get("address_id"));
    }
}
