package io.jmptcp.cli.decode;

import io.jmptcp.core.wire.TcpOption;
import java.net.InetAddress;
import java.util.List;

/**
 * One TCP segment found in a capture, with its options as the codec read them.
 *
 * @param frame          1-based packet number in the capture (as tshark numbers frames)
 * @param timestampNanos capture time, nanoseconds since the Unix epoch
 * @param seq            raw sequence number (unsigned 32-bit held in an int)
 * @param ack            raw acknowledgment number (unsigned 32-bit held in an int)
 * @param flags          the TCP flag bits (FIN 0x01 ... CWR 0x80)
 * @param payloadLength  payload bytes according to the IP length fields (the capture may hold
 *                       fewer when it was cut at the snapshot length)
 * @param options        every option in wire order, NOP and EOL included
 */
public record DecodedSegment(int frame, long timestampNanos, InetAddress src, int srcPort,
                             InetAddress dst, int dstPort, int flags, int seq, int ack, int window,
                             int payloadLength, List<TcpOption> options) {
    public DecodedSegment {
        options = List.copyOf(options);
    }
}
