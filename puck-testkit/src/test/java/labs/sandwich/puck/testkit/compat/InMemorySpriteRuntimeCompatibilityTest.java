package labs.sandwich.puck.testkit.compat;

import static org.assertj.core.api.Assertions.assertThat;

import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;
import labs.sandwich.puck.testkit.SpriteRuntimeCompatibilityKit;
import org.junit.jupiter.api.AfterAll;

/**
 * The in-memory runtime passes the whole contract. This package is not the testkit's, as a
 * backend's would not be, so the kit is shown to work through its public and protected members
 * only. One runtime serves every test, as a real backend does, so leaks would show.
 */
class InMemorySpriteRuntimeCompatibilityTest extends SpriteRuntimeCompatibilityKit {
    private static final InMemorySpriteRuntime RUNTIME = new InMemorySpriteRuntime();

    @AfterAll
    static void nothingLeftBehind() {
        assertThat(RUNTIME.list()).as("sprites the kit did not delete").isEmpty();
    }

    @Override
    protected SpriteRuntime runtime() {
        return RUNTIME;
    }

    @Override
    protected void corruptSnapshot(Snapshot snapshot) {
        RUNTIME.corrupt(snapshot.id());
    }

    @Override
    protected void startMemoryWorkload(String sprite) {
        // The built-in counter lives in the sprite's memory from its first use.
    }

    @Override
    protected long readMemoryWorkload(String sprite) {
        return Long.parseLong(RUNTIME.exec(sprite, ExecRequest.of("counter")).orThrow().stdout().strip());
    }

    @Override
    protected boolean generateTraffic(String sprite) {
        RUNTIME.addTraffic(sprite, 1200, 300);
        return true;
    }
}
