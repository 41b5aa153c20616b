package io.jmptcp.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jmptcp.cli.daemon.TwoStacks;
import io.jmptcp.cli.metrics.MetricsServer;
import io.jmptcp.cli.socks.SocksHandler;
import io.jmptcp.cli.status.StatusCommand;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The control socket (status JSON and table), its file handling, and the Prometheus endpoint. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlAndMetricsTest {
    @TempDir
    Path dir;
    TwoStacks t;

    @AfterEach
    void stop() {
        if (t != null) {
            t.close();
        }
    }

    @Test
    void statusShowsALiveRelayedConnectionWithEveryKeyAndMetricsAgree() throws Exception {
        Path control = dir.resolve("run/control.sock");
        t = new TwoStacks(new SocksHandler.Settings(null, null, 10_000), control, new InetSocketAddress("127.0.0.1", 0));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(control)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(control.getParent())));
        try (Socket s = new Socket("127.0.0.1", t.da.socksAddress().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            o.write(new byte[] {5, 1, 0, 5, 1, 0, 1, 10, 9, 0, 2, 0, 7});
            assertEquals(12, in.readNBytes(12).length);
            byte[] data = new byte[100_000];
            o.write(data);
            assertEquals(data.length, in.readNBytes(data.length).length, "echoed");

            String json = StatusCommand.ask(control, "status");
            assertTrue(json.startsWith("{\"connections\":[{\"id\":"), json);
            for (String key : new String[] {"id", "local", "remote", "state", "mptcp", "fallback", "bytes_sent",
                "bytes_received", "scheduler", "cc", "subflows", "backup", "rtt_us", "cwnd", "retransmits", "counters"}) {
                assertTrue(json.contains("\"" + key + "\":"), key + " in " + json);
            }
            Matcher m = Pattern.compile("\"bytes_sent\":(\\d+),\"bytes_received\":(\\d+),\"scheduler\"").matcher(json);
            assertTrue(m.find(), json);
            assertEquals(100_000, Long.parseLong(m.group(1)));
            assertEquals(100_000, Long.parseLong(m.group(2)));
            assertTrue(json.contains("\"state\":\"ESTABLISHED\""), json);
            assertTrue(json.contains("\"remote\":\"10.9.0.2:7\""), json);
            JsonNode status = new ObjectMapper().readTree(json);
            assertEquals(List.of("connections", "counters", "endpoints"), fieldNames(status));
            assertEquals("[{\"address\":\"10.9.0.1\",\"id\":1,\"flags\":[]}]", status.get("endpoints").toString());
            JsonNode conn = status.get("connections").get(0);
            assertEquals(List.of("id", "local", "remote", "state", "mptcp", "fallback", "bytes_sent", "bytes_received",
                    "scheduler", "cc", "subflows"), fieldNames(conn));
            assertEquals("10.9.0.2:7", conn.get("remote").asText());
            assertEquals(100_000, conn.get("bytes_received").asLong());
            JsonNode subflow = conn.get("subflows").get(0);
            assertEquals(List.of("local", "remote", "state", "backup", "rtt_us", "cwnd", "bytes_sent", "bytes_received",
                    "retransmits"), fieldNames(subflow));
            assertTrue(subflow.get("backup").isBoolean() && subflow.get("cwnd").isIntegralNumber(), subflow.toString());
            JsonNode counters = status.get("counters");
            assertEquals(1, counters.get("socks_connected_total").asLong(), counters.toString());
            assertEquals(1, counters.get("relays_active").asLong(), counters.toString());
            assertTrue(counters.get("socks_rejected_total").isObject(), counters.toString());

            String table = StatusCommand.ask(control, "table");
            assertTrue(table.contains("ESTABLISHED") && table.contains("subflow 10.9.0.1:") && table.contains("-> 10.9.0.2:7"), table);
            assertTrue(table.contains("1 connection(s)"), table);
            assertTrue(table.endsWith("\nendpoint id 1 10.9.0.1" + System.lineSeparator()), table);

            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + t.da.metricsAddress().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            String body = r.body();
            assertEquals(1.0, value(body, "jmptcp_socks_connected_total", Map.of()), body);
            assertEquals(1.0, value(body, "jmptcp_relays_active", Map.of()), body);
            assertEquals(1.0, value(body, "jmptcp_connections", Map.of()), body);
            assertTrue(body.contains("# TYPE jmptcp_socks_connected_total counter"), body);
            Map<String, String> labels = labels(body, "jmptcp_connection_bytes_sent");
            assertEquals(conn.get("id").asText(), labels.get("id"), body);
            assertTrue(labels.get("local").matches("10\\.9\\.0\\.1:\\d+"), body);
            assertEquals(Map.of("remote", "10.9.0.2:7", "state", "ESTABLISHED", "mptcp", "false"),
                    Map.of("remote", labels.get("remote"), "state", labels.get("state"), "mptcp", labels.get("mptcp")));
            assertEquals(5, labels.size(), body);
            assertEquals(100_000.0, value(body, "jmptcp_connection_bytes_sent", labels), body);
            assertEquals(100_000.0, value(body, "jmptcp_connection_bytes_received", labels), body);
            assertEquals(1.0, value(body, "jmptcp_connection_subflows", labels), body);
            assertTrue(body.contains("# TYPE jmptcp_subflow_rtt_us gauge"), body);
            Map<String, String> sf = Map.of("id", labels.get("id"), "local", subflow.get("local").asText(),
                    "remote", "10.9.0.2:7");
            assertEquals(100_000.0, value(body, "jmptcp_subflow_bytes_received", sf), body);
            assertTrue(value(body, "jmptcp_subflow_cwnd_bytes", sf) > 0, body);
            assertTrue(value(body, "jmptcp_tcp_in_segs_total", Map.of()) > 0, body);
            assertTrue(value(body, "jmptcp_in_packets_total", Map.of()) > 0, body);
        }
        IOException e = assertThrows(IOException.class, () -> StatusCommand.ask(control, "frobnicate"));
        assertTrue(e.getMessage().contains("unknown command"), e.getMessage());
    }

    @Test
    void badSocksClientsShowInStatusAndMetrics() throws Exception {
        Path control = dir.resolve("c.sock");
        t = new TwoStacks(new SocksHandler.Settings(null, null, 10_000), control, new InetSocketAddress("127.0.0.1", 0));
        try (Socket s = new Socket("127.0.0.1", t.da.socksAddress().getPort())) {
            s.getOutputStream().write(new byte[] {4, 1, 0});
            assertEquals(-1, s.getInputStream().read());
        }
        String json = StatusCommand.ask(control, "status");
        assertTrue(json.contains("\"socks_rejected_total\":{\"bad_version\":1}"), json);
        String body = MetricsServerText.of(t);
        assertEquals(1.0, value(body, "jmptcp_socks_rejected_total", Map.of("reason", "bad_version")), body);
        assertEquals(1.0, value(body, "jmptcp_socks_clients_total", Map.of()), body);

        // a second server in the same JVM has its own registry and reports its own daemon
        try (MetricsServer other = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), t.b, t.db.stats())) {
            String b = fetch(other.address());
            assertEquals(0.0, value(b, "jmptcp_socks_clients_total", Map.of()), b);
            assertEquals(Map.of(), samples(b, "jmptcp_socks_rejected_total"), b);
            assertEquals(0.0, value(b, "jmptcp_connections", Map.of()), b);
            assertEquals(1.0, value(MetricsServerText.of(t), "jmptcp_socks_clients_total", Map.of()), "A unchanged");
        }
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveDaemonIsNot() throws Exception {
        Path control = dir.resolve("s.sock");
        var group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Files.createFile(control); // left over from a crash
            try (ControlServer first = ControlServer.bind(group, control, () -> new StatusReport(
                    new java.util.TreeMap<>(), java.util.Map.of("x", 1L), java.util.Map.of()))) {
                assertTrue(StatusCommand.ask(control, "counters").contains("\"x\":1"));
                IOException e = assertThrows(IOException.class, () -> ControlServer.bind(group, control, () -> null));
                assertTrue(e.getMessage().contains("another daemon"), e.getMessage());
            }
            assertTrue(!Files.exists(control), "removed on close");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void malformedRequestsGetAnErrorLineAndTheServerGoesOn() throws Exception {
        Path control = dir.resolve("m.sock");
        var group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ControlServer server = ControlServer.bind(group, control, () -> new StatusReport(
                new java.util.TreeMap<>(), java.util.Map.of("x", 1L), java.util.Map.of()))) {
            IOException tooLong = assertThrows(IOException.class, () -> StatusCommand.ask(control, "s".repeat(1000)));
            assertTrue(tooLong.getMessage().contains("request longer than 256 bytes"), tooLong.getMessage());
            IOException binary = assertThrows(IOException.class, () -> StatusCommand.ask(control, "\u0000\u00ff{\"status\""));
            assertTrue(binary.getMessage().contains("unknown command"), binary.getMessage());
            IOException empty = assertThrows(IOException.class, () -> StatusCommand.ask(control, ""));
            assertTrue(empty.getMessage().contains("unknown command"), empty.getMessage());
            JsonNode counters = new ObjectMapper().readTree(StatusCommand.ask(control, "counters"));
            assertEquals(1, counters.get("x").asLong(), "still answering after bad requests");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aFailingReportIsAnErrorLineNotASilentClose() throws Exception {
        Path control = dir.resolve("f.sock");
        var group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ControlServer server = ControlServer.bind(group, control, () -> {
            throw new IllegalStateException("stack closed");
        })) {
            IOException e = assertThrows(IOException.class, () -> StatusCommand.ask(control, "status"));
            assertTrue(e.getMessage().startsWith("error: status failed") && e.getMessage().contains("stack closed"),
                    e.getMessage());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void statusJsonIsCompactAndEscapedByJackson() throws Exception {
        java.util.TreeMap<Long, io.jmptcp.core.conn.ConnectionInfo> none = new java.util.TreeMap<>();
        StatusReport r = new StatusReport(none, new java.util.TreeMap<>(java.util.Map.of("a_total", 2L, "b_active", 0L)),
                new java.util.TreeMap<>(java.util.Map.of("bad \"version\"\n", 3L)));
        assertEquals("{\"connections\":[],\"counters\":{\"a_total\":2,\"b_active\":0,"
                + "\"socks_rejected_total\":{\"bad \\\"version\\\"\\n\":3}},\"endpoints\":[]}", r.json());
        assertEquals("{\"a_total\":2,\"b_active\":0,\"socks_rejected_total\":{\"bad \\\"version\\\"\\n\":3}}",
                r.countersJson());
        assertEquals(3, new ObjectMapper().readTree(r.json()).at("/counters/socks_rejected_total").get("bad \"version\"\n").asLong());
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)$",
            Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The samples named {@code name} in an exposition text, each as its labels (in any order) and value. */
    static Map<Map<String, String>, Double> samples(String body, String name) {
        Map<Map<String, String>, Double> out = new LinkedHashMap<>();
        Matcher m = SAMPLE.matcher(body);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                Map<String, String> labels = new HashMap<>();
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                assertEquals(null, out.put(labels, Double.parseDouble(m.group(3))), "one sample per label set");
            }
        }
        return out;
    }

    /** The value of the one sample with exactly these labels. */
    static double value(String body, String name, Map<String, String> labels) {
        Double v = samples(body, name).get(labels);
        assertTrue(v != null, name + labels + " in " + body);
        return v;
    }

    /** The labels of the only sample named {@code name}. */
    static Map<String, String> labels(String body, String name) {
        Map<Map<String, String>, Double> s = samples(body, name);
        assertEquals(1, s.size(), name + " in " + body);
        return s.keySet().iterator().next();
    }

    static String fetch(InetSocketAddress server) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    /** Fetches the metrics text of daemon A. */
    static final class MetricsServerText {
        static String of(TwoStacks t) throws Exception {
            return fetch(t.da.metricsAddress());
        }
    }
}
