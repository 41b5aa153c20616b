package io.jmptcp.cli.control;

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
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: a unix domain socket (mode 0600, in a directory created 0700) with a line
 * protocol. One request line per connection, answered and closed:
 * <ul>
 *   <li>{@code status}: the status JSON ({@link StatusReport#json()});</li>
 *   <li>{@code table}: the {@code ss -M}-like table;</li>
 *   <li>{@code counters}: the counters as JSON.</li>
 * </ul>
 * Anything else, and a line longer than 256 bytes, gets {@code error: ...}. A client that sends no
 * line in 5 s is closed. The JSON is written by Jackson from {@link StatusReport}.
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

    /** Binds {@code path}, replacing a stale socket file but never a live daemon's. */
    public static ControlServer bind(EventLoopGroup group, Path path, Supplier<StatusReport> report)
            throws IOException, InterruptedException {
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
                                new Handler(report));
                    }
                });
        Channel ch = b.bind(UnixDomainSocketAddress.of(path)).sync().channel();
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        LOG.info("control socket {}", path);
        return new ControlServer(ch, path);
    }

    private static boolean alive(Path path) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Answers one request line; public for tests with an EmbeddedChannel. */
    public static String answer(String line, Supplier<StatusReport> report) {
        return switch (line.trim()) {
            case "status" -> report.get().json();
            case "table" -> report.get().table();
            case "counters" -> report.get().countersJson();
            default -> "error: unknown command '" + line.trim() + "' (status, table, counters)";
        };
    }

    private static final class Handler extends SimpleChannelInboundHandler<String> {
        private final Supplier<StatusReport> report;

        Handler(Supplier<StatusReport> report) {
            this.report = report;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            String out;
            try {
                out = answer(line, report);
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
