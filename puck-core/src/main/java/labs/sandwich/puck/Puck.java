package labs.sandwich.puck;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Change;
import labs.sandwich.puck.api.Events;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.core.internal.Config;
import labs.sandwich.puck.core.internal.Discovery;
import labs.sandwich.puck.core.internal.Engine;
import labs.sandwich.puck.core.internal.EngineContext;
import labs.sandwich.puck.core.internal.EventBus;
import labs.sandwich.puck.core.internal.IdleMonitor;
import labs.sandwich.puck.core.internal.Ingresses;
import labs.sandwich.puck.core.internal.JournalEntry;
import labs.sandwich.puck.core.internal.SpriteHandle;
import labs.sandwich.puck.core.internal.SpriteRecord;
import labs.sandwich.puck.core.internal.StateStore;
import labs.sandwich.puck.core.internal.TcpForwarding;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.spi.SpriteRuntimeProvider;
import org.jspecify.annotations.Nullable;

/**
 * The entry point: opens a runtime and Puck's state store, and makes and finds sprites.
 *
 * <pre>{@code
 * try (Puck puck = Puck.open()) {
 *     Sprite s = puck.create(SpriteSpec.named("media-bot"));
 *     s.exec("apt-get", "install", "-y", "ffmpeg");
 *     s.hibernate();
 * }
 * }</pre>
 *
 * <p>{@link #open()} discovers the runtime with {@link java.util.ServiceLoader}: an explicit
 * choice ({@link Builder#runtime(String)}, {@code -Dpuck.runtime}, {@code PUCK_RUNTIME}) wins,
 * then the available runtime with the highest priority. When none can be used, one
 * {@link labs.sandwich.puck.api.RuntimeUnavailableException} lists every candidate, why it is
 * unavailable and the fix. Opening also reconciles the store with the runtime, repairing
 * what an interrupted process left.
 *
 * <p>Thread-safe. Close it to release the runtime and the store; sprites keep running.
 */
public final class Puck implements AutoCloseable {
    /** The timeout of operations that do not take one. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(30);

    private final Engine engine;
    private final EventBus bus;
    private final StateStore store;
    private final boolean ownsRuntime;
    private final @Nullable IdleMonitor monitor;
    private final Ingresses.@Nullable Opened ingress;

    private Puck(Engine engine, EventBus bus, StateStore store, boolean ownsRuntime, @Nullable IdleMonitor monitor, Ingresses.@Nullable Opened ingress) {
        this.engine = engine;
        this.bus = bus;
        this.store = store;
        this.ownsRuntime = ownsRuntime;
        this.monitor = monitor;
        this.ingress = ingress;
    }

    /**
     * Opens Puck with the discovered runtime and the default store
     * ({@code $XDG_DATA_HOME/puck/puck.db} or {@code ~/.local/share/puck/puck.db}).
     *
     * @return an open Puck
     * @throws labs.sandwich.puck.api.RuntimeUnavailableException if no runtime can be used
     * @throws labs.sandwich.puck.api.StoreException if the store cannot be opened
     */
    public static Puck open() {
        return builder().build();
    }

    /** @return a builder for a Puck with a chosen runtime, store, clock or configuration */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates a sprite with every default and waits until it runs.
     *
     * @param name the sprite's name
     * @return the sprite
     * @throws InvalidSpecException if the name is invalid
     * @throws labs.sandwich.puck.api.SpriteAlreadyExistsException if the name is taken
     */
    public Sprite create(String name) {
        return create(SpriteSpec.named(name));
    }

    /**
     * Creates a sprite and waits until it runs and is ready.
     *
     * @param spec what to create
     * @return the sprite
     * @throws labs.sandwich.puck.api.SpriteAlreadyExistsException if the name is taken
     * @throws labs.sandwich.puck.api.ImageNotFoundException if the image is absent
     */
    public Sprite create(SpriteSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return handle(engine.create(spec, engine.defaultTimeout()).name());
    }

    /**
     * Creates several sprites in parallel and returns when all are ready. If any fails, the
     * others still finish, and the first failure is thrown with the rest suppressed.
     *
     * @param specs what to create; names must differ
     * @return the sprites, in the order of {@code specs}
     */
    public List<Sprite> createAll(List<SpriteSpec> specs) {
        if (specs.stream().map(SpriteSpec::name).distinct().count() != specs.size()) {
            throw new InvalidSpecException("specs", "Two specs passed to createAll have the same name.", "Give every sprite its own name.");
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Sprite>> futures = specs.stream().map(s -> pool.submit(() -> create(s))).toList();
            List<Sprite> created = new ArrayList<>();
            PuckException first = null;
            for (Future<Sprite> f : futures) {
                try {
                    created.add(f.get());
                } catch (ExecutionException e) {
                    PuckException p = e.getCause() instanceof PuckException pe ? pe : new labs.sandwich.puck.api.BackendException(
                            runtimeName(), null, 0, "createAll failed: " + e.getCause(), null, e.getCause());
                    if (first == null) {
                        first = p;
                    } else {
                        first.addSuppressed(p);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new OperationInterruptedException(null, "createAll", e);
                }
            }
            if (first != null) {
                throw first;
            }
            return created;
        }
    }

    /**
     * @param name a sprite's name
     * @return its handle
     * @throws SpriteNotFoundException if there is no such sprite
     */
    public Sprite get(String name) {
        return handle(engine.record(name).name());
    }

    /**
     * @param name a sprite's name
     * @return its handle, or empty if there is no such sprite
     */
    public Optional<Sprite> find(String name) {
        return store.sprite(name).map(r -> handle(r.name()));
    }

    /** @return every sprite in the store, by name */
    public List<Sprite> list() {
        return store.sprites().stream().map(SpriteRecord::name).map(this::handle).toList();
    }

    /**
     * Builds an image from a directory holding a {@code Containerfile} (or {@code Dockerfile})
     * and tags it, so that sprites can start from it:
     * {@code puck.create(SpriteSpec.named("x").withImage(puck.buildImage(dir, "localhost/me/tools:1")))}.
     * Blocks until the build ends, for at most 30 minutes.
     *
     * @param context the build context directory
     * @param tag     the image's tag, e.g. {@code localhost/me/tools:1}
     * @return the tag
     * @throws InvalidSpecException if the directory or its Containerfile is missing, or the tag is invalid
     * @throws labs.sandwich.puck.api.UnsupportedCapabilityException without {@link Capability#BUILD_IMAGES}
     * @throws labs.sandwich.puck.api.BackendException if the build fails, with the builder's message
     */
    public ImageRef buildImage(Path context, String tag) {
        return engine.buildImage(context, ImageRef.of(tag), BUILD_TIMEOUT);
    }

    /** @return the lifecycle events of every sprite; subscribe to receive them */
    public Events events() {
        return bus;
    }

    /** @return the runtime's name, e.g. {@code podman} */
    public String runtimeName() {
        return engine.runtime().name();
    }

    /** @return what the runtime can do here */
    public Set<Capability> capabilities() {
        return engine.capabilities();
    }

    /**
     * The journal of every sprite's state changes, from every process using this store, for
     * following it: call again with the last sequence seen.
     *
     * @param afterSequence a {@link Change#sequence()}, or 0 for the beginning
     * @param limit         at most this many, {@code >= 1}
     * @return the changes after it, oldest first
     */
    public List<Change> changesAfter(long afterSequence, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return store.journalAfter(afterSequence, limit).stream().map(JournalEntry::change).toList();
    }

    /** @return the ingress's name, if this Puck publishes exposed ports through one */
    public Optional<String> ingressName() {
        return Optional.ofNullable(ingress).map(i -> i.ingress().name());
    }

    /** @return whether an idle monitor (puckd's, or a Puck's with monitorIdle) serves this store now */
    public boolean idleMonitorRunning() {
        return IdleMonitor.running(store);
    }

    /** @return the state store file */
    public Path storeFile() {
        return store.file();
    }

    private Sprite handle(String name) {
        return new SpriteHandle(engine, bus, name, () -> IdleMonitor.running(store));
    }

    /**
     * Closes the idle monitor (if this Puck ran one), the runtime (if Puck created it), the
     * event bus and the store. Sprites keep running.
     */
    @Override
    public void close() {
        try {
            if (monitor != null) {
                monitor.close();
            }
        } finally {
            closeRest();
        }
    }

    private void closeRest() {
        try {
            engine.tcp().ifPresent(TcpForwarding::close);
            if (ingress != null) {
                ingress.close();
            }
        } finally {
            closeRuntimeBusStore();
        }
    }

    private void closeRuntimeBusStore() {
        try {
            if (ownsRuntime) {
                engine.runtime().close();
            }
        } finally {
            try {
                bus.close();
            } finally {
                store.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Puck[runtime=" + runtimeName() + ", store=" + store.file() + ", sprites=" + store.sprites().size() + "]";
    }

    /** Configures and opens a {@link Puck}. Not thread-safe; {@link #build()} may be called once per configuration. */
    public static final class Builder {
        private @Nullable String runtimeName;
        private @Nullable SpriteRuntimeProvider provider;
        private @Nullable SpriteRuntime runtime;
        private @Nullable Path store;
        private Clock clock = Clock.systemUTC();
        private @Nullable ClassLoader classLoader;
        private final Map<String, String> config = new LinkedHashMap<>();
        private Duration defaultTimeout = DEFAULT_TIMEOUT;
        private boolean reconcile = true;
        private boolean monitorIdle;
        private @Nullable String ingressName;
        private Duration monitorInterval = Duration.ofSeconds(1);

        private Builder() {}

        /**
         * Chooses the runtime by name, overriding {@code -Dpuck.runtime} and {@code PUCK_RUNTIME}.
         *
         * @param name e.g. {@code podman}
         * @return this builder
         */
        public Builder runtime(String name) {
            this.runtimeName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Uses this provider, skipping discovery; it is still probed.
         *
         * @param provider the provider
         * @return this builder
         */
        public Builder runtime(SpriteRuntimeProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
            return this;
        }

        /**
         * Uses this runtime instance, skipping discovery (e.g. {@code InMemorySpriteRuntime} in
         * tests). The caller keeps ownership: closing Puck does not close it.
         *
         * @param runtime the runtime
         * @return this builder
         */
        public Builder runtime(SpriteRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /**
         * @param file the SQLite state store; created if absent. Default: {@code puck.store}
         *             setting, then {@code $XDG_DATA_HOME/puck/puck.db} or {@code ~/.local/share/puck/puck.db}
         * @return this builder
         */
        public Builder store(Path file) {
            this.store = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * @param clock the clock for timestamps and timeouts (a test clock in tests)
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param loader where to look for runtime providers; default: the thread's context class loader, then Puck's own
         * @return this builder
         */
        public Builder classLoader(ClassLoader loader) {
            this.classLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * Sets a configuration value for runtimes, ahead of {@code -Dpuck.<key>} and {@code PUCK_<KEY>}.
         *
         * @param key   e.g. {@code podman.socket}
         * @param value its value
         * @return this builder
         */
        public Builder config(String key, String value) {
            config.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * @param timeout the timeout of operations that do not take one; positive
         * @return this builder
         * @throws InvalidSpecException if it is not positive
         */
        public Builder defaultTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new InvalidSpecException("defaultTimeout", "Invalid default timeout " + timeout + ".", "Use a positive duration, e.g. Duration.ofMinutes(2).");
            }
            this.defaultTimeout = timeout;
            return this;
        }

        /**
         * @param reconcile whether opening repairs the store against the runtime (default true)
         * @return this builder
         */
        public Builder reconcile(boolean reconcile) {
            this.reconcile = reconcile;
            return this;
        }

        /**
         * Makes this Puck run the idle monitor for its store, so sprites sleep by themselves as
         * their {@link labs.sandwich.puck.api.SleepPolicy} says. Only one monitor acts per store
         * at a time (a lease in the store): where {@code puckd} runs, it has it, and this one waits
         * to take over. Default: off.
         *
         * @param monitor whether to run it
         * @return this builder
         */
        public Builder monitorIdle(boolean monitor) {
            this.monitorIdle = monitor;
            return this;
        }

        /**
         * Publishes exposed ports through an ingress found by ServiceLoader, e.g. {@code caddy}
         * (from puck-network: {@code http://<name>.localhost}), with the activator that wakes a
         * sleeping sprite on its first request. Default: the {@code puck.ingress} setting, else the
         * ingress the store's sprites were last exposed through, else none ({@code expose} then
         * gives the sprite's own address); {@code none} says none.
         *
         * @param name the ingress's name
         * @return this builder
         */
        public Builder ingress(String name) {
            this.ingressName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param interval time between the idle monitor's ticks; from 10 ms to 1 min (default 1 s)
         * @return this builder
         * @throws InvalidSpecException if it is out of range
         */
        public Builder monitorInterval(Duration interval) {
            if (interval == null || interval.compareTo(Duration.ofMillis(10)) < 0 || interval.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new InvalidSpecException("monitorInterval", "Invalid idle monitor interval " + interval + ".", "Use 10 ms to 1 min, e.g. Duration.ofSeconds(1).");
            }
            this.monitorInterval = interval;
            return this;
        }

        /**
         * Discovers the runtime, opens the store and reconciles them.
         *
         * @return an open Puck
         * @throws labs.sandwich.puck.api.RuntimeUnavailableException if no runtime can be used
         * @throws labs.sandwich.puck.api.StoreException if the store cannot be opened
         */
        public Puck build() {
            Config settings = Config.system(config);
            Path file = store != null ? store : settings.get("store").map(Path::of).orElseGet(StateStore::defaultFile);
            Path dataDir = file.toAbsolutePath().getParent().resolve("data");
            EventBus bus = new EventBus();
            StateStore[] opened = new StateStore[1];
            EngineContext context = new EngineContext(clock, dataDir, settings, () -> opened[0], bus);
            SpriteRuntime rt = runtime;
            boolean owns = false;
            StateStore st = null;
            Ingresses.Opened ingressOpened = null;
            TcpForwarding tcpOpened = null;
            try {
                if (rt == null) {
                    String wanted = runtimeName != null ? runtimeName : settings.get("runtime").orElse(null);
                    Discovery.Selected chosen = Discovery.select(wanted, provider, loaders(), context);
                    st = StateStore.open(file, clock);
                    opened[0] = st;
                    rt = chosen.provider().create(context);
                    owns = true;
                } else {
                    st = StateStore.open(file, clock);
                    opened[0] = st;
                }
                Engine engine = new Engine(rt, st, bus, clock, defaultTimeout);
                if (reconcile) {
                    engine.reconcile();
                }
                // Once something was exposed through an ingress, every process on the store uses it, so routes follow every change.
                String ingressWanted = ingressName != null ? ingressName
                        : settings.get("ingress").or(() -> engine.store().backendState().get("puck", "ingress")).filter(n -> !n.equals("none")).orElse(null);
                ingressOpened = ingressWanted == null ? null : Ingresses.open(ingressWanted, loaders(), context, engine, settings);
                // Raw TCP: host ports and <name>.internal; the process watching the store serves every recorded one.
                boolean internal = rt.capabilities().contains(labs.sandwich.puck.api.Capability.INTERNAL_NAMES)
                        && !settings.get("internal").orElse("on").equals("off");
                tcpOpened = new TcpForwarding(engine, internal ? context.hostsFile().orElse(null) : null, settings);
                engine.tcp(tcpOpened);
                if (monitorIdle) {
                    tcpOpened.serve(Duration.ofMillis(500));
                }
                IdleMonitor monitor = null;
                if (monitorIdle) {
                    monitor = new IdleMonitor(engine, monitorInterval);
                    monitor.start();
                }
                return new Puck(engine, bus, st, owns, monitor, ingressOpened);
            } catch (RuntimeException | Error e) {
                if (tcpOpened != null) {
                    tcpOpened.close();
                }
                if (ingressOpened != null) {
                    ingressOpened.close();
                }
                bus.close();
                if (owns) {
                    rt.close();
                }
                if (st != null) {
                    st.close();
                }
                throw e;
            }
        }

        private List<ClassLoader> loaders() {
            if (classLoader != null) {
                return List.of(classLoader);
            }
            List<ClassLoader> loaders = new ArrayList<>();
            ClassLoader tccl = Thread.currentThread().getContextClassLoader();
            if (tccl != null) {
                loaders.add(tccl);
            }
            loaders.add(Puck.class.getClassLoader());
            return loaders;
        }
    }
}
