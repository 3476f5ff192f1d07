package labs.sandwich.puck.discovery;

import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.RuntimeContext;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.spi.SpriteRuntimeProvider;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;

/** Providers for discovery tests, listed in service files that each test writes for its own class loader. */
public final class TestProviders {
    private TestProviders() {}

    /** Available, priority 100. */
    public static final class High implements SpriteRuntimeProvider {
        @Override public String name() { return "high"; }
        @Override public int priority() { return 100; }
        @Override public Probe probe(RuntimeContext c) { return Probe.available("high is here"); }
        @Override public SpriteRuntime create(RuntimeContext c) { return new InMemorySpriteRuntime(); }
    }

    /** Available, priority 10. */
    public static final class Low implements SpriteRuntimeProvider {
        @Override public String name() { return "low"; }
        @Override public int priority() { return 10; }
        @Override public Probe probe(RuntimeContext c) { return Probe.available("low is here"); }
        @Override public SpriteRuntime create(RuntimeContext c) { return new InMemorySpriteRuntime(); }
    }

    /** Also priority 10: loses to {@link Low} on the name tie-break. */
    public static final class Other implements SpriteRuntimeProvider {
        @Override public String name() { return "other"; }
        @Override public int priority() { return 10; }
        @Override public Probe probe(RuntimeContext c) { return Probe.available("other is here"); }
        @Override public SpriteRuntime create(RuntimeContext c) { return new InMemorySpriteRuntime(); }
    }

    /** Unavailable, with a reason and a remedy. */
    public static final class Missing implements SpriteRuntimeProvider {
        @Override public String name() { return "missing"; }
        @Override public int priority() { return 1000; }
        @Override public Probe probe(RuntimeContext c) { return Probe.unavailable("the missing socket is absent.", "Start the missing service."); }
        @Override public SpriteRuntime create(RuntimeContext c) { throw new AssertionError("never created"); }
    }

    /** Its probe throws. */
    public static final class Throwing implements SpriteRuntimeProvider {
        @Override public String name() { return "throwing"; }
        @Override public int priority() { return 500; }
        @Override public Probe probe(RuntimeContext c) { throw new IllegalStateException("probe exploded"); }
        @Override public SpriteRuntime create(RuntimeContext c) { throw new AssertionError("never created"); }
    }

    /** Built for a future SPI. */
    public static final class Future implements SpriteRuntimeProvider {
        @Override public String name() { return "future"; }
        @Override public int priority() { return 900; }
        @Override public String spiVersion() { return "99"; }
        @Override public Probe probe(RuntimeContext c) { return Probe.available("future"); }
        @Override public SpriteRuntime create(RuntimeContext c) { throw new AssertionError("never created"); }
    }

    /** Cannot even be instantiated. */
    public static final class Broken implements SpriteRuntimeProvider {
        public Broken() { throw new IllegalStateException("constructor exploded"); }
        @Override public String name() { return "broken"; }
        @Override public int priority() { return 1; }
        @Override public Probe probe(RuntimeContext c) { return Probe.available("never"); }
        @Override public SpriteRuntime create(RuntimeContext c) { throw new AssertionError("never created"); }
    }
}
