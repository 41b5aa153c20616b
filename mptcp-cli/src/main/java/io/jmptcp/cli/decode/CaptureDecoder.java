package io.jmptcp.cli.decode;

import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.PacketParse;
import io.jmptcp.tun.pcap.PcapFrame;
import io.jmptcp.tun.pcap.PcapReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Reads a pcap or pcapng capture and decodes every IPv4/IPv6 TCP segment in it with the project's
 * codec ({@link IpPacketCodec}, which reads the TCP options with {@code TcpOptionCodec} and
 * {@code MptcpOptionCodec}). Frames that hold no TCP segment are counted by reason, not thrown.
 */
public final class CaptureDecoder {
    /** The largest IP packet a truncated frame is padded back to (IPv6 jumbograms aside). */
    private static final int MAX_IP_PACKET = 0xFFFF + 40;

    private CaptureDecoder() {
    }

    /**
     * What decoding a capture produced besides the segments.
     *
     * @param frames  packets read from the file
     * @param skipped frames without a decodable TCP segment, counted by reason
     * @param failure why the file could not be read to its end (not a capture, cut short), if so
     */
    public record Summary(int frames, Map<String, Integer> skipped, Optional<String> failure) {
        public Summary {
            skipped = Map.copyOf(skipped);
        }

        public int skippedCount() {
            return skipped.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** Segments and summary of a whole capture. */
    public record Result(List<DecodedSegment> segments, Summary summary) {
        public Result {
            segments = List.copyOf(segments);
        }
    }

    /** Decodes a whole capture file into memory. Throws only when the file cannot be read. */
    public static Result decode(Path capture) throws IOException {
        List<DecodedSegment> out = new ArrayList<>();
        Summary summary = decode(capture, out::add);
        return new Result(out, summary);
    }

    /** Decodes a capture, handing each segment to {@code sink} as it is read (for big files). */
    public static Summary decode(Path capture, Consumer<DecodedSegment> sink) throws IOException {
        try (PcapReader reader = PcapReader.open(capture)) {
            int frames = 0;
            Map<String, Integer> skipped = new TreeMap<>();
            for (PcapFrame f = reader.next(); f != null; f = reader.next()) {
                frames++;
                Decoded d = decodeFrame(f);
                if (d.segment() != null) {
                    sink.accept(d.segment());
                } else {
                    skipped.merge(d.skipReason(), 1, Integer::sum);
                }
            }
            return new Summary(frames, skipped, reader.failure());
        }
    }

    /** A frame's outcome: a segment, or the reason it has none. */
    record Decoded(DecodedSegment segment, String skipReason) {
    }

    static Decoded decodeFrame(PcapFrame frame) {
        if (!(frame.network() instanceof PcapFrame.Ip ip)) {
            return new Decoded(null, "not IP: " + ((PcapFrame.NotIp) frame.network()).reason());
        }
        byte[] data = frame.data();
        int captured = data.length;
        if (frame.truncated()) {
            // Cut at the snapshot length: let the codec see the packet at its original length
            // (the missing payload reads as zeros), and accept the result only if the captured
            // bytes cover the whole TCP header, so every value shown was really captured.
            data = Arrays.copyOf(data, ip.offset() + Math.max(captured - ip.offset(),
                    Math.min(frame.originalLength() - ip.offset(), MAX_IP_PACKET)));
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        PacketParse parsed = IpPacketCodec.parse(buf, ip.offset(), data.length - ip.offset());
        if (parsed instanceof PacketParse.Rejected r) {
            return new Decoded(null, r.reason() == PacketParse.Reason.NOT_TCP
                    ? "not TCP" : "IPv" + ip.version() + " packet not decodable: " + r.reason());
        }
        PacketParse.Tcp t = (PacketParse.Tcp) parsed;
        if (t.payloadOffset() > captured) {
            return new Decoded(null, "TCP header cut short by the snapshot length");
        }
        var h = t.header();
        return new Decoded(new DecodedSegment(frame.index(), frame.timestampNanos(), t.src(),
                h.srcPort(), t.dst(), h.dstPort(), h.flags(), h.seq(), h.ack(), h.window(),
                t.payloadLength(), h.options()), null);
    }
}
