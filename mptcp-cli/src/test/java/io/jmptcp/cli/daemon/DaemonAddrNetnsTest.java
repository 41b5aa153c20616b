package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.status.StatusCommand;
import io.jmptcp.cli.testbed.Testbed;
import io.jmptcp.core.testutil.Host;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code jmptcp addr} on a daemon on the testbed (issue 10): an address added at run time gets its
 * host route on the daemon's TUN device, and, being a {@code subflow} endpoint, a subflow of a
 * live SOCKS connection to the kernel's MPTCP echo (its SYN/ACK comes back by that route); a flag
 * change shows in {@code addr list} and on the subflow; {@code addr del} removes the subflow and
 * the route while the echo goes on intact; the kernel's own address is refused; the routes of
 * runtime addresses go at shutdown.
 */
@Tag("netns")
class DaemonAddrNetnsTest {
    private Testbed tb;
    private Path tmp;
    private String tun;
    private Path control;

    @BeforeEach
    void up() throws Exception {
        Host.requireNetns("python3", "mptcpize");
        tb = Testbed.options(Testbed.randomPrefix("jad")).paths(2).noSignal().up();
        tmp = tb.dir();
        tun = tb.prefix() + "t0";
        control = tmp.resolve("control.sock");
        for (String py : new String[] {"echo_server.py", "socks_hold.py"}) {
            try (var in = getClass().getResourceAsStream("/daemon/" + py)) {
                Files.write(tmp.resolve(py), in.readAllBytes());
            }
        }
        tb.launch("srv", "mptcpize", "run", "python3", tmp.resolve("echo_server.py").toString(), "10.2.1.1", "7")
                .start();
        Testbed.await("the kernel's MPTCP echo server to listen", 20,
                () -> tb.sh("srv", "ss -ltnM | grep -q '10.2.1.1:7 '").exitCode() == 0);
    }

    @AfterEach
    void down() {
        if (tb != null) {
            tb.close();
        }
    }

    /** {@code jmptcp addr ARGS --control PATH} in the client namespace. */
    private Host.Result addr(String... args) {
        List<String> c = new ArrayList<>(List.of(tb.jmptcp(), "addr"));
        c.addAll(List.of(args));
        c.addAll(List.of("--control", control.toString()));
        return tb.exec(60, "cli", c);
    }

    private static boolean hasLine(String output, String line) {
        return Pattern.compile("^" + Pattern.quote(line) + "$", Pattern.MULTILINE).matcher(output).find();
    }

    /** The host routes into the TUN device, as {@code ip route show table all} lists them. */
    private String routes() {
        return tb.sh("cli", "ip route show table all dev " + tun).output();
    }

    private boolean routed(String address) {
        return Pattern.compile("^" + Pattern.quote(address) + " ", Pattern.MULTILINE).matcher(routes()).find()
                && tb.sh("cli", "ip route get " + address).output().contains(" dev " + tun + " ");
    }

    private boolean subflowFrom(String address) throws Exception {
        return StatusCommand.ask(control, "status").contains("\"local\":\"" + address + ":");
    }

    @Test
    void anAddressAddedAtRunTimeIsRoutedGetsASubflowAndLosesBothWhenDeleted() throws Exception {
        Testbed.Proc d = tb.jmptcp("cli", "daemon", "--tun", tun, "--address", "10.3.1.1", "--mptcp", "on",
                "--socks", "127.0.0.1:1090", "--control", control.toString()).start();
        d.await("the daemon's control socket", 60, () -> Files.exists(control));
        assertTrue(routed("10.3.1.1"), routes());
        assertFalse(routes().contains("10.3.2.1"), routes());
        Host.Result list = addr("list");
        assertEquals(0, list.exitCode(), list.output());
        assertTrue(hasLine(list.output(), "id 1 10.3.1.1"), list.output());

        // One connection to the kernel's MPTCP echo, held open and checked until the stop file appears.
        Path stop = tmp.resolve("stop");
        Testbed.Proc hold = tb.launch("cli", "python3", tmp.resolve("socks_hold.py").toString(), "127.0.0.1", "1090",
                "10.2.1.1", "7", stop.toString()).start();
        hold.await("the echo connection", 30, () -> hold.out().contains("connected"));
        Testbed.await("the connection in status", 20, () -> StatusCommand.ask(control, "status")
                .contains("\"remote\":\"10.2.1.1:7\""));
        assertFalse(subflowFrom("10.3.2.1"));

        Host.Result add = addr("add", "10.3.2.1");
        assertEquals(0, add.exitCode(), add.output() + d.out());
        assertTrue(hasLine(add.output(), "added id 2 10.3.2.1 subflow"), add.output());
        assertTrue(routed("10.3.2.1"), "host route on " + tun + " after addr add: " + routes());
        // The join's SYN/ACK reaches the stack only by the new route.
        Testbed.await("a subflow from 10.3.2.1 in status", 20, () -> subflowFrom("10.3.2.1"));

        Host.Result backup = addr("add", "10.3.2.1", "--backup");
        assertEquals(0, backup.exitCode(), backup.output());
        assertTrue(hasLine(backup.output(), "changed id 2 10.3.2.1 subflow,backup"), backup.output());
        list = addr("list");
        assertTrue(hasLine(list.output(), "id 1 10.3.1.1") && hasLine(list.output(), "id 2 10.3.2.1 subflow,backup"),
                list.output());
        Host.Result json = addr("list", "--json");
        assertTrue(json.output().contains("{\"address\":\"10.3.2.1\",\"id\":2,\"flags\":[\"subflow\",\"backup\"]}"),
                json.output());
        Testbed.await("the subflow from 10.3.2.1 marked backup (MP_PRIO)", 20, () -> Pattern.compile(
                "\"local\":\"10\\.3\\.2\\.1:\\d+\",\"remote\":\"[^\"]+\",\"state\":\"[A-Z_]+\",\"backup\":true")
                .matcher(StatusCommand.ask(control, "status")).find());

        Host.Result kernels = addr("add", "10.1.1.1");
        assertEquals(1, kernels.exitCode(), kernels.output());
        assertTrue(kernels.output().contains("jmptcp addr: cannot add 10.1.1.1: address 10.1.1.1 is already in use")
                && kernels.output().contains("local address of the kernel"), kernels.output());
        assertFalse(addr("list").output().contains("10.1.1.1"), "a refused route adds nothing");

        Host.Result del = addr("del", "10.3.2.1");
        assertEquals(0, del.exitCode(), del.output() + d.out());
        assertTrue(hasLine(del.output(), "removed id 2 10.3.2.1 subflow,backup"), del.output());
        assertFalse(routes().contains("10.3.2.1"), "route gone after addr del: " + routes());
        assertFalse(tb.sh("cli", "ip route get 10.3.2.1").output().contains(" dev " + tun + " "));
        Testbed.await("the subflow from 10.3.2.1 to close", 20, () -> !subflowFrom("10.3.2.1"));
        Host.Result again = addr("del", "10.3.2.1");
        assertEquals(1, again.exitCode(), again.output());
        assertTrue(again.output().contains("10.3.2.1 is not a stack address"), again.output());
        Host.Result last = addr("del", "10.3.1.1");
        assertEquals(1, last.exitCode(), last.output());
        assertTrue(last.output().contains("the stack's last address cannot be removed"), last.output());

        Files.createFile(stop);
        assertEquals(0, hold.exitCode(60), "the echo survives the added and removed subflow: " + hold.out() + d.out());
        assertTrue(hold.out().contains("ok "), hold.out());

        Host.Result late = addr("add", "10.3.9.1", "--flags", "signal");
        assertEquals(0, late.exitCode(), late.output());
        assertTrue(routed("10.3.9.1"), routes());
        d.terminate();
        assertEquals(0, d.exitCode(30), d.out());
        assertFalse(tb.sh("cli", "ip route show table all").output().contains("10.3.9.1"),
                "the runtime address's route went with the daemon");
        assertFalse(tb.sh("cli", "ip link show " + tun).exitCode() == 0, "the device is gone");
    }
}
