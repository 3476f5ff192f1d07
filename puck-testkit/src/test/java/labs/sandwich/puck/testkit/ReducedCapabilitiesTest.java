package labs.sandwich.puck.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/** A runtime that declares fewer capabilities skips those groups of the kit (never fails them) and refuses those operations. */
class ReducedCapabilitiesTest {
    /** Runs the kit against a runtime with EXEC and FILES only. */
    static class LimitedKit extends SpriteRuntimeCompatibilityKit {
        private final InMemorySpriteRuntime runtime = InMemorySpriteRuntime.builder().capabilities(EnumSet.of(Capability.EXEC, Capability.FILES)).build();

        @Override
        protected SpriteRuntime runtime() {
            return runtime;
        }

        @Override
        protected void corruptSnapshot(Snapshot snapshot) {
            throw new AssertionError("never called without SNAPSHOT");
        }

        @Override
        protected void startMemoryWorkload(String sprite) {}

        @Override
        protected long readMemoryWorkload(String sprite) {
            throw new AssertionError("never called without HIBERNATE or SNAPSHOT");
        }
    }

    @Test
    void theKitSkipsWhatTheRuntimeDoesNotDeclare() {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        Map<String, String> skipped = new HashMap<>();
        launcher.execute(request().selectors(selectClass(LimitedKit.class)).build(), listener, new org.junit.platform.launcher.TestExecutionListener() {
            @Override
            public void executionSkipped(org.junit.platform.launcher.TestIdentifier id, String reason) {
                skipped.put(id.getDisplayName(), reason);
            }

            @Override
            public void executionFinished(org.junit.platform.launcher.TestIdentifier id, org.junit.platform.engine.TestExecutionResult result) {
                if (result.getStatus() == org.junit.platform.engine.TestExecutionResult.Status.ABORTED) {
                    skipped.put(id.getDisplayName(), result.getThrowable().map(Throwable::getMessage).orElse(""));
                }
            }
        });
        TestExecutionSummary summary = listener.getSummary();
        assertThat(summary.getTotalFailureCount()).as("failures: %s", summary.getFailures()).isZero();
        assertThat(summary.getTestsSucceededCount()).as("exec, files and lifecycle ran").isGreaterThanOrEqualTo(12);
        assertThat(summary.getTestsAbortedCount()).as("hibernate, pause, snapshot, fork, console skipped").isGreaterThanOrEqualTo(10);
        assertThat(skipped.values()).anyMatch(r -> r.contains("does not declare HIBERNATE"));
    }

    @Test
    void undeclaredOperationsThrow() {
        InMemorySpriteRuntime rt = InMemorySpriteRuntime.builder().capabilities(EnumSet.of(Capability.EXEC)).build();
        rt.create(SpriteSpec.named("l"));
        assertThatThrownBy(() -> rt.hibernate("l")).isInstanceOfSatisfying(UnsupportedCapabilityException.class, e -> {
            assertThat(e.capability()).isEqualTo(Capability.HIBERNATE);
            assertThat(e.getMessage()).contains("in-memory", "built without HIBERNATE");
        });
        assertThatThrownBy(() -> rt.snapshot("l", SnapshotId.random(), "x")).isInstanceOf(UnsupportedCapabilityException.class);
        assertThatThrownBy(() -> rt.pause("l")).isInstanceOf(UnsupportedCapabilityException.class);
        assertThat(rt.exec("l", ExecRequest.of("echo", "ok")).stdout()).isEqualTo("ok\n");
    }
}
