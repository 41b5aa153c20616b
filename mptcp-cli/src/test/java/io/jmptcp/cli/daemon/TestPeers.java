package io.jmptcp.cli.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/** Netty test peers: a half-close-aware echo server and a SOCKS5 client that sends, then checks the echo. */
public final class TestPeers {
    private TestPeers() {
    }

    /** An echo server on {@code bind}; it half-closes after the client's FIN. */
    public static Channel echoServer(EventLoopGroup group, InetSocketAddress bind) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.write(msg);
                                if (!ctx.channel().isWritable()) {
                                    ctx.channel().config().setAutoRead(false);
                                }
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext ctx) {
                                ctx.flush();
                            }

                            @Override
                            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                                if (ctx.channel().isWritable()) {
                                    ctx.channel().config().setAutoRead(true);
                                }
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof ChannelInputShutdownEvent) {
                                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)
                                            .addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                }).bind(bind).sync().channel();
    }

    /** A server that reads and discards everything, and never writes or closes. */
    public static Channel holdServer(EventLoopGroup group, InetSocketAddress bind) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                ReferenceCountUtil.release(evt); // a FIN changes nothing: we hold on
                            }
                        });
                    }
                }).bind(bind).sync().channel();
    }

    /**
     * One SOCKS5 CONNECT to {@code target} (a.b.c.d) through {@code socks}, then {@code payload}
     * sent and half-closed; completes with the SHA-256 of what came back, or fails.
     */
    public static CompletableFuture<byte[]> socksEcho(EventLoopGroup group, InetSocketAddress socks,
                                                      InetSocketAddress target, byte[] payload) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        byte[] a = target.getAddress().getAddress();
        byte[] hello = {5, 1, 0, 5, 1, 0, 1, a[0], a[1], a[2], a[3], (byte) (target.getPort() >> 8), (byte) target.getPort()};
        new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .handler(new ChannelInboundHandlerAdapter() {
                    final MessageDigest sha = sha256();
                    final byte[] reply = new byte[12];
                    int replied;

                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        ctx.writeAndFlush(Unpooled.wrappedBuffer(hello));
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        try {
                            while (replied < reply.length && b.isReadable()) {
                                reply[replied++] = b.readByte();
                                if (replied == reply.length) {
                                    if (reply[1] != 0 || reply[3] != 0) {
                                        result.completeExceptionally(new AssertionError("SOCKS reply " + Arrays.toString(reply)));
                                        ctx.close();
                                        return;
                                    }
                                    ctx.writeAndFlush(Unpooled.wrappedBuffer(payload))
                                            .addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
                                }
                            }
                            byte[] rest = new byte[b.readableBytes()];
                            b.readBytes(rest);
                            sha.update(rest);
                        } finally {
                            ReferenceCountUtil.release(b);
                        }
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof ChannelInputShutdownEvent) {
                            result.complete(sha.digest());
                            ctx.close();
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        result.completeExceptionally(new AssertionError("closed before the echo ended"));
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        result.completeExceptionally(cause);
                        ctx.close();
                    }
                }).connect(socks).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        result.completeExceptionally(f.cause());
                    }
                });
        return result;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
