package io.jmptcp.core.tcp;

import static io.jmptcp.core.tcp.Script.ISS;
import static io.jmptcp.core.tcp.Script.PEER_ISS;
import static io.jmptcp.core.tcp.Script.ack;
import static io.jmptcp.core.tcp.Script.data;
import static io.jmptcp.core.tcp.Script.plainConfig;
import static io.jmptcp.core.tcp.Script.rstAck;
import static io.jmptcp.core.tcp.Script.seg;
import static io.jmptcp.core.wire.TcpHeader.ACK;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jmptcp.core.wire.MptcpOption;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine extensions the MPTCP layer uses: ACK on demand, RST with options, RTO count, SND.UNA. */
class MptcpHooksScriptTest {
    static final int A = ISS + 1;
    static final int P = PEER_ISS + 1;

    @Test
    void sendAckEmitsOnePureAckOnDemand() {
        Script s = Script.established(plainConfig());
        s.expectNothingUntil(50_000);
        s.conn.sendAck();
        s.expect(50_000, ack(A, P));
        s.expectNothingUntil(100_000);
    }

    @Test
    void abortCarriesTheGivenOptions() {
        Script s = Script.established(plainConfig());
        var fc = new MptcpOption.MpFastclose(0x1122334455667788L);
        s.conn.abort(List.of(fc));
        s.expect(10_000, rstAck(A, P).and("fastclose", x -> x.header().options().equals(List.of(fc))));
        s.state(TcpState.CLOSED);
    }

    @Test
    void consecutiveRtosAndUnaFollowTheTimer() {
        Script s = Script.established(plainConfig());
        s.conn.send(ByteBuffer.wrap(new byte[100]));
        s.expect(10_000, data(A, P, 100));
        assertEquals(1, s.conn.sndUnaRelative());
        assertEquals(101, s.conn.sndNxtRelative());
        s.expect(220_000, data(A, P, 100)); // RTO = SRTT + max(4 RTTVAR, 200 ms) after the send at 10 ms
        assertEquals(1, s.conn.consecutiveRtos());
        s.send(230_000, seg(ACK, P, A + 100, 0));
        assertEquals(0, s.conn.consecutiveRtos());
        assertEquals(101, s.conn.sndUnaRelative());
    }
}
