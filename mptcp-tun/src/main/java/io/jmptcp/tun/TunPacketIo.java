package io.jmptcp.tun;

import io.jmptcp.core.runtime.PacketBatch;
import io.jmptcp.core.runtime.PacketIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PacketIo} over a {@link TunDevice}: opens (or creates) the device, sets its MTU, brings it
 * up (over rtnetlink by default, see {@link NetConfig}), adds the kernel-side addresses and a host route for each stack address, and on
 * {@link #close()} removes exactly what it added, in reverse order, then closes the device (a
 * device it created disappears). Stack addresses added or removed while the stack runs get their
 * host route with {@link #addHostRoute(String)} and lose it with {@link #removeHostRoute(String)};
 * the routes present at close are removed with the startup ones.
 *
 * <p>A TUN file descriptor returns one packet per read(2) and has no recvmmsg, so a batch is
 * made of successive non-blocking reads after one ppoll, until the queue is empty or the batch is
 * full.
 *
 * <p>With {@link TunConfig#offload()} the device is opened with a virtio header and TSO/checksum
 * offloads ({@link TunDevice#setOffload}): a read may return a TCP super-packet of up to 64 KiB,
 * which {@link GsoSplitter} cuts into the MTU-sized packets the stack expects (over several
 * batches if need be), and the packets sent in one round are joined by {@link TcpCoalescer} into
 * super-segments written once each at {@link #flush()}, so the kernel's forwarding work is done
 * per 64 KiB instead of per packet.
 */
public final class TunPacketIo implements PacketIo {
    private static final Logger LOG = LoggerFactory.getLogger(TunPacketIo.class);

    private final TunDevice device;
    private final TunConfig config;
    private final NetConfig net;
    private final boolean ownsNet;
    /** Undo actions for the device addresses open() configured, most recent first. */
    private final Deque<Undo> undo;
    /** The stack addresses routed into the device now, startup and runtime ones, in the order added. */
    private final LinkedHashSet<String> routes;
    private final ByteBuffer heapBounce;
    /** Offload path (null without): receive side. */
    private final ByteBuffer rxFrame;
    private final VirtioNetHdr rxHdr = new VirtioNetHdr();
    private final GsoSplitter splitter = new GsoSplitter();
    /** Offload path (null without): send side, used by the one sending thread. */
    private final TcpCoalescer coalescer;
    private final TcpCoalescer.Sink deviceSink;
    private boolean closed;

    @FunctionalInterface
    private interface Undo {
        void run() throws IOException;
    }

    private TunPacketIo(TunDevice device, TunConfig config, NetConfig net, boolean ownsNet, Deque<Undo> undo,
                        LinkedHashSet<String> routes) {
        this.device = device;
        this.config = config;
        this.net = net;
        this.ownsNet = ownsNet;
        this.undo = undo;
        this.routes = routes;
        this.heapBounce = ByteBuffer.allocateDirect(65536);
        this.rxFrame = config.offload() ? ByteBuffer.allocateDirect(VirtioNetHdr.LENGTH + 65536) : null;
        this.coalescer = config.offload() ? new TcpCoalescer(64, true) : null;
        this.deviceSink = device::write;
    }

    /**
     * Opens and configures the device over rtnetlink ({@link NetlinkNetConfig}); the netlink
     * socket is kept for the clean-up and closed with this object.
     */
    public static TunPacketIo open(TunConfig config) throws IOException {
        NetConfig net = NetlinkNetConfig.open(config.netns());
        try {
            return open(config, net, true);
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /**
     * Opens and configures the device with {@code net}, which must act on the namespace
     * {@code config.netns()}; the caller keeps ownership of {@code net} (close it after this).
     */
    public static TunPacketIo open(TunConfig config, NetConfig net) throws IOException {
        return open(config, net, false);
    }

    private static TunPacketIo open(TunConfig config, NetConfig net, boolean ownsNet) throws IOException {
        TunDevice device = config.netns() == null
                ? TunDevice.open(config.name(), config.offload())
                : Netns.call(config.netns(), () -> TunDevice.open(config.name(), config.offload()));
        Deque<Undo> undo = new ArrayDeque<>();
        LinkedHashSet<String> routes = new LinkedHashSet<>();
        String dev = device.name();
        try {
            if (config.offload()) {
                device.setOffload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6);
            }
            net.setMtu(dev, config.mtu());
            net.setUp(dev);
            for (String cidr : config.deviceAddresses()) {
                net.addAddress(dev, cidr);
                undo.push(() -> net.removeAddress(dev, cidr));
            }
            for (String address : config.stackAddresses()) {
                net.addHostRoute(dev, address);
                routes.add(address);
            }
        } catch (IOException | RuntimeException e) {
            removeRoutes(net, routes, device);
            runUndo(undo, device);
            device.close();
            throw e;
        }
        LOG.info("TUN device {} ({}) up, MTU {}, offloads {}, routes to {}", dev,
                device.created() ? "created" : "existing", config.mtu(), config.offload() ? "on" : "off",
                config.stackAddresses());
        return new TunPacketIo(device, config, net, ownsNet, undo, routes);
    }

    /** Removes the host routes in {@code routes}, most recent first, reporting failures and going on. */
    private static void removeRoutes(NetConfig net, LinkedHashSet<String> routes, TunDevice device) {
        List<String> l = new ArrayList<>(routes);
        for (int i = l.size() - 1; i >= 0; i--) {
            try {
                net.removeHostRoute(device.name(), l.get(i));
            } catch (IOException e) {
                LOG.warn("clean-up of {}: {}", device.name(), e.getMessage());
            }
        }
        routes.clear();
    }

    /**
     * Routes a stack address added at run time into the device, as {@link #open} does for the
     * startup ones ({@link NetConfig#addHostRoute}); removed again by {@link #removeHostRoute} or
     * on {@link #close()}.
     *
     * @throws TunException "already in use" when the kernel owns the address or a route to it
     *                      exists, also when this device routes it already
     * @throws IOException  when the device is closed or the kernel refuses
     */
    public synchronized void addHostRoute(String address) throws IOException {
        if (closed) {
            throw new IOException("the TUN device " + device.name() + " is closed");
        }
        net.addHostRoute(device.name(), address);
        routes.add(address);
        LOG.info("route to {} added on {}", address, device.name());
    }

    /**
     * Removes the host route of a stack address (startup or runtime). An address this object does
     * not route is left alone.
     *
     * @return whether it was routed by this object
     * @throws IOException when the device is closed or the kernel refuses (the route is then still
     *                     counted as this object's, to be removed on close)
     */
    public synchronized boolean removeHostRoute(String address) throws IOException {
        if (closed) {
            throw new IOException("the TUN device " + device.name() + " is closed");
        }
        if (!routes.contains(address)) {
            return false;
        }
        net.removeHostRoute(device.name(), address);
        routes.remove(address);
        LOG.info("route to {} removed from {}", address, device.name());
        return true;
    }

    /** The stack addresses this object routes into the device now, in the order they were added. */
    public synchronized List<String> hostRoutes() {
        return List.copyOf(routes);
    }

    private static void runUndo(Deque<Undo> undo, TunDevice device) {
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (IOException e) {
                // A created device may already have taken its routes with it; anything else is
                // reported, and the rest is still undone.
                LOG.warn("clean-up of {}: {}", device.name(), e.getMessage());
            }
        }
    }

    public TunDevice device() {
        return device;
    }

    public TunConfig config() {
        return config;
    }

    @Override
    public int receive(PacketBatch batch, long timeoutNanos) throws IOException {
        if (batch.bufferSize() < config.mtu()) {
            // read(2) on a TUN device truncates a packet longer than the buffer, silently.
            throw new IllegalArgumentException("batch slots of " + batch.bufferSize()
                    + " bytes cannot hold a packet of the MTU, " + config.mtu() + " bytes");
        }
        int first = batch.size();
        readAvailable(batch);
        if (batch.size() == first && timeoutNanos > 0 && device.await(timeoutNanos)) {
            readAvailable(batch);
        }
        return batch.size() - first;
    }

    private void readAvailable(PacketBatch batch) throws IOException {
        if (rxFrame != null) {
            readAvailableSplitting(batch);
            return;
        }
        while (!batch.isFull()) {
            ByteBuffer slot = batch.beginAdd();
            if (slot.isDirect()) {
                if (device.read(slot) == 0) {
                    batch.abortAdd();
                    return;
                }
                batch.commitAdd();
            } else {
                batch.abortAdd();
                heapBounce.clear();
                if (device.read(heapBounce) == 0) {
                    return;
                }
                batch.add(heapBounce.flip());
            }
        }
    }

    /** Offload path: frames read with their virtio header, handed out packet by packet. */
    private void readAvailableSplitting(PacketBatch batch) throws IOException {
        while (!batch.isFull()) {
            if (!splitter.hasNext()) {
                rxFrame.clear();
                if (device.read(rxFrame) == 0) {
                    return;
                }
                int n = rxFrame.position();
                if (n > VirtioNetHdr.LENGTH) {
                    splitter.begin(rxFrame, VirtioNetHdr.LENGTH, n - VirtioNetHdr.LENGTH, rxHdr.decode(rxFrame, 0));
                }
                continue;
            }
            ByteBuffer slot = batch.beginAdd();
            int len = splitter.next(slot);
            if (len < 0) {
                batch.abortAdd();
            } else {
                batch.commitAdd(len);
            }
        }
    }

    @Override
    public void send(ByteBuffer packet) throws IOException {
        if (coalescer != null) {
            coalescer.add(packet, deviceSink);
        } else {
            device.write(packet);
        }
    }

    @Override
    public void flush() throws IOException {
        if (coalescer != null) {
            coalescer.flush(deviceSink);
        }
    }

    /** Offload path: received packets dropped as malformed (0 without offloads). */
    public long malformedReceived() {
        return splitter.malformed();
    }

    @Override
    public void wakeup() {
        device.wakeup();
    }

    @Override
    public int mtu() {
        return config.mtu();
    }

    /** Removes the routes and addresses this object added, then closes the device. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!device.created()) {
            removeRoutes(net, routes, device);
            runUndo(undo, device);
        }
        // A device we created vanishes on close, and the kernel removes its addresses and routes
        // with it (routes and addresses die with their device), so there is nothing left to undo.
        routes.clear();
        undo.clear();
        device.close();
        if (ownsNet) {
            net.close();
        }
    }
}
