package io.jmptcp.cli.stack;

import io.jmptcp.cli.control.AddressControl;
import io.jmptcp.cli.control.StackAddresses;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.runtime.PacketIo;
import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.pm.Endpoints;
import io.jmptcp.core.runtime.Stack;
import io.jmptcp.tun.TunConfig;
import io.jmptcp.tun.TunPacketIo;
import io.jmptcp.tun.pcap.PcapPacketIo;
import io.jmptcp.tun.pcap.PcapWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running stack for a command: the TUN device (created if absent, brought up, host routes for
 * the stack addresses), the optional pcap recorder, and the {@link Stack} event loop. Addresses
 * added at run time ({@link #addresses()}) get their host route on the device too. Closing it,
 * explicitly or from the JVM's shutdown hook on SIGINT/SIGTERM, stops the loop and removes what
 * was added to the host, the routes of runtime addresses included.
 */
public final class StackRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StackRuntime.class);
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*");

    private final PacketIo io;
    private final TunPacketIo tun;
    private final Stack stack;
    private final StackAddresses addresses;
    private final Thread hook;
    private boolean closed;

    private StackRuntime(PacketIo io, TunPacketIo tun, Stack stack) {
        this.io = io;
        this.tun = tun;
        this.stack = stack;
        this.addresses = new StackAddresses(stack, new StackAddresses.Routes() {
            @Override
            public void add(InetAddress a) throws IOException {
                tun.addHostRoute(a.getHostAddress());
            }

            @Override
            public void remove(InetAddress a) throws IOException {
                tun.removeHostRoute(a.getHostAddress());
            }
        });
        this.hook = new Thread(this::close, "jmptcp-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Parses stack addresses: IP literals only (no name lookups). */
    public static List<InetAddress> addresses(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("the stack needs at least one --address");
        }
        List<InetAddress> out = new ArrayList<>();
        for (String t : texts) {
            if (!IP_LITERAL.matcher(t).matches()) {
                throw new IllegalArgumentException("--address needs an IP address, got '" + t + "'");
            }
            try {
                InetAddress a = InetAddress.getByName(t);
                if (out.contains(a)) {
                    throw new IllegalArgumentException("--address " + t + " given twice");
                }
                out.add(a);
            } catch (IOException e) {
                throw new IllegalArgumentException("--address needs an IP address, got '" + t + "'");
            }
        }
        return out;
    }

    /**
     * The stack's endpoints: every {@code --address} (the first one carries the initial subflow;
     * the others are {@code subflow} endpoints, as NetworkManager makes them), then each
     * {@code --endpoint IP=FLAGS} (new addresses appended, flags replacing the default), then the
     * {@code backup} flag for every {@code --backup} address.
     */
    public static Endpoints endpoints(StackOptions o) {
        List<InetAddress> addrs = o.addresses.isEmpty() && !o.endpoints.isEmpty() ? List.of() : addresses(o.addresses);
        Endpoints e = Endpoints.of(addrs, Endpoint.SUBFLOW);
        for (String spec : o.endpoints) {
            int eq = spec.indexOf('=');
            String ip = eq < 0 ? spec : spec.substring(0, eq);
            int flags = Endpoint.parseFlags(eq < 0 ? "" : spec.substring(eq + 1));
            e = e.add(addresses(List.of(ip)).get(0), flags);
        }
        for (String b : o.backup) {
            InetAddress a = addresses(List.of(b)).get(0);
            Endpoint x = e.find(a);
            if (x == null) {
                throw new IllegalArgumentException("--backup " + b + " is not a stack address (give it with --address too)");
            }
            e = e.add(a, x.flags() | Endpoint.BACKUP);
        }
        if (e.list().isEmpty()) {
            throw new IllegalArgumentException("the stack needs at least one --address");
        }
        return e;
    }

    /** Opens the device, the recorder and the stack with {@code factory}, and starts the loop. */
    public static StackRuntime open(StackOptions o, ConnectionFactory factory) throws IOException {
        Endpoints endpoints = endpoints(o);
        List<String> texts = new ArrayList<>();
        for (InetAddress a : endpoints.addresses()) {
            texts.add(a.getHostAddress());
        }
        TunPacketIo tun = TunPacketIo.open(TunConfig.of(o.tun, o.mtu, texts).withOffload(!o.noOffload));
        PacketIo io = tun;
        if (o.pcap != null) {
            try {
                io = new PcapPacketIo(io, PcapWriter.create(o.pcap), PcapPacketIo.wallClockMicros());
            } catch (IOException e) {
                io.close();
                throw new IOException("cannot write --pcap " + o.pcap + ": " + e.getMessage(), e);
            }
        }
        // TUN: writes from a second thread
        Stack stack = new Stack(io, factory, endpoints, true).maxConnections(o.maxConnections).start();
        return new StackRuntime(io, tun, stack);
    }

    public Stack stack() {
        return stack;
    }

    /** The stack's addresses, changed at run time with their host routes on the device. */
    public AddressControl addresses() {
        return addresses;
    }

    /** Stops the stack, completes the capture and removes the device, addresses and routes. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stack.close();
        LOG.info("stack counters: {}; tcp: {}", stack.counters(), stack.tcpCounters());
        try {
            io.close();
        } catch (IOException e) {
            LOG.warn("closing the device: {}", e.getMessage());
        }
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook runs and finds us closed
            }
        }
    }
}
