package io.jmptcp.cli.metrics;

import com.sun.net.httpserver.HttpServer;
import io.jmptcp.cli.control.StatusReport;
import io.jmptcp.core.conn.ConnectionInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code --metrics HOST:PORT}: the counters and per-connection gauges in the Prometheus text
 * exposition format (version 0.0.4) at {@code /metrics}, served by the JDK's HTTP server on one
 * thread.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    public static MetricsServer start(InetSocketAddress address, Supplier<StatusReport> report) throws IOException {
        HttpServer s = HttpServer.create(address, 16);
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jmptcp-metrics");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(ex);
        s.createContext("/metrics", h -> {
            try (h) {
                if (!"GET".equals(h.getRequestMethod())) {
                    h.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body = render(report.get()).getBytes(StandardCharsets.UTF_8);
                h.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                h.sendResponseHeaders(200, body.length);
                try (OutputStream o = h.getResponseBody()) {
                    o.write(body);
                }
            }
        });
        s.start();
        return new MetricsServer(s, ex);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** The exposition text. */
    public static String render(StatusReport r) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Long> e : r.counters().entrySet()) {
            String name = "jmptcp_" + e.getKey();
            boolean gauge = e.getKey().endsWith("_active");
            if (!gauge && !name.endsWith("_total")) {
                name += "_total";
            }
            b.append("# TYPE ").append(name).append(gauge ? " gauge\n" : " counter\n");
            b.append(name).append(' ').append(e.getValue()).append('\n');
        }
        b.append("# HELP jmptcp_socks_rejected_total SOCKS clients turned away, by reason\n");
        b.append("# TYPE jmptcp_socks_rejected_total counter\n");
        r.rejections().forEach((k, v) -> b.append("jmptcp_socks_rejected_total{reason=\"").append(escape(k))
                .append("\"} ").append(v).append('\n'));
        b.append("# TYPE jmptcp_connections gauge\njmptcp_connections ").append(r.connections().size()).append('\n');
        gauge(b, "jmptcp_connection_bytes_sent", "counter");
        r.connections().forEach((id, c) -> b.append("jmptcp_connection_bytes_sent").append(labels(id, c))
                .append(' ').append(c.bytesSent()).append('\n'));
        gauge(b, "jmptcp_connection_bytes_received", "counter");
        r.connections().forEach((id, c) -> b.append("jmptcp_connection_bytes_received").append(labels(id, c))
                .append(' ').append(c.bytesReceived()).append('\n'));
        gauge(b, "jmptcp_connection_subflows", "gauge");
        r.connections().forEach((id, c) -> b.append("jmptcp_connection_subflows").append(labels(id, c))
                .append(' ').append(c.subflows().size()).append('\n'));
        String[][] sf = {{"jmptcp_subflow_rtt_us", "gauge"}, {"jmptcp_subflow_cwnd_bytes", "gauge"},
            {"jmptcp_subflow_bytes_sent", "counter"}, {"jmptcp_subflow_bytes_received", "counter"},
            {"jmptcp_subflow_retransmits", "counter"}};
        for (int k = 0; k < sf.length; k++) {
            gauge(b, sf[k][0], sf[k][1]);
            final int which = k;
            r.connections().forEach((id, c) -> {
                for (ConnectionInfo.Subflow s : c.subflows()) {
                    long v = switch (which) {
                        case 0 -> s.rttMicros();
                        case 1 -> s.cwndBytes();
                        case 2 -> s.bytesSent();
                        case 3 -> s.bytesReceived();
                        default -> s.retransmits();
                    };
                    b.append(sf[which][0]).append("{id=\"").append(id).append("\",local=\"").append(escape(s.local()))
                            .append("\",remote=\"").append(escape(s.remote())).append("\"} ").append(v).append('\n');
                }
            });
        }
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String type) {
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String labels(long id, ConnectionInfo c) {
        return "{id=\"" + id + "\",local=\"" + escape(c.local()) + "\",remote=\"" + escape(c.remote())
                + "\",state=\"" + c.state() + "\",mptcp=\"" + c.mptcp() + "\"}";
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
