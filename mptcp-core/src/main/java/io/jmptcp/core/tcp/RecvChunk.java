package io.jmptcp.core.tcp;

import java.nio.ByteBuffer;

/**
 * In-order received bytes with their subflow sequence number relative to the peer's ISN (first data
 * byte is 1). The array is shared with the segment it came in; do not modify it.
 */
public record RecvChunk(long relativeSeq, byte[] data, int offset, int length) {
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data, offset, length).asReadOnlyBuffer();
    }
}
