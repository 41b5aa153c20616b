package io.jmptcp.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jmptcp.cli.Main;
import io.jmptcp.cli.status.StatusCommand;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.runtime.Stack;
import io.jmptcp.core.tcp.TcpConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The control socket's {@code addr list|add|del} on a real {@link Stack} over an in-memory link,
 * with the routes recorded by a fake, every error reply, and {@code jmptcp addr} against it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AddrControlTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Path control;
    private EventLoopGroup group;
    private Stack stack;
    private ControlServer server;
    /** What the fake routes were asked, in order: "+10.9.0.5", "-10.9.0.5". */
    private final List<String> routeLog = new ArrayList<>();
    /** Set to make the next route change fail as the kernel would. */
    private volatile String routeFailure;

    private final StackAddresses.Routes routes = new StackAddresses.Routes() {
        @Override
        public void add(InetAddress a) throws IOException {
            fail("+", a);
        }

        @Override
        public void remove(InetAddress a) throws IOException {
            fail("-", a);
        }

        private void fail(String op, InetAddress a) throws IOException {
            String f = routeFailure;
            if (f != null) {
                throw new IOException(f);
            }
            synchronized (routeLog) {
                routeLog.add(op + a.getHostAddress());
            }
        }
    };

    @BeforeEach
    void start() throws Exception {
        MemoryPacketIo[] ends = MemoryPacketIo.pair(1500, 1 << 12);
        stack = new Stack(ends[0], new PlainConnectionFactory(new TcpConfig()),
                List.of(InetAddress.getByName("10.9.0.1"))).start();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        control = dir.resolve("c.sock");
        StackAddresses addresses = new StackAddresses(stack, routes);
        server = ControlServer.bind(group, control, () -> new StatusReport(new TreeMap<>(), Map.of(), Map.of(),
                addresses.endpoints()), addresses);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private String ask(String request) throws IOException {
        return StatusCommand.request(control, request).trim();
    }

    private JsonNode json(String request) throws IOException {
        String a = ask(request);
        assertTrue(!a.startsWith("error:"), request + " -> " + a);
        return JSON.readTree(a);
    }

    private List<String> routeLog() {
        synchronized (routeLog) {
            return List.copyOf(routeLog);
        }
    }

    private static InetAddress ip(String s) throws IOException {
        return InetAddress.getByName(s);
    }

    @Test
    void addChangeListAndDeleteAnAddressWithItsRoute() throws Exception {
        assertEquals("[{\"address\":\"10.9.0.1\",\"id\":1,\"flags\":[]}]", ask("addr list"));

        assertEquals("{\"result\":\"added\",\"endpoint\":{\"address\":\"10.9.0.5\",\"id\":2,\"flags\":[\"subflow\"]}}",
                ask("addr add 10.9.0.5"), "FLAGS default to subflow");
        assertEquals(List.of("+10.9.0.5"), routeLog(), "routed before the stack has it");
        assertEquals(List.of(new Endpoint(ip("10.9.0.1"), 1, 0), new Endpoint(ip("10.9.0.5"), 2, Endpoint.SUBFLOW)),
                stack.endpoints());

        JsonNode changed = json("addr add 10.9.0.5 subflow,backup");
        assertEquals("changed", changed.get("result").asText());
        assertEquals("[\"subflow\",\"backup\"]", changed.at("/endpoint/flags").toString());
        assertEquals(2, changed.at("/endpoint/id").asInt(), "a change keeps the id");
        assertEquals("unchanged", json("addr add 10.9.0.5 backup,subflow").get("result").asText());
        assertEquals(List.of("+10.9.0.5"), routeLog(), "a flag change touches no route");

        JsonNode v6 = json("addr add fd00:9::5 signal");
        assertEquals("fd00:9:0:0:0:0:0:5", v6.at("/endpoint/address").asText());
        assertEquals(3, v6.at("/endpoint/id").asInt());

        JsonNode list = json("addr list");
        assertEquals(3, list.size(), list.toString());
        assertEquals("{\"address\":\"10.9.0.5\",\"id\":2,\"flags\":[\"subflow\",\"backup\"]}", list.get(1).toString());
        for (JsonNode e : list) {
            List<String> keys = new ArrayList<>();
            e.fieldNames().forEachRemaining(keys::add);
            assertEquals(List.of("address", "id", "flags"), keys);
        }

        JsonNode status = json("status");
        assertEquals(list, status.get("endpoints"), "status carries the same endpoints");
        String table = ask("table");
        assertTrue(table.contains("\nendpoint id 1 10.9.0.1\n") && table.contains("\nendpoint id 2 10.9.0.5 subflow,backup\n")
                && table.endsWith("\nendpoint id 3 fd00:9:0:0:0:0:0:5 signal"), table);

        assertEquals("{\"result\":\"removed\",\"endpoint\":{\"address\":\"10.9.0.5\",\"id\":2,"
                + "\"flags\":[\"subflow\",\"backup\"]}}", ask("addr del 10.9.0.5"));
        assertEquals(List.of("+10.9.0.5", "+fd00:9:0:0:0:0:0:5", "-10.9.0.5"), routeLog());
        assertEquals(List.of(ip("10.9.0.1"), ip("fd00:9::5")), stack.endpoints().stream().map(Endpoint::address).toList());
        assertEquals(4, json("addr add 10.9.0.5").at("/endpoint/id").asInt(), "ids are not reused");
    }

    @Test
    void everyBadRequestGetsAnErrorThatSaysWhyAndChangesNothing() throws Exception {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("addr add 10.9.0", "error: not an IP address: '10.9.0'");
        cases.put("addr add example.com", "error: not an IP address: 'example.com'");
        cases.put("addr add 300.1.1.1", "error: not an IP address: '300.1.1.1'");
        cases.put("addr del nonsense", "error: not an IP address: 'nonsense'");
        cases.put("addr add 224.0.0.5", "error: 224.0.0.5 cannot be a stack address (unspecified, loopback, multicast or broadcast)");
        cases.put("addr add 0.0.0.0", "error: 0.0.0.0 cannot be a stack address (unspecified, loopback, multicast or broadcast)");
        cases.put("addr add 127.0.0.2", "error: 127.0.0.2 cannot be a stack address (unspecified, loopback, multicast or broadcast)");
        cases.put("addr add 10.9.0.5 subflow,bakup", "error: unknown endpoint flag 'bakup' (signal, subflow, backup, fullmesh)");
        cases.put("addr add 10.9.0.5 signal,fullmesh", "error: fullmesh and signal exclude each other (as in Linux)");
        cases.put("addr del 10.9.0.1", "error: the stack's last address cannot be removed");
        cases.put("addr del 10.9.0.7", "error: 10.9.0.7 is not a stack address (see: addr list)");
        cases.put("addr", "error: usage: addr list | addr add IP [FLAGS] | addr del IP");
        cases.put("addr show", "error: usage: addr list | addr add IP [FLAGS] | addr del IP");
        cases.put("addr list 10.9.0.1", "error: usage: addr list");
        cases.put("addr add", "error: usage: addr add IP [FLAGS] (FLAGS: a comma list of signal, subflow, backup, fullmesh)");
        cases.put("addr add 10.9.0.5 subflow backup", "error: usage: addr add IP [FLAGS] (FLAGS: a comma list of signal, subflow, backup, fullmesh)");
        cases.put("addr del", "error: usage: addr del IP");
        cases.put("addr del 10.9.0.1 10.9.0.2", "error: usage: addr del IP");
        cases.put("address list", "error: unknown command 'address list' (status, table, counters, addr)");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertEquals(c.getValue(), ask(c.getKey()), c.getKey());
        }
        assertEquals("[{\"address\":\"10.9.0.1\",\"id\":1,\"flags\":[]}]", ask("addr list"), "nothing changed");
        assertEquals(List.of(), routeLog(), "no route touched");
    }

    @Test
    void aRouteTheKernelRefusesLeavesTheStackAsItWas() throws Exception {
        routeFailure = "address 10.9.0.5 is already in use: a route to it exists";
        assertEquals("error: cannot add 10.9.0.5: address 10.9.0.5 is already in use: a route to it exists",
                ask("addr add 10.9.0.5"));
        assertEquals(1, stack.endpoints().size(), stack.endpoints().toString());

        routeFailure = null;
        json("addr add 10.9.0.5");
        routeFailure = "cannot remove the route to 10.9.0.5 [ESRCH]";
        assertEquals("error: 10.9.0.5 left the stack, but its host route could not be removed: "
                + "cannot remove the route to 10.9.0.5 [ESRCH]", ask("addr del 10.9.0.5"));
        assertEquals(1, stack.endpoints().size(), "removed from the stack all the same");
    }

    @Test
    void whenTheStackRefusesAFreshAddressItsRouteIsTakenBack() throws Exception {
        for (int i = 2; i <= 255; i++) { // ids 2..255: the table is full
            stack.addAddress(ip("10.8." + (i / 200) + "." + (i % 200 + 1)), Endpoint.SUBFLOW);
        }
        assertEquals("error: no endpoint id left (255 were given out)", ask("addr add 10.9.0.5"));
        assertEquals(List.of("+10.9.0.5", "-10.9.0.5"), routeLog());
    }

    @Test
    void aDaemonWithoutAddressControlSaysSo() throws Exception {
        Path other = dir.resolve("fixed.sock");
        try (ControlServer fixed = ControlServer.bind(group, other, () -> new StatusReport(new TreeMap<>(), Map.of(),
                Map.of()))) {
            assertEquals("error: this daemon's addresses cannot be changed", StatusCommand.request(other, "addr list").trim());
            assertEquals("{\"connections\":[],\"counters\":{\"socks_rejected_total\":{}},\"endpoints\":[]}",
                    StatusCommand.request(other, "status").trim());
        }
    }

    // ---- jmptcp addr -----------------------------------------------------------------------------

    private record Run(int exit, String out, String err) {
    }

    private Run jmptcp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--control", control.toString()));
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void theClientPrintsOneLinePerEndpointAndExitsZeroOneOrTwo() throws Exception {
        Run add = jmptcp("addr", "add", "10.9.0.5", "--backup");
        assertEquals(new Run(0, "added id 2 10.9.0.5 subflow,backup\n", ""), add);
        assertEquals(new Run(0, "added id 3 10.9.0.6 signal,backup\n", ""),
                jmptcp("addr", "add", "10.9.0.6", "--flags", "signal", "--backup"));
        assertEquals(new Run(0, "changed id 3 10.9.0.6 signal\n", ""), jmptcp("addr", "add", "10.9.0.6", "--flags", "signal"));
        assertEquals(new Run(0, "id 1 10.9.0.1\nid 2 10.9.0.5 subflow,backup\nid 3 10.9.0.6 signal\n", ""),
                jmptcp("addr", "list"));
        Run listJson = jmptcp("addr", "list", "--json");
        assertEquals(0, listJson.exit());
        assertEquals(ask("addr list") + "\n", listJson.out());
        assertEquals(new Run(0, "removed id 3 10.9.0.6 signal\n", ""), jmptcp("addr", "del", "10.9.0.6"));

        Run last = jmptcp("addr", "del", "10.9.0.7");
        assertEquals(new Run(1, "", "jmptcp addr: 10.9.0.7 is not a stack address (see: addr list)\n"), last);
        jmptcp("addr", "del", "10.9.0.5");
        assertEquals(new Run(1, "", "jmptcp addr: the stack's last address cannot be removed\n"),
                jmptcp("addr", "del", "10.9.0.1"));
        routeFailure = "address 10.9.0.8 is already in use";
        assertEquals(new Run(1, "", "jmptcp addr: cannot add 10.9.0.8: address 10.9.0.8 is already in use\n"),
                jmptcp("addr", "add", "10.9.0.8"));
        routeFailure = null;

        for (String[] usage : new String[][] {{"addr", "add", "10.9.0"}, {"addr", "add", "10.9.0.5", "--flags", "bogus"},
            {"addr", "add", "10.9.0.5", "--flags", "signal,fullmesh"}, {"addr", "add", "10.9.0.5", "--flags", ""},
            {"addr", "add"}, {"addr", "del"}, {"addr", "list", "extra"}, {"addr"}, {"addr", "frob"}}) {
            Run r = jmptcp(usage);
            assertEquals(2, r.exit(), String.join(" ", usage) + ": " + r);
            assertTrue(!r.err().isBlank(), String.join(" ", usage) + " says why: " + r);
        }
        assertTrue(jmptcp("addr", "add", "10.9.0.5", "--flags", "bogus").err().contains("unknown endpoint flag 'bogus'"));
        assertEquals("[{\"address\":\"10.9.0.1\",\"id\":1,\"flags\":[]}]", ask("addr list"), "usage errors change nothing");

        server.close();
        server = null;
        Run gone = jmptcp("addr", "list");
        assertEquals(1, gone.exit());
        assertTrue(gone.err().startsWith("jmptcp addr: cannot reach the daemon at " + control), gone.err());
    }
}
