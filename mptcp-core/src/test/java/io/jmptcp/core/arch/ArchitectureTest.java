package io.jmptcp.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Timer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of mptcp-core, as Linux keeps net/mptcp apart from net/ipv4 and smoltcp keeps
 * {@code wire} below {@code socket} below {@code iface}:
 *
 * <pre>
 *   runtime            event loop: threads, locks, clock, PacketIo, sockets
 *   engine             sans-I/O stack: demux, timers, egress; plain TCP connections
 *   mptcp              the MPTCP connection level
 *   conn               the connection contract between engine and protocols
 *   tcp                the subflow TCP engine
 *   cc, sched, pm      policies (congestion control, scheduling, path management)
 *   wire, mib          codec and counters (leaves)
 * </pre>
 *
 * A layer may use only the layers below it; no package cycles; and only {@code runtime} may read
 * a clock or use threads (the sans-I/O rule: time comes in as an argument).
 */
class ArchitectureTest {
    static final String CORE = "io.jmptcp.core";
    private static JavaClasses main;

    @BeforeAll
    static void importMain() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(CORE);
        assertTrue(main.size() > 50, "imported only " + main.size() + " core classes");
    }

    static ArchRule layers() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Runtime").definedBy(CORE + ".runtime..")
                .layer("Engine").definedBy(CORE + ".engine..")
                .layer("Mptcp").definedBy(CORE + ".mptcp..")
                .layer("Conn").definedBy(CORE + ".conn..")
                .layer("Tcp").definedBy(CORE + ".tcp..")
                .layer("Policies").definedBy(CORE + ".cc..", CORE + ".sched..", CORE + ".pm..")
                .layer("Wire").definedBy(CORE + ".wire..")
                .layer("Mib").definedBy(CORE + ".mib..")
                .whereLayer("Runtime").mayNotBeAccessedByAnyLayer()
                .whereLayer("Engine").mayOnlyBeAccessedByLayers("Runtime")
                .whereLayer("Mptcp").mayOnlyBeAccessedByLayers("Engine", "Runtime")
                .whereLayer("Conn").mayOnlyBeAccessedByLayers("Mptcp", "Engine", "Runtime")
                .whereLayer("Tcp").mayOnlyBeAccessedByLayers("Conn", "Mptcp", "Engine", "Runtime")
                .whereLayer("Policies").mayOnlyBeAccessedByLayers("Tcp", "Conn", "Mptcp", "Engine", "Runtime")
                .whereLayer("Wire").mayOnlyBeAccessedByLayers("Policies", "Tcp", "Conn", "Mptcp", "Engine", "Runtime");
    }

    static ArchRule noCycles() {
        return slices().matching(CORE + ".(*)..").should().beFreeOfCycles();
    }

    static ArchRule noClockOrThreadOutsideRuntime() {
        return noClasses().that().resideInAPackage(CORE + "..").and().resideOutsideOfPackage(CORE + ".runtime..")
                .should().callMethod(System.class, "nanoTime")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(Instant.class, "now")
                .orShould().callMethod(LocalDateTime.class, "now")
                .orShould().callMethod(ZonedDateTime.class, "now")
                .orShould().callMethod(OffsetDateTime.class, "now")
                .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
                .orShould().dependOnClassesThat().belongToAnyOf(Clock.class, Timer.class, Executors.class,
                        ScheduledExecutorService.class, ThreadPoolExecutor.class, ThreadLocalRandom.class)
                .orShould().dependOnClassesThat().areAssignableTo(Lock.class)
                .because("the engine is sans-I/O: time comes in as an argument, and only the runtime owns threads");
    }

    @Test
    void layersUseOnlyTheLayersBelow() {
        layers().check(main);
    }

    @Test
    void packagesHaveNoCycles() {
        noCycles().check(main);
    }

    @Test
    void onlyTheRuntimeReadsAClockOrUsesThreads() {
        noClockOrThreadOutsideRuntime().check(main);
    }

    /** The rules can fail: the main classes plus one offending test class break each of them. */
    @Test
    void eachRuleCatchesAnOffender() {
        JavaClasses withOffender = new ClassFileImporter().importPackages(CORE + ".tcp", CORE + ".runtime", CORE + ".conn",
                CORE + ".mib", CORE + ".wire", CORE + ".cc");
        assertTrue(withOffender.contain("io.jmptcp.core.tcp.ArchOffender"), "the offender was imported");
        AssertionError layer = assertThrows(AssertionError.class, () -> layers().check(withOffender));
        assertTrue(layer.getMessage().contains("ArchOffender"), layer.getMessage());
        AssertionError cycle = assertThrows(AssertionError.class, () -> noCycles().check(withOffender));
        assertTrue(cycle.getMessage().contains("ArchOffender"), cycle.getMessage());
        AssertionError clock = assertThrows(AssertionError.class, () -> noClockOrThreadOutsideRuntime().check(withOffender));
        assertTrue(clock.getMessage().contains("nanoTime") && clock.getMessage().contains("Thread"), clock.getMessage());
    }
}
