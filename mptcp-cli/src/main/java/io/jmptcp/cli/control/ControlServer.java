package io.jmptcp.cli.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jmptcp.core.pm.Endpoint;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: a unix domain socket (mode 0600, in a directory created 0700) with a line
 * protocol. One request line per connection, answered and closed:
 * <ul>
 *   <li>{@code status}: the status JSON ({@link StatusReport#json()});</li>
 *   <li>{@code table}: the {@code ss -M}-like table;</li>
 *   <li>{@code counters}: the counters as JSON;</li>
 *   <li>{@code addr list}: the stack's endpoints as a JSON list, each
 *       {@code {"address":"10.3.1.1","id":1,"flags":["subflow"]}} (flags as {@code ip -j mptcp endpoint});</li>
 *   <li>{@code addr add IP [FLAGS]}: adds an address (FLAGS a comma list of signal, subflow, backup,
 *       fullmesh; default {@code subflow}), or changes the flags of one the stack has; answers
 *       {@code {"result":"added"|"changed"|"unchanged","endpoint":{...}}};</li>
 *   <li>{@code addr del IP}: removes an address; answers {@code {"result":"removed","endpoint":{...}}}.</li>
 * </ul>
 * Anything else, a request that fails (a bad address or flag, the last address, an address the
 * stack does not have, a route the kernel refuses), and a line longer than 256 bytes get
 * {@code error: ...}. A client that sends no line in 5 s is closed. The JSON is written by
 * Jackson.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** Default control socket path. */
    public static final String DEFAULT_PATH = "/run/jmptcp/control.sock";
    /** The longest request line, in bytes. */
    static final int MAX_REQUEST = 256;

    private final Channel channel;
    private final Path path;

    private ControlServer(Channel channel, Path path) {
        this.channel = channel;
        this.path = path;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Binds {@code path} without the {@code addr} commands (they answer an error). */
    public static ControlServer bind(EventLoopGroup group, Path path, Supplier<StatusReport> report)
            throws IOException, InterruptedException {
        return bind(group, path, report, null);
    }

    /**
     * Binds {@code path}, replacing a stale socket file but never a live daemon's.
     *
     * @param addresses what {@code addr} changes, or null when the addresses are fixed
     */
    public static ControlServer bind(EventLoopGroup group, Path path, Supplier<StatusReport> report,
                                     AddressControl addresses) throws IOException, InterruptedException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path)) {
            if (alive(path)) {
                throw new IOException("another daemon answers on the control socket " + path);
            }
            Files.delete(path);
        }
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(5),
                                new LineBasedFrameDecoder(MAX_REQUEST, true, true),
                                new StringDecoder(StandardCharsets.UTF_8),
                                new StringEncoder(StandardCharsets.UTF_8),
                                new Handler(report, addresses));
                    }
                });
        // bind(2) creates the socket file with the process umask's mode: bound in place, it would be
        // connectable by others until the chmod. So it is bound in a fresh 0700 directory next to
        // its place, made 0600 there, and renamed into place (a bound socket keeps working).
        Path privateDir = Files.createTempDirectory(dir == null ? Path.of(".") : dir, ".ctl",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path staging = privateDir.resolve("s");
        Channel ch;
        try {
            ch = b.bind(UnixDomainSocketAddress.of(staging)).sync().channel();
            try {
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rw-------"));
                Files.move(staging, path, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                ch.close().syncUninterruptibly();
                throw e;
            }
        } finally {
            Files.deleteIfExists(staging);
            Files.deleteIfExists(privateDir);
        }
        if (dir != null) {
            warnIfOpen(dir);
        }
        LOG.info("control socket {}", path);
        return new ControlServer(ch, path);
    }

    /** A directory others may write to (without the sticky bit) lets them replace the socket. */
    private static void warnIfOpen(Path dir) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(dir);
            boolean sticky = (((Number) Files.getAttribute(dir, "unix:mode")).intValue() & 01000) != 0;
            if (!sticky && (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE))) {
                LOG.warn("control socket directory {} is writable by others ({}): they can replace the socket",
                        dir, PosixFilePermissions.toString(p));
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            LOG.debug("cannot check {}: {}", dir, e.toString());
        }
    }

    private static boolean alive(Path path) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Answers one request line without the {@code addr} commands. */
    public static String answer(String line, Supplier<StatusReport> report) {
        return answer(line, report, null);
    }

    /** Answers one request line; public for tests with an EmbeddedChannel. */
    public static String answer(String line, Supplier<StatusReport> report, AddressControl addresses) {
        String request = line.trim();
        String[] words = request.split("\\s+");
        if (words[0].equals("addr")) {
            return addr(words, addresses);
        }
        return switch (request) {
            case "status" -> report.get().json();
            case "table" -> report.get().table();
            case "counters" -> report.get().countersJson();
            default -> "error: unknown command '" + request + "' (status, table, counters, addr)";
        };
    }

    private static final String ADDR_USAGE = "addr list | addr add IP [FLAGS] | addr del IP";

    /** {@code addr list}, {@code addr add IP [FLAGS]}, {@code addr del IP}. */
    private static String addr(String[] w, AddressControl addresses) {
        if (addresses == null) {
            return "error: this daemon's addresses cannot be changed";
        }
        String sub = w.length > 1 ? w[1] : "";
        try {
            switch (sub) {
                case "list" -> {
                    if (w.length != 2) {
                        return "error: usage: addr list";
                    }
                    ArrayNode list = JSON.createArrayNode();
                    for (Endpoint e : addresses.endpoints()) {
                        list.add(endpoint(e));
                    }
                    return write(list);
                }
                case "add" -> {
                    if (w.length != 3 && w.length != 4) {
                        return "error: usage: addr add IP [FLAGS] (FLAGS: a comma list of signal, subflow, backup, fullmesh)";
                    }
                    InetAddress a = StackAddresses.parse(w[2]);
                    int flags = w.length == 4 ? Endpoint.parseFlags(w[3]) : Endpoint.SUBFLOW;
                    Endpoint before = find(addresses.endpoints(), a);
                    Endpoint after;
                    try {
                        after = addresses.add(a, flags);
                    } catch (IOException e) {
                        return "error: cannot add " + a.getHostAddress() + ": " + e.getMessage();
                    }
                    String result = before == null ? "added" : before.equals(after) ? "unchanged" : "changed";
                    return result(result, after);
                }
                case "del" -> {
                    if (w.length != 3) {
                        return "error: usage: addr del IP";
                    }
                    InetAddress a = StackAddresses.parse(w[2]);
                    Endpoint removed;
                    try {
                        removed = addresses.remove(a);
                    } catch (IOException e) {
                        return "error: " + e.getMessage();
                    }
                    if (removed == null) {
                        return "error: " + a.getHostAddress() + " is not a stack address (see: addr list)";
                    }
                    return result("removed", removed);
                }
                default -> {
                    return "error: usage: " + ADDR_USAGE;
                }
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            // a bad address or flag, flags that exclude each other, the last address, no id left
            return "error: " + e.getMessage();
        }
    }

    private static Endpoint find(List<Endpoint> list, InetAddress a) {
        for (Endpoint e : list) {
            if (e.address().equals(a)) {
                return e;
            }
        }
        return null;
    }

    /** One endpoint as JSON: address, id, flags (a list of names, as {@code ip -j mptcp endpoint}). */
    public static ObjectNode endpoint(Endpoint e) {
        ObjectNode n = JSON.createObjectNode().put("address", e.address().getHostAddress()).put("id", e.id());
        ArrayNode flags = n.putArray("flags");
        String names = Endpoint.flagNames(e.flags());
        if (!names.isEmpty()) {
            for (String f : names.split(",")) {
                flags.add(f);
            }
        }
        return n;
    }

    private static String result(String result, Endpoint e) {
        ObjectNode n = JSON.createObjectNode().put("result", result);
        n.set("endpoint", endpoint(e));
        return write(n);
    }

    private static String write(com.fasterxml.jackson.databind.JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<String> {
        private final Supplier<StatusReport> report;
        private final AddressControl addresses;

        Handler(Supplier<StatusReport> report, AddressControl addresses) {
            this.report = report;
            this.addresses = addresses;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            String out;
            try {
                out = answer(line, report, addresses);
            } catch (RuntimeException e) {
                LOG.warn("control request '{}' failed", line.trim(), e);
                out = "error: " + line.trim() + " failed: " + e;
            }
            ctx.writeAndFlush(out.endsWith("\n") ? out : out + "\n").addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("control client: {}", cause.toString());
            if (cause instanceof TooLongFrameException && ctx.channel().isActive()) {
                ctx.writeAndFlush("error: request longer than " + MAX_REQUEST + " bytes\n")
                        .addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", path, e.getMessage());
        }
    }
}
