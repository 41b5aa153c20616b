package io.jmptcp.cli.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jmptcp.cli.daemon.DaemonStats;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.runtime.Stack;
import io.jmptcp.core.runtime.StackCounter;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.mib.TcpMib;
import io.jmptcp.core.pm.Endpoint;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;

/**
 * What {@code jmptcp status} shows: the stack's connections with their subflows (like the kernel's
 * MPTCP_INFO and MPTCP_SUBFLOW_ADDRS), every counter, and the stack's addresses with their
 * path-manager flags (like {@code ip mptcp endpoint show}), as JSON or as a table like {@code ss -M}.
 */
public final class StatusReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SortedMap<Long, ConnectionInfo> connections;
    private final Map<String, Long> counters;
    private final Map<String, Long> rejections;
    private final List<Endpoint> endpoints;

    /** A report without endpoints. */
    public StatusReport(SortedMap<Long, ConnectionInfo> connections, Map<String, Long> counters,
                        Map<String, Long> rejections) {
        this(connections, counters, rejections, List.of());
    }

    public StatusReport(SortedMap<Long, ConnectionInfo> connections, Map<String, Long> counters,
                        Map<String, Long> rejections, List<Endpoint> endpoints) {
        this.connections = connections;
        this.counters = counters;
        this.rejections = rejections;
        this.endpoints = List.copyOf(endpoints);
    }

    /** A snapshot of a running daemon. */
    public static StatusReport of(Stack stack, DaemonStats stats) {
        Map<String, Long> c = new java.util.TreeMap<>();
        stack.counters().forEach((k, v) -> c.put(name(k), v));
        // the engine's counters are read without the stack's lock: each value is a plain long
        for (Map.Entry<TcpMib, Long> e : stack.mib().snapshot().entrySet()) {
            c.put(name(e.getKey()), e.getValue());
        }
        for (Map.Entry<MptcpMib, Long> e : stack.mib().mptcpSnapshot().entrySet()) {
            c.put(name(e.getKey()), e.getValue());
        }
        c.putAll(stats.counters());
        c.put("relays_active", stats.relaysActive());
        return new StatusReport(stack.connectionsById(), c, stats.rejections(), stack.endpoints());
    }

    /** The key of a stack counter in {@code counters} (and, after {@code jmptcp_}, its metric). */
    public static String name(StackCounter c) {
        return c.name().toLowerCase(Locale.ROOT);
    }

    /** The key of an engine (TCP MIB) counter in {@code counters}. */
    public static String name(TcpMib c) {
        return "tcp_" + c.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The key of an MPTCP counter in {@code counters}: {@code mptcp_} and the kernel's MPTcpExt
     * name in lower case ({@code mptcp_rmaddrtx} is nstat's MPTcpExtRmAddrTx).
     */
    public static String name(MptcpMib c) {
        return "mptcp_" + c.name().toLowerCase(Locale.ROOT);
    }

    public SortedMap<Long, ConnectionInfo> connections() {
        return connections;
    }

    public Map<String, Long> counters() {
        return counters;
    }

    public Map<String, Long> rejections() {
        return rejections;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /**
     * The JSON of the contract: {"connections":[...],"counters":{...},"endpoints":[...]}, compact,
     * keys in this order; each endpoint as {@code addr list} gives it.
     */
    public String json() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode conns = root.putArray("connections");
        for (Map.Entry<Long, ConnectionInfo> e : connections.entrySet()) {
            ConnectionInfo i = e.getValue();
            ObjectNode c = conns.addObject().put("id", e.getKey()).put("local", i.local()).put("remote", i.remote())
                    .put("state", i.state().name()).put("mptcp", i.mptcp()).put("fallback", i.fallback())
                    .put("bytes_sent", i.bytesSent()).put("bytes_received", i.bytesReceived())
                    .put("scheduler", i.scheduler()).put("cc", i.cc());
            ArrayNode subflows = c.putArray("subflows");
            for (ConnectionInfo.Subflow s : i.subflows()) {
                subflows.addObject().put("local", s.local()).put("remote", s.remote()).put("state", s.state())
                        .put("backup", s.backup()).put("rtt_us", s.rttMicros()).put("cwnd", s.cwndBytes())
                        .put("bytes_sent", s.bytesSent()).put("bytes_received", s.bytesReceived())
                        .put("retransmits", s.retransmits());
            }
        }
        root.set("counters", countersNode());
        ArrayNode eps = root.putArray("endpoints");
        for (Endpoint e : endpoints) {
            eps.add(ControlServer.endpoint(e));
        }
        return write(root);
    }

    /**
     * The counters alone as one JSON object (the control socket's {@code counters} request), the
     * same object as status's {@code counters}: SOCKS refusals by reason in {@code socks_rejected_total}.
     */
    public String countersJson() {
        return write(countersNode());
    }

    private ObjectNode countersNode() {
        ObjectNode c = JSON.createObjectNode();
        counters.forEach(c::put);
        ObjectNode rejected = c.putObject("socks_rejected_total");
        rejections.forEach(rejected::put);
        return c;
    }

    private static String write(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            // a tree of strings, numbers and booleans always serialises
            throw new IllegalStateException("cannot write the status JSON", e);
        }
    }

    /**
     * A table like {@code ss -M}: one line per connection, one indented line per subflow; then a
     * summary line and one {@code endpoint id N IP flags} line per stack address.
     */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-5s %-12s %-44s %-44s %-6s %12s %12s %-10s %-6s%n", "ID", "State", "Local",
                "Remote", "MPTCP", "Sent", "Received", "Scheduler", "CC"));
        for (Map.Entry<Long, ConnectionInfo> e : connections.entrySet()) {
            ConnectionInfo i = e.getValue();
            String mp = i.mptcp() ? (i.fallback() ? "fallbk" : "yes") : (i.fallback() ? "fallbk" : "no");
            b.append(String.format("%-5d %-12s %-44s %-44s %-6s %12d %12d %-10s %-6s%n", e.getKey(), i.state(),
                    i.local(), i.remote(), mp, i.bytesSent(), i.bytesReceived(), i.scheduler(), i.cc()));
            for (ConnectionInfo.Subflow s : i.subflows()) {
                b.append(String.format("      subflow %s -> %s %s%s rtt %.1fms cwnd %d sent %d received %d retrans %d%n",
                        s.local(), s.remote(), s.state(), s.backup() ? " backup" : "", s.rttMicros() / 1000.0,
                        s.cwndBytes(), s.bytesSent(), s.bytesReceived(), s.retransmits()));
            }
        }
        b.append(connections.size()).append(" connection(s)");
        long rejected = rejections.values().stream().mapToLong(Long::longValue).sum();
        b.append("; relays active ").append(counters.getOrDefault("relays_active", 0L))
                .append("; socks rejected ").append(rejected);
        if (!rejections.isEmpty()) {
            b.append(' ').append(rejections);
        }
        b.append(System.lineSeparator());
        for (Endpoint e : endpoints) {
            b.append("endpoint ").append(endpointLine(e)).append(System.lineSeparator());
        }
        return b.toString();
    }

    /** One endpoint as {@code jmptcp addr list} prints it: {@code id N IP flags} (no flags: nothing after IP). */
    public static String endpointLine(Endpoint e) {
        String flags = Endpoint.flagNames(e.flags());
        return "id " + e.id() + " " + e.address().getHostAddress() + (flags.isEmpty() ? "" : " " + flags);
    }
}
