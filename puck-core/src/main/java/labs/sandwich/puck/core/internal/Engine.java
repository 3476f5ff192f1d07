package labs.sandwich.puck.core.internal;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.HookFailedException;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.Names;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.SleepHooks;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SnapshotNotFoundException;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.api.Why;
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle engine. Every state change is claimed in the store (a compare-and-set from the
 * state it expects to a transitional one, journaled) before the runtime call and ended after it
 * ({@link #transition}), so processes sharing a store never run the same change twice and a
 * crash leaves a record that {@link #reconcile()} repairs. Within a process, operations on one
 * sprite are serialized by a lock; across processes, whoever loses a claim waits for the winner
 * (single-flight wake). A failure whose outcome is certain rolls the state back, an ambiguous
 * one (timeout, backend error) marks the sprite FAILED and keeps everything.
 */
public final class Engine {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final Duration READY_POLL = Duration.ofMillis(50);
    /** How often a process waiting for another process's operation on a sprite looks again. */
    private static final Duration CLAIM_POLL = Duration.ofMillis(20);
    /** Extra time the engine grants an exec beyond the request's own timeout, which the runtime enforces. */
    private static final Duration EXEC_GRACE = Duration.ofSeconds(30);
    private static final String REQUESTED = "requested";
    /**
     * The label naming the store a sprite belongs to. A store adopts only sprites the runtime
     * holds that carry its id (or none, made before there were ids), so two stores on one
     * Podman (a user's and a test's) never take each other's sprites, nor put them to sleep.
     */
    public static final String STORE_LABEL = "puck.store";

    private final SpriteRuntime runtime;
    private final StateStore store;
    private final EventBus bus;
    private final Clock clock;
    private final Duration defaultTimeout;
    private final Set<Capability> capabilities;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final String storeId;
    private volatile Routing routing;
    private volatile TcpForwarding tcp;

    /**
     * @param runtime        the runtime
     * @param store          the state store
     * @param bus            the event bus
     * @param clock          the clock
     * @param defaultTimeout the timeout of operations that do not take one
     */
    public Engine(SpriteRuntime runtime, StateStore store, EventBus bus, Clock clock, Duration defaultTimeout) {
        this.runtime = runtime;
        this.store = store;
        this.bus = bus;
        this.clock = clock;
        this.defaultTimeout = defaultTimeout;
        this.capabilities = Set.copyOf(runtime.capabilities());
        this.storeId = store.backendState().get("puck", "store-id").orElseGet(() -> {
            store.backendState().put("puck", "store-id", java.util.UUID.randomUUID().toString());
            return store.backendState().get("puck", "store-id").orElseThrow();
        });
    }

    /** @return the runtime */
    public SpriteRuntime runtime() {
        return runtime;
    }

    /** @return the clock */
    public Clock clock() {
        return clock;
    }

    /** @return the store */
    public StateStore store() {
        return store;
    }

    /** @param routing the ingress's routes to keep in step with states (set once the activator listens) */
    public void routing(Routing routing) {
        this.routing = routing;
    }

    /** @param tcp the raw TCP listeners of this process (host ports and {@code <name>.internal}) */
    public void tcp(TcpForwarding tcp) {
        this.tcp = tcp;
    }

    /** @return the raw TCP listeners, if this Puck has them */
    public Optional<TcpForwarding> tcp() {
        return Optional.ofNullable(tcp);
    }

    /** @return the routing, if an ingress is configured */
    public Optional<Routing> routing() {
        return Optional.ofNullable(routing);
    }

    /** @return the event bus */
    public EventBus bus() {
        return bus;
    }

    /** @return the timeout of operations that do not take one */
    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    /** @return the runtime's capabilities */
    public Set<Capability> capabilities() {
        return capabilities;
    }

    // ---- reading ----

    /** @param name a sprite @return its record @throws SpriteNotFoundException if there is none */
    public SpriteRecord record(String name) {
        return store.sprite(name).orElseThrow(() -> new SpriteNotFoundException(name));
    }

    /** @param name a sprite @return a fresh view, checked against the runtime */
    public SpriteInfo inspect(String name) {
        SpriteRecord rec = record(name);
        SpriteInfo info = call(name, "inspect", defaultTimeout, () -> runtime.inspect(name))
                .orElseThrow(() -> new BackendException(runtime.name(), name, 0,
                        "the store knows sprite '" + name + "' (" + rec.state() + ") but the runtime does not.",
                        "Nothing was deleted. Delete it with sprite.delete() if it is gone for good, or check the runtime (`puck doctor`).", null));
        Map<String, String> attributes = new java.util.LinkedHashMap<>(info.attributes());
        store.exposures(name).stream().filter(StateStore.Exposed::primary).findFirst().ifPresent(e -> attributes.put("url", e.url()));
        if (rec.state() == SpriteState.RUNNING || rec.state() == SpriteState.PAUSED) {
            runtime.memoryBytes(name).ifPresent(bytes -> attributes.put("memory.bytes", Long.toString(bytes)));
        }
        return new SpriteInfo(name, rec.state(), rec.spec(), rec.runtime(), rec.createdAt(), rec.stateSince(), attributes);
    }

    // ---- lifecycle ----

    /**
     * @param spec    what to create
     * @param timeout how long creation and readiness may take
     * @return the created sprite's record
     */
    public SpriteRecord create(SpriteSpec requested, Duration timeout) {
        SpriteSpec spec = requested.withLabel(STORE_LABEL, storeId);
        String name = spec.name();
        return locked(name, timeout, () -> {
            Instant start = clock.instant();
            store.insertSprite(new SpriteRecord(name, runtime.name(), SpriteState.CREATING, spec, start, start));
            transition(name, "create", SpriteState.CREATING, SpriteState.CREATING, SpriteState.RUNNING, SpriteState.DELETED,
                    spec.image().reference(), timeout, () -> runtime.create(spec));
            store.touch(name, Why.Kind.LIFECYCLE, "created");
            awaitReady(name, spec.readiness(), deadline(start, timeout), timeout);
            bus.publish(new SpriteEvent.Created(name, clock.instant(), Duration.between(start, clock.instant())));
            return record(name);
        });
    }

    /**
     * @param context a directory holding a Containerfile or Dockerfile
     * @param tag     the image's tag
     * @param timeout limit for the build
     * @return the tag, once the image exists
     */
    public ImageRef buildImage(java.nio.file.Path context, ImageRef tag, Duration timeout) {
        require(Capability.BUILD_IMAGES);
        if (!java.nio.file.Files.isDirectory(context)) {
            throw new InvalidSpecException("context", "The build context " + context + " is not a directory.", "Pass the directory that holds the Containerfile.");
        }
        String file = java.util.stream.Stream.of("Containerfile", "Dockerfile").filter(f -> java.nio.file.Files.isRegularFile(context.resolve(f)))
                .findFirst().orElseThrow(() -> new InvalidSpecException("context", "There is no Containerfile or Dockerfile in " + context + ".",
                        "Put a Containerfile in it, e.g. \"FROM localhost/puck/base:bookworm\" and your RUN lines."));
        return call(null, "build image " + tag, timeout, () -> runtime.buildImage(context, file, tag));
    }

    /** @param name a sprite @param timeout limit */
    public void pause(String name, Duration timeout) {
        require(Capability.PAUSE);
        locked(name, timeout, () -> {
            SpriteState state = record(name).state();
            switch (state) {
                case PAUSED -> { }
                case RUNNING -> {
                    transition(name, "pause", SpriteState.RUNNING, SpriteState.PAUSING, SpriteState.PAUSED, SpriteState.RUNNING, REQUESTED, timeout, () -> {
                        runtime.pause(name);
                        return null;
                    });
                    bus.publish(new SpriteEvent.Paused(name, clock.instant(), REQUESTED));
                }
                default -> throw new IllegalSpriteStateException(name, state, "pause",
                        state == SpriteState.HIBERNATED || state == SpriteState.ARCHIVED ? "It is asleep on disk already; wake() it first if it should be paused instead."
                                : remedyFor(state));
            }
            return null;
        });
    }

    /** @param name a sprite @param timeout limit */
    public void hibernate(String name, Duration timeout) {
        require(Capability.HIBERNATE);
        locked(name, timeout, () -> {
            SpriteState state = record(name).state();
            if (state == SpriteState.HIBERNATED || state == SpriteState.ARCHIVED) {
                return null;
            }
            if (state == SpriteState.PAUSED) {
                unpause(name, timeout, "unpaused to hibernate");
                state = SpriteState.RUNNING;
            }
            if (state != SpriteState.RUNNING) {
                throw new IllegalSpriteStateException(name, state, "hibernate", remedyFor(state));
            }
            preSleepHook(name);
            hibernateClaimed(name, store.begin(name, "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, REQUESTED), REQUESTED, timeout);
            return null;
        });
    }

    private void hibernateClaimed(String name, long journal, String cause, Duration timeout) {
        Instant start = clock.instant();
        complete(journal, name, "hibernate", SpriteState.HIBERNATED, SpriteState.RUNNING, timeout, () -> {
            runtime.hibernate(name);
            return null;
        });
        SpriteSpec spec = record(name).spec();
        if (!spec.sleep().archiveAfter().isZero() && capabilities.contains(Capability.ARCHIVE)) {
            Instant last = store.lastActivity(name).map(Why.Activity::at).orElse(start);
            store.setArchiveAt(name, last.plus(spec.sleep().archiveAfter()));
        }
        bus.publish(new SpriteEvent.Hibernated(name, clock.instant(), Duration.between(start, clock.instant()), cause));
    }

    /** @param name a sprite, hibernated first if it is awake @param timeout limit */
    public void archive(String name, Duration timeout) {
        require(Capability.ARCHIVE);
        locked(name, timeout, () -> {
            SpriteState state = record(name).state();
            if (state == SpriteState.RUNNING || state == SpriteState.PAUSED) {
                hibernate(name, timeout); // the lock is reentrant
                state = record(name).state();
            }
            switch (state) {
                case ARCHIVED -> { }
                case HIBERNATED -> archiveClaimed(name, store.begin(name, "archive", SpriteState.HIBERNATED, SpriteState.ARCHIVING, REQUESTED), REQUESTED, timeout);
                default -> throw new IllegalSpriteStateException(name, state, "archive", "Only a hibernated sprite can be archived; hibernate() it first.");
            }
            return null;
        });
    }

    private void archiveClaimed(String name, long journal, String cause, Duration timeout) {
        Instant start = clock.instant();
        complete(journal, name, "archive", SpriteState.ARCHIVED, SpriteState.HIBERNATED, timeout, () -> {
            runtime.archive(name);
            return null;
        });
        store.setArchiveAt(name, null);
        bus.publish(new SpriteEvent.Archived(name, clock.instant(), Duration.between(start, clock.instant()), cause));
    }

    /**
     * Puts a sprite to sleep if it is still idle: what the idle monitor does. The claim checks,
     * in one transaction, that nothing held or touched the sprite since {@code idleSince}, so an
     * exec that starts a moment before always wins. Returns quietly when the sprite is busy in
     * this process or changed meanwhile.
     *
     * @param name      a sprite
     * @param into      PAUSED, HIBERNATED or ARCHIVED
     * @param cause     the rule that fired, kept in the journal and the event
     * @param idleSince the last activity the monitor saw
     * @return what happened
     */
    public Slept sleepIfIdle(String name, SpriteState into, String cause, Instant idleSince) {
        ReentrantLock lock = locks.computeIfAbsent(name, n -> new ReentrantLock());
        if (!lock.tryLock()) {
            return Slept.NO; // an operation of this process is running on it: that is activity
        }
        try {
            SpriteState state = record(name).state();
            switch (into) {
                case PAUSED -> {
                    Optional<Long> j = store.beginIfIdle(name, "pause", SpriteState.RUNNING, SpriteState.PAUSING, cause, idleSince);
                    if (j.isEmpty()) {
                        return Slept.NO;
                    }
                    complete(j.get(), name, "pause", SpriteState.PAUSED, SpriteState.RUNNING, defaultTimeout, () -> {
                        runtime.pause(name);
                        return null;
                    });
                    bus.publish(new SpriteEvent.Paused(name, clock.instant(), cause));
                    return Slept.YES;
                }
                case HIBERNATED -> {
                    if (state == SpriteState.PAUSED) {
                        // Checkpointing needs it running (and so does the pre-sleep hook): thawed for a moment, not woken.
                        unpause(name, defaultTimeout, "unpaused to hibernate: " + cause);
                    } else if (state != SpriteState.RUNNING) {
                        return Slept.NO;
                    }
                    try {
                        preSleepHook(name);
                    } catch (HookFailedException e) {
                        long note = store.begin(name, "sleep cancelled", SpriteState.RUNNING, SpriteState.RUNNING, cause);
                        store.end(note, SpriteState.RUNNING, e.problem());
                        bus.publish(new SpriteEvent.SleepCancelled(name, clock.instant(), into, e.problem()));
                        return Slept.CANCELLED;
                    }
                    Optional<Long> j = store.beginIfIdle(name, "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, cause, idleSince);
                    if (j.isEmpty()) {
                        return Slept.NO;
                    }
                    hibernateClaimed(name, j.get(), cause, defaultTimeout);
                    return Slept.YES;
                }
                case ARCHIVED -> {
                    if (state == SpriteState.RUNNING || state == SpriteState.PAUSED) {
                        Slept hibernated = sleepIfIdle(name, SpriteState.HIBERNATED, cause, idleSince); // the lock is reentrant
                        if (hibernated != Slept.YES) {
                            return hibernated;
                        }
                    }
                    Optional<Long> j = store.beginIfIdle(name, "archive", SpriteState.HIBERNATED, SpriteState.ARCHIVING, cause, idleSince);
                    if (j.isEmpty()) {
                        return Slept.NO;
                    }
                    archiveClaimed(name, j.get(), cause, defaultTimeout);
                    return Slept.YES;
                }
                default -> throw new IllegalArgumentException("not a sleep state: " + into);
            }
        } finally {
            lock.unlock();
        }
    }

    /** What an idle sleep came to. */
    public enum Slept {
        /** The sprite went to sleep. */
        YES,
        /** It was busy or changed meanwhile; nothing was done. */
        NO,
        /** A pre-sleep hook failed; the sprite stays awake. */
        CANCELLED
    }

    /** @param name a sprite @param timeout limit, readiness included */
    public void wake(String name, Duration timeout) {
        wake(name, timeout, REQUESTED);
    }

    /** @param name a sprite @param timeout limit, readiness included @param cause why, for the journal and why() */
    public void wake(String name, Duration timeout, String cause) {
        locked(name, timeout, () -> {
            wakeLocked(name, deadline(clock.instant(), timeout), timeout, cause);
            return null;
        });
    }

    /**
     * Brings the sprite to RUNNING. Of the processes trying at once, the one whose claim wins
     * restores it; the others see the transitional state and wait for it, taking over only if
     * that process died (reconciliation of that one sprite).
     */
    private void wakeLocked(String name, Instant deadline, Duration timeout, String cause) {
        while (true) {
            SpriteRecord rec = record(name);
            SpriteState from = rec.state();
            switch (from) {
                case RUNNING -> {
                    return;
                }
                case PAUSED -> {
                    if (unpause(name, timeout, cause)) {
                        store.touch(name, Why.Kind.LIFECYCLE, "woken from paused");
                        return;
                    }
                }
                case HIBERNATED, ARCHIVED -> {
                    Optional<Long> j = store.tryBegin(name, "wake", from, SpriteState.WAKING, cause);
                    if (j.isPresent()) {
                        Instant start = clock.instant();
                        complete(j.get(), name, "wake", SpriteState.RUNNING, from, timeout, () -> {
                            runtime.wake(name);
                            return null;
                        });
                        store.setArchiveAt(name, null);
                        store.touch(name, Why.Kind.LIFECYCLE, "woken from " + from.name().toLowerCase(java.util.Locale.ROOT));
                        awaitReady(name, rec.spec().readiness(), deadline, timeout);
                        postWakeHook(name, rec.spec().hooks());
                        bus.publish(new SpriteEvent.Woken(name, clock.instant(), from, Duration.between(start, clock.instant())));
                        return;
                    }
                }
                case CREATING, PAUSING, HIBERNATING, ARCHIVING, WAKING -> awaitOther(name, from, deadline, timeout);
                case FAILED -> {
                    SpriteState actual = adoptRuntimeState(name);
                    if (actual == SpriteState.FAILED) {
                        boolean present = call(name, "inspect", defaultTimeout, () -> runtime.inspect(name)).isPresent();
                        throw new IllegalSpriteStateException(name, SpriteState.FAILED, "wake", present
                                ? "The runtime still has it but it is stopped, with its memory lost; its files and volumes are kept. Take what you need from it, then delete it."
                                : "The runtime does not have this sprite any more; nothing was deleted. Check `puck doctor`, or delete it.");
                    }
                }
                default -> throw new IllegalSpriteStateException(name, from, "wake", remedyFor(from));
            }
        }
    }

    /**
     * Waits while another process runs an operation on the sprite. If that process is gone, its
     * entry is closed with what the runtime says, so a crash never blocks the sprite.
     */
    private void awaitOther(String name, SpriteState state, Instant deadline, Duration timeout) {
        Optional<JournalEntry> open = store.openEntry(name);
        if (open.isPresent() && !alive(open.get().pid())) {
            repair(open.get(), call(name, "inspect", defaultTimeout, () -> runtime.inspect(name)));
            return;
        }
        if (!clock.instant().isBefore(deadline)) {
            throw new OperationTimeoutException(name, "waiting for another process to finish " + open.map(JournalEntry::operation).orElse(state.name()), timeout);
        }
        sleep(name, CLAIM_POLL);
    }

    /** @return whether it unpaused the sprite; false if another process changed it first */
    private boolean unpause(String name, Duration timeout, String cause) {
        Optional<Long> j = store.tryBegin(name, "unpause", SpriteState.PAUSED, SpriteState.WAKING, cause);
        if (j.isEmpty()) {
            return false;
        }
        Instant start = clock.instant();
        complete(j.get(), name, "unpause", SpriteState.RUNNING, SpriteState.PAUSED, timeout, () -> {
            runtime.unpause(name);
            return null;
        });
        bus.publish(new SpriteEvent.Woken(name, clock.instant(), SpriteState.PAUSED, Duration.between(start, clock.instant())));
        return true;
    }

    /** Runs the spec's pre-sleep hook, if any. @throws HookFailedException if it fails; nothing changed */
    private void preSleepHook(String name) {
        SleepHooks hooks = record(name).spec().hooks();
        if (!hooks.preSleep().isEmpty()) {
            runHook(name, "pre-sleep", hooks.preSleep(), hooks);
        }
    }

    /** Runs the post-wake hook; a failure is reported, never thrown: the sprite is awake either way. */
    private void postWakeHook(String name, SleepHooks hooks) {
        if (hooks.postWake().isEmpty()) {
            return;
        }
        try {
            runHook(name, "post-wake", hooks.postWake(), hooks);
        } catch (HookFailedException e) {
            long note = store.begin(name, "post-wake hook", SpriteState.RUNNING, SpriteState.RUNNING, String.join(" ", hooks.postWake()));
            store.end(note, SpriteState.RUNNING, e.problem());
            bus.publish(new SpriteEvent.Failed(name, clock.instant(), "post-wake hook", SpriteState.RUNNING, e));
        }
    }

    /** A hook is run straight on the runtime: it is not activity and takes no hold. */
    private void runHook(String name, String phase, List<String> argv, SleepHooks hooks) {
        ExecResult result;
        try {
            result = call(name, phase + " hook", withGrace(hooks.timeout()), () -> runtime.exec(name, ExecRequest.of(argv.toArray(String[]::new)).withTimeout(hooks.timeout())));
        } catch (PuckException e) { // a timeout among them: the runtime killed it
            throw new HookFailedException(name, phase, argv, null, e.problem(), e);
        }
        if (result.exitCode() != 0) {
            throw new HookFailedException(name, phase, argv, result.exitCode(), result.stderr().isBlank() ? result.stdout() : result.stderr(), null);
        }
    }

    /**
     * Wakes the sprite if it sleeps, so that an operation needing it awake can go on.
     *
     * @param name    a sprite
     * @param timeout limit for the wake
     */
    public void ensureAwake(String name, Duration timeout) {
        if (record(name).state() != SpriteState.RUNNING) {
            wake(name, timeout);
        }
    }

    /**
     * Runs an operation that needs the sprite awake, holding it awake meanwhile (an exec is
     * activity, and the idle monitor leaves a held sprite alone) and waking it first. If the
     * sprite fell asleep between the wake and the call, it is woken once more.
     *
     * @param name      a sprite
     * @param kind      what kind of activity this is
     * @param operation the operation's name, as the activity's detail
     * @param timeout   limit for the call
     * @param call      the runtime call
     * @param <T>       the result type
     * @return the call's result
     */
    public <T> T awake(String name, Why.Kind kind, String operation, Duration timeout, Supplier<T> call) {
        long hold = store.hold(name, kind, operation, null);
        try {
            return awakeHeld(name, operation, timeout, call);
        } finally {
            store.release(hold);
        }
    }

    /** As {@link #awake} for a caller that already holds the sprite (a console, held until closed). */
    <T> T awakeHeld(String name, String operation, Duration timeout, Supplier<T> call) {
        for (int attempt = 0; ; attempt++) {
            ensureAwake(name, defaultTimeout);
            try {
                return call(name, operation, timeout, call);
            } catch (IllegalSpriteStateException e) {
                SpriteState actual = adoptRuntimeState(name);
                if (attempt > 0 || actual == SpriteState.RUNNING || actual == SpriteState.FAILED) {
                    throw e;
                }
            }
        }
    }

    /**
     * @param name  a sprite
     * @param label the snapshot's label
     * @return the snapshot
     */
    public Snapshot snapshot(String name, String label) {
        return snapshot(name, label, false);
    }

    /**
     * @param name     a sprite
     * @param label    the snapshot's label
     * @param forReset whether the runtime keeps what a fast {@link #reset} needs
     * @return the snapshot
     */
    public Snapshot snapshot(String name, String label, boolean forReset) {
        require(Capability.SNAPSHOT);
        Names.requireSnapshotLabel(label);
        long hold = store.hold(name, Why.Kind.LIFECYCLE, "snapshot " + label, null);
        try {
            return locked(name, defaultTimeout, () -> {
                wakeLocked(name, deadline(clock.instant(), defaultTimeout), defaultTimeout, "woken to take a snapshot");
                SnapshotId id = SnapshotId.random();
                Snapshot s = transition(name, "snapshot", SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING,
                        id.value() + " " + label, defaultTimeout, () -> forReset ? runtime.snapshotForReset(name, id, label) : runtime.snapshot(name, id, label));
                store.insertSnapshot(s);
                bus.publish(new SpriteEvent.Snapshotted(name, clock.instant(), s));
                return s;
            });
        } finally {
            store.release(hold);
        }
    }

    /** @param name a sprite @return its snapshots, oldest first */
    public List<Snapshot> snapshots(String name) {
        record(name);
        return store.snapshots(name);
    }

    /** @param name a sprite @param snapshot one of its snapshots, whose data and record go */
    public void deleteSnapshot(String name, Snapshot snapshot) {
        Snapshot known = known(name, snapshot);
        call(name, "delete snapshot", defaultTimeout, () -> {
            runtime.deleteSnapshot(known);
            return null;
        });
        store.removeSnapshot(known.id());
    }

    /** @param name a sprite @param snapshot one of its snapshots @param timeout limit */
    public void restore(String name, Snapshot snapshot, Duration timeout) {
        restore(name, snapshot, timeout, false);
    }

    /**
     * @param name     a sprite
     * @param snapshot one of its snapshots
     * @param timeout  limit
     * @param discard  whether the current state is discarded without a rollback ({@link SpriteRuntime#reset})
     */
    public void restore(String name, Snapshot snapshot, Duration timeout, boolean discard) {
        require(Capability.SNAPSHOT);
        Snapshot known = known(name, snapshot);
        locked(name, timeout, () -> {
            Instant start = clock.instant();
            SpriteRecord rec = record(name);
            SpriteState from = rec.state();
            if (from != SpriteState.RUNNING && !from.isAsleep()) {
                throw new IllegalSpriteStateException(name, from, "restore", remedyFor(from));
            }
            transition(name, discard ? "reset" : "restore", from, SpriteState.WAKING, SpriteState.RUNNING, from, known.id().value(), timeout, () -> {
                if (discard) {
                    runtime.reset(name, known);
                } else {
                    runtime.restore(name, known);
                }
                return null;
            });
            store.setArchiveAt(name, null);
            store.touch(name, Why.Kind.LIFECYCLE, "restored " + known.label());
            awaitReady(name, rec.spec().readiness(), deadline(start, timeout), timeout);
            bus.publish(new SpriteEvent.Restored(name, clock.instant(), known));
            return null;
        });
    }

    /**
     * @param name     the parent sprite
     * @param snapshot one of its snapshots
     * @param newName  the new sprite's name
     * @param timeout  limit
     * @return the new sprite's record
     */
    public SpriteRecord fork(String name, Snapshot snapshot, String newName, Duration timeout) {
        require(Capability.FORK);
        Names.requireSpriteName(newName);
        Snapshot known = known(name, snapshot);
        SpriteSpec spec = record(name).spec().withName(newName).withLabel(STORE_LABEL, storeId);
        return locked(newName, timeout, () -> {
            Instant start = clock.instant();
            store.insertSprite(new SpriteRecord(newName, runtime.name(), SpriteState.CREATING, spec, start, start));
            transition(newName, "fork", SpriteState.CREATING, SpriteState.CREATING, SpriteState.RUNNING, SpriteState.DELETED,
                    "from " + known.id().value(), timeout, () -> runtime.fork(known, spec));
            store.touch(newName, Why.Kind.LIFECYCLE, "forked from " + name);
            awaitReady(newName, spec.readiness(), deadline(start, timeout), timeout);
            bus.publish(new SpriteEvent.Created(newName, clock.instant(), Duration.between(start, clock.instant())));
            return record(newName);
        });
    }

    /** @param name a sprite @param policy what goes with it @param timeout limit */
    public void delete(String name, DeletePolicy policy, Duration timeout) {
        locked(name, timeout, () -> {
            SpriteState from = record(name).state();
            if (routing != null) {
                routing.withdrawAll(name);
            }
            transition(name, "delete", from, SpriteState.DELETING, SpriteState.DELETED, from, policy.name(), timeout, () -> {
                try {
                    runtime.delete(name, policy);
                } catch (SpriteNotFoundException gone) {
                    LOG.info("Sprite {} was already gone from the runtime; removing its record", name);
                }
                return null;
            });
            if (policy == DeletePolicy.PURGE) {
                for (Snapshot s : store.snapshots(name)) {
                    call(name, "delete snapshot", timeout, () -> {
                        runtime.deleteSnapshot(s);
                        return null;
                    });
                    store.removeSnapshot(s.id());
                }
            }
            store.removeSprite(name);
            if (tcp != null) {
                tcp.release(name); // its <name>.internal address, now: the process that serves may be gone
            }
            bus.publish(new SpriteEvent.Deleted(name, clock.instant(), policy));
            return null;
        });
    }

    /**
     * Makes the store agree with the runtime after a crash or an outside change. Journal entries
     * left open by a process that is gone are closed with what the runtime says; sprites the
     * runtime holds but the store does not are adopted; a sprite the runtime lost is marked
     * FAILED, never deleted.
     */
    public void reconcile() {
        Map<String, SpriteInfo> actual = new ConcurrentHashMap<>();
        for (SpriteInfo info : call(null, "list", defaultTimeout, runtime::list)) {
            actual.put(info.name(), info);
        }
        Set<String> busy = new HashSet<>();
        for (JournalEntry j : store.unfinished()) {
            if (alive(j.pid())) {
                busy.add(j.sprite());
            } else {
                repair(j, Optional.ofNullable(actual.get(j.sprite())));
            }
        }
        Instant now = clock.instant();
        for (SpriteInfo info : actual.values()) {
            String owner = info.spec().labels().get(STORE_LABEL);
            if (owner != null && !owner.equals(storeId)) {
                continue; // another store's sprite
            }
            if (store.sprite(info.name()).isEmpty() && !busy.contains(info.name())) {
                store.insertSprite(new SpriteRecord(info.name(), runtime.name(), info.state(), info.spec(), info.createdAt(), now));
                LOG.info("Adopted sprite {} ({}) found in the runtime", info.name(), info.state());
            }
        }
        for (SpriteRecord rec : store.sprites()) {
            if (busy.contains(rec.name()) || rec.state().isTransitional()) {
                continue;
            }
            SpriteInfo info = actual.get(rec.name());
            SpriteState truth = info == null ? SpriteState.FAILED : info.state();
            if (truth != rec.state()) {
                long j = store.begin(rec.name(), "reconcile", rec.state(), rec.state(), "store said " + rec.state());
                store.end(j, truth, info == null ? "the runtime has no such sprite; kept, nothing deleted" : "the runtime says " + truth);
                LOG.warn("Sprite {}: the store said {}, the runtime says {}", rec.name(), rec.state(), info == null ? "nothing" : truth);
            }
        }
    }

    /** Closes an entry whose process died, with what the runtime says now: completed or rolled back, never guessed. */
    private void repair(JournalEntry j, Optional<SpriteInfo> info) {
        String died = "reconciled: process " + j.pid() + " died during " + j.operation();
        if (info.isPresent()) {
            store.end(j.id(), info.get().state(), died + "; the runtime says " + info.get().state());
        } else if (Set.of("create", "fork", "delete").contains(j.operation())) {
            store.end(j.id(), SpriteState.DELETED, died + "; the runtime has no such sprite");
            store.removeSprite(j.sprite());
        } else {
            store.end(j.id(), SpriteState.FAILED, died + "; the runtime has no such sprite; kept for inspection");
        }
        LOG.warn("Repaired sprite {} after an interrupted {} (process {})", j.sprite(), j.operation(), j.pid());
    }

    private static boolean alive(long pid) {
        return pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    // ---- activity ----

    /**
     * @param name     a sprite, woken first if it sleeps
     * @param reason   shown by why()
     * @param duration how long at most
     * @return the hold's id and expiry
     */
    public Hold keepAlive(String name, String reason, Duration duration) {
        Names.requireText("reason", reason);
        if (reason.isBlank()) {
            throw new InvalidSpecException("reason", "The keep-alive's reason is blank.", "Say what it is for, e.g. \"nightly build\"; why() shows it.");
        }
        if (duration == null || !duration.isPositive() || duration.compareTo(SleepPolicy.MAX) > 0) {
            throw new InvalidSpecException("duration", "Invalid keep-alive duration " + duration + ".",
                    "Use a positive duration up to " + SleepPolicy.MAX.toDays() + " days, e.g. Duration.ofHours(1).");
        }
        Instant until = clock.instant().plus(duration);
        long id = store.hold(name, Why.Kind.KEEP_ALIVE, reason, until);
        try {
            ensureAwake(name, defaultTimeout);
        } catch (RuntimeException e) {
            store.release(id);
            throw e;
        }
        return store.holds(name).stream().filter(h -> h.id() == id).findFirst()
                .orElseThrow(() -> new IllegalStateException("keep-alive " + id + " vanished"));
    }

    /**
     * @param name             a sprite
     * @param monitorRunning   whether an idle monitor holds this store's lease
     * @return why it is as it is, and when it will sleep
     */
    public Why why(String name, boolean monitorRunning) {
        SpriteRecord rec = record(name);
        Instant now = clock.instant();
        List<Hold> holds = store.holds(name);
        Optional<Why.Activity> last = store.lastActivity(name);
        String cause = store.lastChange(name).map(Engine::describe).orElse("no change recorded yet");
        List<String> notes = new java.util.ArrayList<>();
        store.openEntry(name).ifPresent(j -> notes.add("in progress: " + j.operation() + " by process " + j.pid() + " since " + j.startedAt()
                + (alive(j.pid()) ? "" : " (that process is gone; the next operation repairs it)")));
        Optional<Why.NextSleep> next = Optional.empty();
        if (holds.isEmpty()) {
            Instant since = last.map(Why.Activity::at).orElse(rec.stateSince());
            List<SleepTiers.Tier> ahead = SleepTiers.ahead(rec.state(), rec.spec().sleep(), capabilities);
            next = SleepTiers.next(ahead, Duration.between(since, now).isNegative() ? Duration.ZERO : Duration.between(since, now))
                    .map(t -> new Why.NextSleep(since.plus(t.after()), t.into(), t.rule()));
        }
        if (!rec.spec().sleep().sleeps()) {
            notes.add("Its sleep policy is SleepPolicy.NEVER: it sleeps only when asked.");
        } else if (!monitorRunning) {
            notes.add("No idle monitor runs for this store, so it does not sleep by itself: start puckd, or open Puck with monitorIdle(true).");
        }
        for (Capability c : List.of(Capability.PAUSE, Capability.HIBERNATE, Capability.ARCHIVE)) {
            if (!capabilities.contains(c) && tierOn(rec.spec().sleep(), c)) {
                notes.add("The " + runtime.name() + " runtime cannot " + c.description() + " (" + runtime.unsupportedReason(c) + "): that tier is skipped.");
            }
        }
        if (rec.state() == SpriteState.FAILED) {
            notes.add(remedyFor(SpriteState.FAILED));
        }
        return new Why(name, rec.state(), rec.stateSince(), cause, last, holds.stream().map(Hold::activity).toList(), next, notes);
    }

    private static boolean tierOn(SleepPolicy p, Capability c) {
        return switch (c) {
            case PAUSE -> !p.pauseAfter().isZero();
            case HIBERNATE -> !p.hibernateAfter().isZero();
            default -> !p.archiveAfter().isZero();
        };
    }

    private static String describe(JournalEntry j) {
        String what = switch (j.detail()) {
            case "" -> j.operation();
            case REQUESTED -> j.operation() + " requested";
            default -> j.operation() + " (" + j.detail() + ")";
        };
        return what + " at " + j.endedAt() + ("ok".equals(j.outcome()) ? "" : ": " + j.outcome());
    }

    // ---- machinery ----

    /**
     * The journaled state change: claim (state {@code from} to {@code during}), call the
     * runtime, end (state = {@code success}).
     */
    private <T> T transition(String name, String operation, SpriteState from, SpriteState during, SpriteState success,
            SpriteState rollback, String detail, Duration timeout, Supplier<T> call) {
        return complete(store.begin(name, operation, from, during, detail), name, operation, success, rollback, timeout, call);
    }

    /**
     * Calls the runtime for a claimed change and ends its journal entry: in {@code success}; after
     * a certain failure in {@code rollback} (DELETED removes the record); after an ambiguous one
     * in FAILED.
     */
    private <T> T complete(long journal, String name, String operation, SpriteState success, SpriteState rollback, Duration timeout, Supplier<T> call) {
        if (success.isAsleep()) {
            followRoutes(name, SpriteState.HIBERNATING); // requests go to the activator before the sprite stops answering
        }
        T result;
        try {
            result = call(name, operation, timeout, call);
        } catch (PuckException e) {
            SpriteState left = certain(e) ? rollback : SpriteState.FAILED;
            if (e instanceof IllegalSpriteStateException) {
                left = runtime.inspect(name).map(SpriteInfo::state).orElse(rollback);
            }
            store.end(journal, left, "failed: " + e.getMessage());
            if (left == SpriteState.DELETED) {
                store.removeSprite(name);
            }
            bus.publish(new SpriteEvent.Failed(name, clock.instant(), operation, left, e));
            if (left != SpriteState.DELETED) {
                followRoutes(name, left);
            }
            throw e;
        }
        store.end(journal, success, "ok");
        if (success != SpriteState.DELETED) {
            followRoutes(name, success);
        }
        return result;
    }

    /**
     * Routes follow the state; a failing ingress is logged, never a reason to fail a lifecycle
     * change (the daemon re-syncs). Before a sleep the switch to the activator is done before
     * the sprite stops answering; the switch back after a wake runs on its own thread, since the
     * activator serves meanwhile and the first request should not wait for the proxy's reload.
     */
    private void followRoutes(String name, SpriteState state) {
        Routing r = routing;
        if (r == null) {
            return;
        }
        Runnable follow = () -> {
            try {
                // Read again when it runs: a sleep may have begun since, and the last word must be the store's.
                store.sprite(name).ifPresent(rec -> r.follow(name, rec.state()));
            } catch (RuntimeException e) {
                LOG.warn("Could not switch the routes of {} to {}: {}", name, state, e.getMessage());
            }
        };
        if (state == SpriteState.RUNNING) {
            Thread.ofVirtual().name("puck-routes-" + name).start(follow);
        } else {
            follow.run();
        }
    }

    /**
     * Publishes a port through the ingress.
     *
     * @param name a sprite
     * @param port one of its ports
     * @param mode who may reach it
     * @return the URL
     */
    public java.net.URI expose(String name, int port, labs.sandwich.puck.api.ExposureMode mode) {
        Routing r = routing;
        SpriteRecord rec = record(name);
        if (r == null) {
            throw new UnsupportedCapabilityException(Capability.EXPOSE, runtime.name(), "no ingress is configured: open Puck with ingress(\"caddy\") or set PUCK_INGRESS=caddy");
        }
        if (!r.ingress().modes().contains(mode)) {
            throw new UnsupportedCapabilityException(Capability.EXPOSE, r.ingress().name(), "it cannot expose to " + mode.audience());
        }
        List<StateStore.Exposed> existing = store.exposures(name);
        boolean primary = existing.stream().filter(StateStore.Exposed::primary).allMatch(e -> e.port() == port);
        java.net.URI url = r.expose(name, port, mode, primary, rec.state());
        store.backendState().put("puck", "ingress", r.ingress().name());
        return url;
    }

    /** @param name a sprite @param port an exposed port: withdrawn */
    public void unexpose(String name, int port) {
        Routing r = routing;
        if (r != null) {
            r.unexpose(name, port);
        }
    }

    /** Failures after which the runtime's state is known to be unchanged. */
    private static boolean certain(PuckException e) {
        return e instanceof InvalidSpecException || e instanceof IllegalSpriteStateException || e instanceof UnsupportedCapabilityException
                || e instanceof SpriteNotFoundException || e instanceof SpriteAlreadyExistsException || e instanceof ImageNotFoundException
                || e instanceof SnapshotCorruptedException || e instanceof SnapshotNotFoundException;
    }

    /** Calls the runtime with a timeout, translating anything that escapes into a PuckException. */
    private <T> T call(String sprite, String operation, Duration timeout, Supplier<T> call) {
        try {
            return Failsafe.with(Timeout.<T>builder(timeout).withInterrupt().build()).get(call::get);
        } catch (TimeoutExceededException e) {
            Thread.interrupted(); // the policy interrupted us to stop the call; that interrupt is spent
            throw new OperationTimeoutException(sprite, operation, timeout);
        } catch (PuckException e) {
            throw e;
        } catch (FailsafeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new OperationInterruptedException(sprite, operation, cause);
            }
            throw new BackendException(runtime.name(), sprite, 0, operation + " failed: " + cause, "See the cause; `puck doctor` checks the runtime.", cause);
        } catch (RuntimeException e) {
            throw new BackendException(runtime.name(), sprite, 0, operation + " failed: " + e, "This is a bug in the '" + runtime.name() + "' runtime; please report it.", e);
        }
    }

    private <T> T locked(String name, Duration timeout, Supplier<T> body) {
        ReentrantLock lock = locks.computeIfAbsent(name, n -> new ReentrantLock());
        try {
            if (!lock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new OperationTimeoutException(name, "waiting for another operation on the sprite", timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(name, "waiting for another operation on the sprite", e);
        }
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    private void awaitReady(String name, Readiness readiness, Instant deadline, Duration timeout) {
        switch (readiness) {
            case Readiness.None none -> { }
            case Readiness.All all -> all.checks().forEach(c -> awaitReady(name, c, deadline, timeout));
            default -> {
                while (!call(name, "readiness check", timeout, () -> runtime.isReady(name, readiness))) {
                    if (!clock.instant().isBefore(deadline)) {
                        throw new OperationTimeoutException(name, "waiting for readiness " + readiness, timeout);
                    }
                    sleep(name, READY_POLL);
                }
            }
        }
    }

    private static void sleep(String name, Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(name, "waiting", e);
        }
    }

    private Instant deadline(Instant start, Duration timeout) {
        return start.plus(timeout);
    }

    /** @param capability needed @throws UnsupportedCapabilityException if the runtime lacks it */
    public void require(Capability capability) {
        if (!capabilities.contains(capability)) {
            throw new UnsupportedCapabilityException(capability, runtime.name(), runtime.unsupportedReason(capability));
        }
    }

    /** @param timeout an exec-like call's own timeout @return the engine's limit for it */
    public static Duration withGrace(Duration timeout) {
        return timeout.plus(EXEC_GRACE);
    }

    private Snapshot known(String name, Snapshot snapshot) {
        Optional<Snapshot> known = store.snapshot(snapshot.id());
        if (known.isEmpty() || !known.get().sprite().equals(name)) {
            throw new SnapshotNotFoundException(name, snapshot.id().value());
        }
        return known.get();
    }

    private SpriteState adoptRuntimeState(String name) {
        SpriteState recorded = record(name).state();
        SpriteState actual = call(name, "inspect", defaultTimeout, () -> runtime.inspect(name)).map(SpriteInfo::state).orElse(SpriteState.FAILED);
        if (actual != recorded) {
            store.tryBegin(name, "reconcile", recorded, recorded, "store said " + recorded).ifPresent(j -> store.end(j, actual, "the runtime says " + actual));
        }
        return actual;
    }

    private static String remedyFor(SpriteState state) {
        return switch (state) {
            case CREATING, PAUSING, HIBERNATING, ARCHIVING, WAKING, DELETING ->
                    "Another operation is in progress (or was interrupted; reopening Puck repairs it). Retry in a moment.";
            case DELETED -> "The sprite was deleted; create it again.";
            case FAILED -> "An earlier operation left it in an uncertain state; wake() retries, or delete() it. Nothing was deleted.";
            default -> "Check sprite.state() first.";
        };
    }
}
