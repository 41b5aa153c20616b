package io.jmptcp.cli.status;

import io.jmptcp.cli.control.ControlServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jmptcp status [--control PATH] [--json]}: asks a running daemon over its control socket. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a running daemon's connections and subflows (like ss -M), or its status JSON.")
public final class StatusCommand implements Callable<Integer> {
    @Option(names = "--control", paramLabel = "PATH", defaultValue = ControlServer.DEFAULT_PATH,
            description = "the daemon's control socket (default ${DEFAULT-VALUE})")
    Path control;

    @Option(names = "--json", description = "print the status JSON")
    boolean json;

    @Override
    public Integer call() {
        try {
            System.out.print(ask(control, json ? "status" : "table"));
            System.out.flush();
            return 0;
        } catch (IOException e) {
            System.err.println("jmptcp status: cannot reach the daemon at " + control + ": " + e.getMessage());
            return 1;
        }
    }

    /** Sends one request line and returns the whole answer; an {@code error: ...} answer is thrown. */
    public static String ask(Path socket, String request) throws IOException {
        String s = request(socket, request);
        if (s.startsWith("error:")) {
            throw new IOException(s.trim());
        }
        return s;
    }

    /** Sends one request line and returns the whole answer as it came, {@code error: ...} included. */
    public static String request(Path socket, String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                c.write(out);
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(65536);
            while (c.read(in) >= 0) {
                got.write(in.array(), 0, in.position());
                in.clear();
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }
}
