package io.jmptcp.tun;

import io.jmptcp.core.runtime.PacketBatch;
import io.jmptcp.core.runtime.PacketIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PacketIo} over a {@link TunDevice}: opens (or creates) the device, sets its MTU, brings it
 * up, adds the kernel-side addresses and a host route for each stack address, and on
 * {@link #close()} removes exactly what it added, in reverse order, then closes the device (a
 * device it created disappears).
 *
 * <p>A TUN file descriptor returns one packet per read(2) and has no recvmmsg, so a batch is
 * made of successive non-blocking reads after one ppoll, until the queue is empty or the batch is
 * full.
 */
public final class TunPacketIo implements PacketIo {
    private static final Logger LOG = LoggerFactory.getLogger(TunPacketIo.class);

    private final TunDevice device;
    private final TunConfig config;
    private final NetConfig net;
    /** Undo actions for what open() configured, most recent first. */
    private final Deque<Undo> undo;
    private final ByteBuffer heapBounce;
    private boolean closed;

    @FunctionalInterface
    private interface Undo {
        void run() throws IOException;
    }

    private TunPacketIo(TunDevice device, TunConfig config, NetConfig net, Deque<Undo> undo) {
        this.device = device;
        this.config = config;
        this.net = net;
        this.undo = undo;
        this.heapBounce = ByteBuffer.allocateDirect(65536);
    }

    /** Opens and configures the device with ip(8) ({@link IpCommandNetConfig}). */
    public static TunPacketIo open(TunConfig config) throws IOException {
        return open(config, new IpCommandNetConfig(config.netns()));
    }

    public static TunPacketIo open(TunConfig config, NetConfig net) throws IOException {
        TunDevice device = config.netns() == null
                ? TunDevice.open(config.name())
                : Netns.call(config.netns(), () -> TunDevice.open(config.name()));
        Deque<Undo> undo = new ArrayDeque<>();
        String dev = device.name();
        try {
            net.setMtu(dev, config.mtu());
            net.setUp(dev);
            for (String cidr : config.deviceAddresses()) {
                net.addAddress(dev, cidr);
                undo.push(() -> net.removeAddress(dev, cidr));
            }
            for (String address : config.stackAddresses()) {
                net.addHostRoute(dev, address);
                undo.push(() -> net.removeHostRoute(dev, address));
            }
        } catch (IOException | RuntimeException e) {
            runUndo(undo, device);
            device.close();
            throw e;
        }
        LOG.info("TUN device {} ({}) up, MTU {}, routes to {}", dev,
                device.created() ? "created" : "existing", config.mtu(), config.stackAddresses());
        return new TunPacketIo(device, config, net, undo);
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

    @Override
    public void send(ByteBuffer packet) throws IOException {
        device.write(packet);
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
            runUndo(undo, device);
        }
        // A device we created vanishes on close, and the kernel removes its addresses and routes
        // with it (routes and addresses die with their device), so there is nothing left to undo.
        undo.clear();
        device.close();
    }
}
