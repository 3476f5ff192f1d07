package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real JVMs share one store file: each sees the other's sprites, journal, backend state
 * and lease, and they write at the same time without losing anything or timing out.
 * They coordinate through the store itself; every wait is bounded.
 */
class StateStoreTwoJvmTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int CONCURRENT_WRITES = 200;

    @TempDir
    Path tmp;

    /**
     * The second JVM: waits for the parent's sprite, answers with its own sprite, a journaled
     * hibernate and the lease, writes while the parent writes, then waits for the parent to
     * wake its sprite.
     */
    public static void main(String[] args) throws Exception {
        try (StateStore store = StateStore.open(Path.of(args[0]), Clock.systemUTC())) {
            await(() -> store.sprite("from-parent").isPresent(), "the parent's sprite");
            check(store.backendState().get("from-parent", "who").equals(Optional.of("parent")), "the parent's backend state");
            check(store.tryAcquireLease("monitor", "child", Duration.ofMinutes(1)), "the lease");
            store.insertSprite(record("from-child"));
            store.end(store.begin("from-child", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "child"), SpriteState.HIBERNATED, "ok");
            for (int i = 0; i < CONCURRENT_WRITES; i++) {
                store.backendState().put("from-child", "k" + i, "child");
            }
            await(() -> store.sprite("from-child").map(r -> r.state() == SpriteState.RUNNING).orElse(false), "the parent's wake of my sprite");
            check(store.backendState().all("from-parent").size() == CONCURRENT_WRITES + 1, "all of the parent's writes");
            System.out.println("child saw everything");
        }
    }

    @Test
    void twoProcessesSeeEachOthersWritesBothWays() throws Exception {
        Path file = tmp.resolve("shared.db");
        try (StateStore store = StateStore.open(file, Clock.systemUTC())) {
            Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), StateStoreTwoJvmTest.class.getName(), file.toString())
                    .redirectErrorStream(true).start();
            try {
                store.backendState().put("from-parent", "who", "parent");
                store.insertSprite(record("from-parent"));
                await(() -> store.sprite("from-child").isPresent(), "the child's sprite");
                for (int i = 0; i < CONCURRENT_WRITES; i++) { // while the child writes its own
                    store.backendState().put("from-parent", "k" + i, "parent");
                }
                await(() -> store.sprite("from-child").map(r -> r.state() == SpriteState.HIBERNATED).orElse(false), "the child's hibernate");
                assertThat(store.history("from-child", 5)).singleElement().satisfies(e -> {
                    assertThat(e.pid()).as("journaled by the child").isEqualTo(child.pid());
                    assertThat(e.detail()).isEqualTo("child");
                    assertThat(e.to()).isEqualTo(SpriteState.HIBERNATED);
                });
                assertThat(store.tryAcquireLease("monitor", "parent", Duration.ofMinutes(1))).as("the child holds the lease").isFalse();

                store.end(store.begin("from-child", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "parent"), SpriteState.RUNNING, "ok");
                assertThat(child.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("the child finished").isTrue();
                String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(child.exitValue()).as(out).isZero();
                assertThat(out).contains("child saw everything");
            } finally {
                child.destroyForcibly();
            }
            assertThat(store.sprites()).extracting(SpriteRecord::name).containsExactly("from-child", "from-parent");
            assertThat(store.backendState().all("from-child")).hasSize(CONCURRENT_WRITES);
            assertThat(store.history("from-child", 5)).extracting(JournalEntry::operation).containsExactly("wake", "hibernate");
        }
    }

    private static SpriteRecord record(String name) {
        return new SpriteRecord(name, "test", SpriteState.RUNNING, SpriteSpec.named(name), Instant.now(), Instant.now());
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError("the child did not see " + what);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("gave up after " + PATIENCE + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
