package io.jmptcp.core.bench;

import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.PacketParse;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One MPTCP data packet as the stack sends and receives it on the hot path: IPv4, TCP with
 * timestamps and a DSS (64-bit DATA_ACK, 64-bit mapping), 1,400 bytes of payload. Parsing checks
 * both checksums and decodes every option; emitting writes headers, options, payload and both
 * checksums.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBenchmark {
    private final ByteBuffer packet = ByteBuffer.allocate(1500);
    private final ByteBuffer out = ByteBuffer.allocate(1500);
    private final ByteBuffer payload = ByteBuffer.allocate(1400);
    private InetAddress src;
    private InetAddress dst;
    private TcpHeader header;
    private int length;

    @Setup
    public void build() throws UnknownHostException {
        src = InetAddress.getByName("10.0.1.1");
        dst = InetAddress.getByName("10.0.9.1");
        MptcpOption.Dss dss = new MptcpOption.Dss(true, true, 0x0102030405060708L, true, true, 0x1112131415161718L,
                4242, 1400, false, false, 0);
        header = new TcpHeader(40000, 5000, 123456, 654321, TcpHeader.ACK, 1024, 0, 0,
                List.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(1, 2), dss));
        length = IpPacketCodec.emit(packet, 0, src, dst, 64, header, payload, 0, payload.capacity());
        packet.limit(length);
    }

    @Benchmark
    public PacketParse parse() {
        return IpPacketCodec.parse(packet, 0, length);
    }

    @Benchmark
    public int emit() {
        return IpPacketCodec.emit(out, 0, src, dst, 64, header, payload, 0, payload.capacity());
    }
}
