package io.jmptcp.cli.nc;

import io.jmptcp.cli.stack.ConnectionFactories;
import io.jmptcp.cli.stack.StackOptions;
import io.jmptcp.cli.stack.StackRuntime;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.runtime.MptcpServerSocket;
import io.jmptcp.core.runtime.MptcpSocket;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jmptcp nc [STACK] HOST PORT} and {@code jmptcp nc [STACK] -l PORT}: netcat over the
 * userspace stack. Copies stdin to the peer and the peer to stdout, half-closes on stdin EOF, and
 * exits 0 once both directions have closed cleanly (our FIN acknowledged, the peer's FIN received).
 * Exit 1 with a message on stderr when the connection fails; 2 for usage errors.
 */
@Command(name = "nc", mixinStandardHelpOptions = true,
        description = {"netcat over the userspace stack: stdin -> peer, peer -> stdout; half-close on stdin EOF; "
                + "exit 0 once both directions closed cleanly.",
                "  jmptcp nc [STACK] HOST PORT     connect",
                "  jmptcp nc [STACK] -l PORT       listen on every stack address, serve one connection"})
public final class NcCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(NcCommand.class);
    private static final int BUFFER = 256 * 1024;
    private static final ObjectMapper STATS_JSON = new ObjectMapper();
    /** How long to wait, after both copies ended, for the last FIN to be acknowledged. */
    private static final long CLOSE_WAIT_MILLIS = 60_000;

    @Spec
    CommandSpec spec;

    @Mixin
    StackOptions stackOptions;

    @Option(names = "-l", paramLabel = "PORT", description = "listen on PORT on every stack address")
    Integer listenPort;

    @Option(names = "--stats", paramLabel = "MS",
            description = "every MS milliseconds, one JSON line on stderr: the time (s), the connection and its subflows "
                    + "(cwnd, ssthresh, bytes in flight, RTT, bytes sent), as `jmptcp status` reports them")
    Integer statsMillis;

    @Parameters(arity = "0..2", paramLabel = "HOST PORT", description = "the peer to connect to")
    List<String> target = new ArrayList<>();

    @Override
    public Integer call() {
        InetSocketAddress remote = null;
        if (listenPort != null) {
            if (!target.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "-l PORT takes no HOST PORT");
            }
            checkPort(listenPort);
        } else {
            if (target.size() != 2) {
                throw new ParameterException(spec.commandLine(), "give HOST PORT, or -l PORT");
            }
            int port;
            try {
                port = Integer.parseInt(target.get(1));
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "PORT must be a number, got '" + target.get(1) + "'");
            }
            checkPort(port);
            try {
                remote = new InetSocketAddress(InetAddress.getByName(target.get(0)), port);
            } catch (IOException e) {
                System.err.println("jmptcp nc: cannot resolve " + target.get(0) + ": " + e.getMessage());
                return 1;
            }
        }
        ConnectionFactory factory;
        try {
            factory = ConnectionFactories.forOptions(stackOptions);
            StackRuntime.addresses(stackOptions.addresses);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        } catch (UnsupportedOperationException e) {
            System.err.println("jmptcp nc: " + e.getMessage());
            return 1;
        }
        try (StackRuntime rt = StackRuntime.open(stackOptions, factory)) {
            MptcpSocket socket;
            if (remote == null) {
                // The listener stays open while the connection is served: MP_JOIN SYNs for it
                // arrive at the listening port (RFC 8684 section 3.2), as with Linux.
                try (MptcpServerSocket server = new MptcpServerSocket(rt.stack(), listenPort)) {
                    LOG.info("listening on port {}", listenPort);
                    socket = server.accept();
                    LOG.info("connected: {}", socket.info());
                    return relay(socket, statsMillis);
                }
            }
            socket = new MptcpSocket(rt.stack());
            socket.connect(remote);
            LOG.info("connected: {}", socket.info());
            return relay(socket, statsMillis);
        } catch (IOException e) {
            System.err.println("jmptcp nc: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Prints the connection's {@link ConnectionInfo} with the seconds since the start, every
     * {@code millis} ms, until the connection is closed: the subflows' windows and bytes over time
     * (scripts/bench-cc.py plots and diagnoses from them).
     */
    private static Thread statsPrinter(MptcpSocket socket, int millis) {
        Thread t = new Thread(() -> {
            long start = System.nanoTime();
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    ConnectionInfo info = socket.info();
                    if (info != null) {
                        Map<String, Object> line = new LinkedHashMap<>();
                        line.put("t", (System.nanoTime() - start) / 1e9);
                        line.put("info", info);
                        System.err.println(STATS_JSON.writeValueAsString(line));
                    }
                    Thread.sleep(millis); // a sampling period, not a wait for a condition
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                LOG.warn("--stats: {}", e.toString());
            }
        }, "nc-stats");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "PORT must be 1..65535, got " + port);
        }
    }

    /** The two copies; returns the exit code. */
    private static int relay(MptcpSocket socket, Integer statsMillis) throws IOException {
        Thread stats = statsMillis != null && statsMillis > 0 ? statsPrinter(socket, statsMillis) : null;
        try {
            return relay(socket);
        } finally {
            if (stats != null) {
                stats.interrupt();
            }
        }
    }

    private static int relay(MptcpSocket socket) throws IOException {
        IOException[] upFailure = new IOException[1];
        Thread up = new Thread(() -> {
            try (InputStream stdin = new FileInputStream(FileDescriptor.in)) {
                OutputStream out = socket.getOutputStream();
                byte[] buf = new byte[BUFFER];
                int n;
                while ((n = stdin.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
                socket.shutdownOutput();
            } catch (IOException e) {
                upFailure[0] = e;
            }
        }, "nc-stdin");
        up.setDaemon(true);
        up.start();
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[BUFFER];
        int n;
        while ((n = in.read(buf)) >= 0) {
            stdout.write(buf, 0, n);
        }
        stdout.flush();
        try {
            up.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (upFailure[0] != null) {
            throw upFailure[0];
        }
        if (!socket.awaitClosed(CLOSE_WAIT_MILLIS)) {
            throw new IOException("the peer did not acknowledge our FIN within " + CLOSE_WAIT_MILLIS / 1000 + " s");
        }
        LOG.info("closed cleanly: {}", socket.info());
        socket.close();
        return 0;
    }
}
