package io.jmptcp.core.mptcp;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.sim.NetSim;
import io.jmptcp.core.sim.SimStack;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Request/response messages on virtual time: the client writes a {@code size}-byte request every
 * {@code interval}, the server answers each complete request with a {@code size}-byte response, and
 * the client records, per message, the time from writing the request to reading the whole response.
 */
final class RequestResponseApp {
    final int size;
    final long interval;
    final int count;
    private final NetSim sim;
    private final SimStack clientStack;
    private final byte[] buf = new byte[64 * 1024];
    private final long[] sentAt;
    private int requestsSent;
    private long clientRead;
    private long serverRead;
    private long responsesWritten;
    private long responseBytesPending;
    final List<Long> latencies = new ArrayList<>();
    /** Messages before this one are not recorded (a warm-up). */
    int measureFrom;
    Connection client;
    Connection server;

    RequestResponseApp(NetSim sim, SimStack clientStack, int size, long interval, int count) {
        this.sim = sim;
        this.clientStack = clientStack;
        this.size = size;
        this.interval = interval;
        this.count = count;
        this.sentAt = new long[count];
    }

    /** Starts the requests now, one every {@link #interval}. */
    void start() {
        tick();
    }

    private void tick() {
        if (requestsSent >= count || client == null || client.state() != Connection.State.ESTABLISHED) {
            return;
        }
        byte[] req = new byte[size];
        Arrays.fill(req, (byte) requestsSent);
        int n = client.write(req, 0, size);
        if (n != size) {
            throw new IllegalStateException("request " + requestsSent + ": only " + n + " bytes written");
        }
        sentAt[requestsSent++] = sim.now();
        clientStack.step();
        sim.after(interval, this::tick);
    }

    /** The client's pump: reads responses and notes the latency of each complete one. */
    void pumpClient() {
        if (client == null) {
            return;
        }
        int n;
        while ((n = client.read(buf, 0, buf.length)) > 0) {
            long before = clientRead / size;
            clientRead += n;
            for (long k = before; k < clientRead / size; k++) {
                if (k >= measureFrom) {
                    latencies.add(sim.now() - sentAt[(int) k]);
                }
            }
        }
    }

    /** The server's pump: reads requests and answers each complete one. */
    void pumpServer() {
        if (server == null) {
            return;
        }
        int n;
        while ((n = server.read(buf, 0, buf.length)) > 0) {
            long before = serverRead / size;
            serverRead += n;
            responseBytesPending += (serverRead / size - before) * size;
        }
        while (responseBytesPending > 0) {
            int w = server.write(buf, 0, (int) Math.min(responseBytesPending, buf.length));
            if (w <= 0) {
                break;
            }
            responseBytesPending -= w;
            responsesWritten += w;
        }
    }

    /** Starts recording with the next request. */
    void measureFromNext() {
        measureFrom = requestsSent;
    }

    boolean done() {
        return clientRead == (long) count * size;
    }

    /** The latency at quantile {@code q} (0..1) in microseconds: the nearest-rank method. */
    long quantile(double q) {
        long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        int rank = (int) Math.ceil(q * l.length);
        return l[Math.max(0, rank - 1)];
    }
}
