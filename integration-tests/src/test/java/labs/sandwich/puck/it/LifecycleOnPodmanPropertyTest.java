package labs.sandwich.puck.it;

import java.io.IOException;
import java.util.List;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.core.internal.LifecycleModelPropertyTest;
import labs.sandwich.puck.core.internal.LifecycleModelPropertyTest.Op;
import labs.sandwich.puck.podman.PodmanRuntimeProvider;
import labs.sandwich.puck.spi.RuntimeContext;
import labs.sandwich.puck.spi.SpriteRuntime;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The lifecycle model of puck-core, with the idle monitor and leases, run against real Podman:
 * 50 shorter sequences on two sprites, each compared step by step with the model, every sprite
 * purged at the end of its sequence.
 */
class LifecycleOnPodmanPropertyTest {
    private static final String PREFIX = "model-" + Long.toHexString(System.nanoTime() & 0xffffff) + "-";

    private static final LifecycleModelPropertyTest.Fixture PODMAN = new LifecycleModelPropertyTest.Fixture() {
        @Override
        public SpriteRuntime runtime(RuntimeContext context) {
            return new PodmanRuntimeProvider().create(context);
        }

        @Override
        public String prefix() {
            return PREFIX;
        }

        @Override
        public long startMemory(Sprite s) {
            try {
                return Memory.start(s);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public long nextMemory(Sprite s) {
            return Memory.next(s);
        }
    };

    @Provide
    Arbitrary<List<Op>> sequences() {
        return LifecycleModelPropertyTest.sequences(2, 6);
    }

    @Property(tries = 50)
    void podmanAgreesWithTheModel(@ForAll("sequences") List<Op> ops) throws IOException {
        LifecycleModelPropertyTest.check(ops, PODMAN);
    }
}
