package labs.sandwich.puck.testkit.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;
import labs.sandwich.puck.testkit.SpriteRuntimeCompatibilityKit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestExecutionResult.Status;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

/** A runtime that declares fewer capabilities skips exactly those parts of the kit (never fails them), and refuses those operations. */
class ReducedCapabilitiesTest {
    private static final Set<String> CAPABILITY_GROUPS = Set.of("Pause", "Hibernate", "Archive", "Snapshots", "Fork", "ConsoleSession");

    /** The kit against a runtime with EXEC and FILES only; run through the launcher below (surefire skips nested classes). */
    static class ExecAndFilesOnly extends Kit {
        ExecAndFilesOnly() {
            super(EnumSet.of(Capability.EXEC, Capability.FILES));
        }
    }

    /** The kit against a runtime that declares nothing. */
    static class NothingDeclared extends Kit {
        NothingDeclared() {
            super(Set.of());
        }
    }

    abstract static class Kit extends SpriteRuntimeCompatibilityKit {
        private final InMemorySpriteRuntime runtime;

        Kit(Set<Capability> capabilities) {
            runtime = InMemorySpriteRuntime.builder().capabilities(capabilities).build();
        }

        @Override
        protected SpriteRuntime runtime() {
            return runtime;
        }

        @Override
        protected void corruptSnapshot(Snapshot snapshot) {
            throw new AssertionError("called without SNAPSHOT");
        }

        @Override
        protected void startMemoryWorkload(String sprite) {
            throw new AssertionError("called without PAUSE, HIBERNATE or SNAPSHOT");
        }

        @Override
        protected long readMemoryWorkload(String sprite) {
            throw new AssertionError("called without PAUSE, HIBERNATE or SNAPSHOT");
        }
    }

    /** How one test of the kit ended. */
    record Outcome(String group, String test, Status status, String message) {}

    private static List<Outcome> runKit(Class<? extends SpriteRuntimeCompatibilityKit> kit) {
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        Pattern group = Pattern.compile("\\[nested-class:(\\w+)]");
        LauncherFactory.create().execute(request().selectors(selectClass(kit)).build(), new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    Matcher m = group.matcher(id.getUniqueId());
                    String method = id.getSource().map(s -> ((MethodSource) s).getMethodName()).orElseThrow();
                    outcomes.add(new Outcome(m.find() ? m.group(1) : "", method, result.getStatus(),
                            result.getThrowable().map(String::valueOf).orElse("")));
                }
            }
        });
        return outcomes;
    }

    @Test
    @DisplayName("with EXEC and FILES only, the kit runs lifecycle, exec and files, and skips the rest with the runtime's reason")
    void execAndFilesOnly() {
        List<Outcome> outcomes = runKit(ExecAndFilesOnly.class);
        assertThat(outcomes).filteredOn(o -> o.status() == Status.FAILED).isEmpty();
        assertThat(outcomes).filteredOn(o -> CAPABILITY_GROUPS.contains(o.group()))
                .allSatisfy(o -> {
                    assertThat(o.status()).isEqualTo(Status.ABORTED);
                    assertThat(o.message()).contains("in-memory does not declare", "this in-memory runtime was built without");
                });
        assertThat(outcomes).filteredOn(o -> Set.of("Lifecycle", "Exec", "Files").contains(o.group()) && o.status() != Status.SUCCESSFUL)
                .extracting(Outcome::test)
                .as("only the tests that need a second capability are skipped")
                .containsExactlyInAnyOrder("deleteInAnyState", "hibernated", "trafficIsCounted");
        assertThat(outcomes).extracting(Outcome::group).as("every group was reached")
                .containsAll(CAPABILITY_GROUPS).contains("Lifecycle", "Exec", "Files");
    }

    @Test
    @DisplayName("with no capability at all, only the lifecycle runs, and nothing fails")
    void nothingDeclared() {
        List<Outcome> outcomes = runKit(NothingDeclared.class);
        assertThat(outcomes).filteredOn(o -> o.status() == Status.FAILED).isEmpty();
        assertThat(outcomes).filteredOn(o -> o.status() == Status.SUCCESSFUL).extracting(Outcome::group).containsOnly("Lifecycle");
        assertThat(outcomes).filteredOn(o -> o.group().equals("Lifecycle") && o.status() == Status.SUCCESSFUL).extracting(Outcome::test)
                .contains("createInspectList", "duplicateName", "refusesAbsentImage", "unknownSprite", "delete", "concurrently", "closedPort");
    }

    @Test
    @DisplayName("every operation outside the declared capabilities throws UnsupportedCapabilityException and changes nothing")
    void undeclaredOperationsThrow() {
        InMemorySpriteRuntime rt = InMemorySpriteRuntime.builder().capabilities(Set.of()).build();
        rt.create(SpriteSpec.named("bare"));
        Snapshot someSnapshot = new Snapshot(SnapshotId.random(), "bare", "x", Instant.EPOCH, 0, "0".repeat(64), Set.of());
        Map<String, Capability> needs = new LinkedHashMap<>();
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        needs.put("exec", Capability.EXEC);
        calls.put("exec", () -> rt.exec("bare", ExecRequest.of("true")));
        needs.put("console", Capability.CONSOLE);
        calls.put("console", () -> rt.console("bare", ConsoleRequest.DEFAULT));
        needs.put("writeFile", Capability.FILES);
        calls.put("writeFile", () -> rt.writeFile("bare", "/tmp/x", InputStream.nullInputStream()));
        needs.put("readFile", Capability.FILES);
        calls.put("readFile", () -> rt.readFile("bare", "/etc/hostname", OutputStream.nullOutputStream()));
        needs.put("pause", Capability.PAUSE);
        calls.put("pause", () -> rt.pause("bare"));
        needs.put("unpause", Capability.PAUSE);
        calls.put("unpause", () -> rt.unpause("bare"));
        needs.put("hibernate", Capability.HIBERNATE);
        calls.put("hibernate", () -> rt.hibernate("bare"));
        needs.put("wake", Capability.HIBERNATE);
        calls.put("wake", () -> rt.wake("bare"));
        needs.put("snapshot", Capability.SNAPSHOT);
        calls.put("snapshot", () -> rt.snapshot("bare", SnapshotId.random(), "x"));
        needs.put("restore", Capability.SNAPSHOT);
        calls.put("restore", () -> rt.restore("bare", someSnapshot));
        needs.put("deleteSnapshot", Capability.SNAPSHOT);
        calls.put("deleteSnapshot", () -> rt.deleteSnapshot(someSnapshot));
        needs.put("fork", Capability.FORK);
        calls.put("fork", () -> rt.fork(someSnapshot, SpriteSpec.named("bare-fork")));
        needs.put("endpoint", Capability.EXPOSE);
        calls.put("endpoint", () -> rt.endpoint("bare", 8080));

        calls.forEach((operation, call) -> assertThatThrownBy(call).as(operation)
                .isInstanceOfSatisfying(UnsupportedCapabilityException.class, e -> {
                    assertThat(e.capability()).isEqualTo(needs.get(operation));
                    assertThat(e.runtime()).isEqualTo("in-memory");
                    assertThat(e.getMessage()).contains(rt.unsupportedReason(needs.get(operation)));
                }));
        assertThat(rt.inspect("bare").orElseThrow().state()).isEqualTo(SpriteState.RUNNING);
        assertThat(rt.inspect("bare-fork")).isEmpty();
        assertThat(rt.isReady("bare", Readiness.port(8080))).as("port readiness needs no capability").isFalse();
        rt.delete("bare", DeletePolicy.PURGE);
        assertThat(rt.list()).isEmpty();
    }
}
