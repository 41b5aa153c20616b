package io.jmptcp.tun;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link NetConfig} by running ip(8) from iproute2 (not rtnetlink directly): simple and
 * transparent, at the cost of a process per change, which only happens at start and stop.
 * With a namespace name, every command runs as {@code ip -n NAME ...}.
 */
public final class IpCommandNetConfig implements NetConfig {
    private final String netns;

    /** @param netns the namespace to configure, or null for the current one */
    public IpCommandNetConfig(String netns) {
        this.netns = netns;
    }

    @Override
    public void setMtu(String dev, int mtu) throws IOException {
        ip("link", "set", "dev", dev, "mtu", Integer.toString(mtu)).check("set the MTU of " + dev);
    }

    @Override
    public void setUp(String dev) throws IOException {
        ip("link", "set", "dev", dev, "up").check("bring " + dev + " up");
    }

    @Override
    public void addAddress(String dev, String cidr) throws IOException {
        // Linux accepts the same address on two devices; only the same device says "File exists".
        // Both mean the address is taken, so look first.
        String bare = cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
        String owner = localOwner(bare);
        if (owner != null) {
            throw new TunException("address " + bare + " is already in use in this namespace (on device "
                    + owner + "); choose another address or remove it first", LibC.EEXIST);
        }
        Result r = ip("addr", "add", cidr, "dev", dev);
        if (r.code != 0 && r.output.contains("File exists")) {
            throw new TunException("address " + cidr + " is already in use in this namespace "
                    + "(ip addr add: File exists); choose another address or remove it first", LibC.EEXIST);
        }
        r.check("add address " + cidr + " to " + dev);
    }

    @Override
    public void removeAddress(String dev, String cidr) throws IOException {
        ip("addr", "del", cidr, "dev", dev).check("remove address " + cidr + " from " + dev);
    }

    @Override
    public void addHostRoute(String dev, String address) throws IOException {
        // A local address would be delivered to the kernel itself (local table, RFC 1122
        // section 3.3.4 weak host model), never routed into the device.
        String owner = localOwner(address);
        if (owner != null) {
            throw new TunException("address " + address + " is already in use: it is a local address "
                    + "of the kernel (on device " + owner + "), so the stack cannot own it", LibC.EEXIST);
        }
        Result r = ip("route", "add", hostPrefix(address), "dev", dev);
        if (r.code != 0 && r.output.contains("File exists")) {
            throw new TunException("address " + address + " is already in use: a route to it exists "
                    + "(ip route add: File exists); is another stack or device using it? "
                    + "(see: ip route get " + address + ")", LibC.EEXIST);
        }
        r.check("add a host route to " + address + " via " + dev);
    }

    @Override
    public void removeHostRoute(String dev, String address) throws IOException {
        ip("route", "del", hostPrefix(address), "dev", dev).check("remove the route to " + address);
    }

    @Override
    public boolean linkExists(String dev) throws IOException {
        return ip("link", "show", "dev", dev).code == 0;
    }

    /** The device that has {@code address} as a local address, or null. */
    private String localOwner(String address) throws IOException {
        Result r = ip("-o", "addr", "show", "to", hostPrefix(address));
        if (r.code != 0) {
            return null;
        }
        for (String line : r.output.split("\n")) {
            // "3: jtund    inet 10.77.3.1/32 scope global jtund"
            String[] f = line.trim().split("\\s+");
            if (f.length > 1) {
                return f[1];
            }
        }
        return null;
    }

    private static String hostPrefix(String address) {
        return address.contains(":") ? address + "/128" : address + "/32";
    }

    private record Result(List<String> command, int code, String output) {
        void check(String what) throws IOException {
            if (code != 0) {
                throw new TunException("cannot " + what + ": '" + String.join(" ", command)
                        + "' exited " + code + ": " + output.strip(), 0);
            }
        }
    }

    private Result ip(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        if (netns != null) {
            cmd.add("-n");
            cmd.add(netns);
        }
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new TunException("cannot run ip(8) (is iproute2 installed?): " + e.getMessage(), 0);
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
        return new Result(cmd, p.exitValue(), out);
    }
}
