package labs.sandwich.puck.testkit;

import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.spi.SpriteRuntime;

/** The in-memory runtime passes the whole contract. */
class InMemorySpriteRuntimeCompatibilityTest extends SpriteRuntimeCompatibilityKit {
    private final InMemorySpriteRuntime runtime = new InMemorySpriteRuntime();

    @Override
    protected SpriteRuntime runtime() {
        return runtime;
    }

    @Override
    protected void corruptSnapshot(Snapshot snapshot) {
        runtime.corrupt(snapshot.id());
    }

    @Override
    protected void startMemoryWorkload(String sprite) {
        // The counter lives in the sprite's memory from its first use.
    }

    @Override
    protected long readMemoryWorkload(String sprite) {
        return Long.parseLong(runtime.exec(sprite, ExecRequest.of("counter")).stdout().strip());
    }
}
