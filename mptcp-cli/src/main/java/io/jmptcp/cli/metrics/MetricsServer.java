package io.jmptcp.cli.metrics;

import io.jmptcp.cli.control.StatusReport;
import io.jmptcp.cli.daemon.DaemonStats;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mib.TcpMib;
import io.jmptcp.core.runtime.Stack;
import io.jmptcp.core.runtime.StackCounter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * {@code --metrics HOST:PORT}: the counters and per-connection gauges at {@code /metrics}, served
 * by the Prometheus Java client's HTTP server on one thread (text format 0.0.4 by default,
 * OpenMetrics or protobuf when the scraper asks for them).
 *
 * <p>Every value is read from the stack and the daemon's counters when scraped (callback
 * metrics): nothing is counted twice. Each server has its own {@link PrometheusRegistry}, so
 * several daemons can run in one JVM. The names are those of {@code status}'s counters with
 * {@code jmptcp_} before them and {@code _total} after a counter's: {@code jmptcp_in_packets_total},
 * {@code jmptcp_tcp_retrans_segs_total}, {@code jmptcp_socks_connected_total},
 * {@code jmptcp_relays_active}, {@code jmptcp_socks_rejected_total{reason}},
 * {@code jmptcp_connections}, and per connection / subflow {@code jmptcp_connection_bytes_sent},
 * {@code jmptcp_connection_bytes_received}, {@code jmptcp_connection_subflows},
 * {@code jmptcp_subflow_rtt_us}, {@code jmptcp_subflow_cwnd_bytes}, {@code jmptcp_subflow_bytes_sent},
 * {@code jmptcp_subflow_bytes_received}, {@code jmptcp_subflow_retransmits}.
 */
public final class MetricsServer implements AutoCloseable {
    private static final String[] CONNECTION_LABELS = {"id", "local", "remote", "state", "mptcp"};
    private static final String[] SUBFLOW_LABELS = {"id", "local", "remote"};

    private final HTTPServer server;
    private final ExecutorService executor;
    private final InetSocketAddress address;

    private MetricsServer(HTTPServer server, ExecutorService executor, InetSocketAddress address) {
        this.server = server;
        this.executor = executor;
        this.address = address;
    }

    /** Serves the metrics of {@code stack} and {@code stats} on {@code address} (port 0: any free port). */
    public static MetricsServer start(InetSocketAddress address, Stack stack, DaemonStats stats) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        register(registry, stack, stats);
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jmptcp-metrics");
            t.setDaemon(true);
            return t;
        });
        try {
            HTTPServer s = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                    .registry(registry).executorService(ex).buildAndStart();
            return new MetricsServer(s, ex, new InetSocketAddress(address.getAddress(), s.getPort()));
        } catch (IOException | RuntimeException e) {
            ex.shutdownNow();
            throw e;
        }
    }

    /** Registers every jmptcp metric in {@code registry}, each a callback on the live counters. */
    static void register(PrometheusRegistry registry, Stack stack, DaemonStats stats) {
        for (StackCounter c : StackCounter.values()) {
            counter(registry, StatusReport.name(c), "stack counter " + c.name(), () -> stack.counter(c));
        }
        for (TcpMib c : TcpMib.values()) {
            // the engine's counters are read without the stack's lock: each value is a plain long
            counter(registry, StatusReport.name(c), "TCP MIB counter " + c.name(), () -> stack.mib().get(c));
        }
        for (MptcpMib c : MptcpMib.values()) {
            counter(registry, StatusReport.name(c), "MPTCP MIB counter " + c.name(), () -> stack.mib().get(c));
        }
        for (String name : DaemonStats.COUNTERS) {
            counter(registry, name, "daemon counter " + name, () -> stats.get(name));
        }
        GaugeWithCallback.builder().name("jmptcp_relays_active").help("relays open now")
                .callback(cb -> cb.call(stats.relaysActive())).register(registry);
        CounterWithCallback.builder().name("jmptcp_socks_rejected_total").help("SOCKS clients turned away, by reason")
                .labelNames("reason")
                .callback(cb -> stats.rejections().forEach((reason, n) -> cb.call(n, reason))).register(registry);
        GaugeWithCallback.builder().name("jmptcp_connections").help("connections on the stack")
                .callback(cb -> cb.call(stack.connectionsById().size())).register(registry);

        Supplier<SortedMap<Long, ConnectionInfo>> conns = stack::connectionsById;
        connectionGauge(registry, conns, "jmptcp_connection_bytes_sent", "bytes sent on the connection",
                ConnectionInfo::bytesSent);
        connectionGauge(registry, conns, "jmptcp_connection_bytes_received", "bytes received on the connection",
                ConnectionInfo::bytesReceived);
        connectionGauge(registry, conns, "jmptcp_connection_subflows", "subflows of the connection",
                c -> c.subflows().size());
        subflowGauge(registry, conns, "jmptcp_subflow_rtt_us", "smoothed RTT of the subflow in microseconds",
                ConnectionInfo.Subflow::rttMicros);
        subflowGauge(registry, conns, "jmptcp_subflow_cwnd_bytes", "congestion window of the subflow in bytes",
                ConnectionInfo.Subflow::cwndBytes);
        subflowGauge(registry, conns, "jmptcp_subflow_bytes_sent", "bytes sent on the subflow",
                ConnectionInfo.Subflow::bytesSent);
        subflowGauge(registry, conns, "jmptcp_subflow_bytes_received", "bytes received on the subflow",
                ConnectionInfo.Subflow::bytesReceived);
        subflowGauge(registry, conns, "jmptcp_subflow_retransmits", "segments retransmitted on the subflow",
                ConnectionInfo.Subflow::retransmits);
    }

    /** {@code jmptcp_KEY}: the client appends {@code _total} in the exposition when KEY lacks it. */
    private static void counter(PrometheusRegistry registry, String key, String help, LongSupplier value) {
        CounterWithCallback.builder().name("jmptcp_" + key).help(help)
                .callback(cb -> cb.call(value.getAsLong())).register(registry);
    }

    /**
     * A value per live connection, a gauge: the series of a connection ends with it and its
     * {@code state} label changes, so it is not a counter Prometheus could use for rates.
     */
    private static void connectionGauge(PrometheusRegistry registry, Supplier<SortedMap<Long, ConnectionInfo>> conns,
                                        String name, String help, ToLongFunction<ConnectionInfo> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(CONNECTION_LABELS).callback(cb -> {
            for (Map.Entry<Long, ConnectionInfo> e : conns.get().entrySet()) {
                ConnectionInfo c = e.getValue();
                cb.call(value.applyAsLong(c), String.valueOf(e.getKey()), c.local(), c.remote(),
                        String.valueOf(c.state()), String.valueOf(c.mptcp()));
            }
        }).register(registry);
    }

    /** A value per subflow of each live connection. */
    private static void subflowGauge(PrometheusRegistry registry, Supplier<SortedMap<Long, ConnectionInfo>> conns,
                                     String name, String help, ToLongFunction<ConnectionInfo.Subflow> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(SUBFLOW_LABELS).callback(cb -> {
            for (Map.Entry<Long, ConnectionInfo> e : conns.get().entrySet()) {
                // one series per (id, local, remote): a scrape with a repeated label set would fail whole
                Set<String> seen = new HashSet<>();
                for (ConnectionInfo.Subflow s : e.getValue().subflows()) {
                    if (seen.add(s.local() + ' ' + s.remote())) {
                        cb.call(value.applyAsLong(s), String.valueOf(e.getKey()), s.local(), s.remote());
                    }
                }
            }
        }).register(registry);
    }

    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
