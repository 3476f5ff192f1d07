package labs.sandwich.puck.core.internal;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.TimeoutExceededException;
import dev.failsafe.Timeout;
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
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.Names;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Readiness;
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
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle engine. Every state change is journaled in the store before and after the
 * runtime call ({@link #transition}), so a crash leaves a record that {@link #reconcile()}
 * repairs. Operations on one sprite are serialized; a failure whose outcome is certain rolls
 * the state back, an ambiguous one (timeout, backend error) marks the sprite FAILED and keeps
 * everything.
 */
public final class Engine {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final Duration READY_POLL = Duration.ofMillis(50);
    /** Extra time the engine grants an exec beyond the request's own timeout, which the runtime enforces. */
    private static final Duration EXEC_GRACE = Duration.ofSeconds(30);

    private final SpriteRuntime runtime;
    private final StateStore store;
    private final EventBus bus;
    private final Clock clock;
    private final Duration defaultTimeout;
    private final Set<Capability> capabilities;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

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
        return new SpriteInfo(name, rec.state(), rec.spec(), rec.runtime(), rec.createdAt(), rec.stateSince(), info.attributes());
    }

    // ---- lifecycle ----

    /**
     * @param spec    what to create
     * @param timeout how long creation and readiness may take
     * @return the created sprite's record
     */
    public SpriteRecord create(SpriteSpec spec, Duration timeout) {
        String name = spec.name();
        return locked(name, timeout, () -> {
            Instant start = clock.instant();
            store.insertSprite(new SpriteRecord(name, runtime.name(), SpriteState.CREATING, spec, start, start));
            transition(name, "create", SpriteState.CREATING, SpriteState.CREATING, SpriteState.RUNNING, SpriteState.DELETED,
                    spec.image().reference(), timeout, () -> runtime.create(spec));
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
                    transition(name, "pause", state, state, SpriteState.PAUSED, state, "", timeout, () -> {
                        runtime.pause(name);
                        return null;
                    });
                    bus.publish(new SpriteEvent.Paused(name, clock.instant(), "requested"));
                }
                default -> throw new IllegalSpriteStateException(name, state, "pause",
                        state == SpriteState.HIBERNATED ? "It is asleep on disk already; wake() it first if it should be paused instead."
                                : "Wait for the current operation to finish, then retry.");
            }
            return null;
        });
    }

    /** @param name a sprite @param timeout limit */
    public void hibernate(String name, Duration timeout) {
        require(Capability.HIBERNATE);
        locked(name, timeout, () -> {
            Instant start = clock.instant();
            SpriteState state = record(name).state();
            if (state == SpriteState.HIBERNATED) {
                return null;
            }
            if (state == SpriteState.PAUSED) {
                unpause(name, timeout);
                state = SpriteState.RUNNING;
            }
            if (state != SpriteState.RUNNING) {
                throw new IllegalSpriteStateException(name, state, "hibernate", remedyFor(state));
            }
            transition(name, "hibernate", state, SpriteState.HIBERNATING, SpriteState.HIBERNATED, SpriteState.RUNNING, "", timeout, () -> {
                runtime.hibernate(name);
                return null;
            });
            bus.publish(new SpriteEvent.Hibernated(name, clock.instant(), Duration.between(start, clock.instant()), "requested"));
            return null;
        });
    }

    /** @param name a sprite @param timeout limit, readiness included */
    public void wake(String name, Duration timeout) {
        locked(name, timeout, () -> {
            wakeLocked(name, timeout);
            return null;
        });
    }

    private void wakeLocked(String name, Duration timeout) {
        Instant start = clock.instant();
        SpriteRecord rec = record(name);
        switch (rec.state()) {
            case RUNNING -> { }
            case PAUSED -> unpause(name, timeout);
            case HIBERNATED -> {
                transition(name, "wake", SpriteState.HIBERNATED, SpriteState.WAKING, SpriteState.RUNNING, SpriteState.HIBERNATED, "", timeout, () -> {
                    runtime.wake(name);
                    return null;
                });
                awaitReady(name, rec.spec().readiness(), deadline(start, timeout), timeout);
                bus.publish(new SpriteEvent.Woken(name, clock.instant(), SpriteState.HIBERNATED, Duration.between(start, clock.instant())));
            }
            case FAILED -> {
                SpriteState actual = adoptRuntimeState(name);
                if (actual == SpriteState.FAILED) {
                    boolean present = call(name, "inspect", defaultTimeout, () -> runtime.inspect(name)).isPresent();
                    throw new IllegalSpriteStateException(name, SpriteState.FAILED, "wake", present
                            ? "The runtime still has it but it is stopped, with its memory lost; its files and volumes are kept. Take what you need from it, then delete it."
                            : "The runtime does not have this sprite any more; nothing was deleted. Check `puck doctor`, or delete it.");
                }
                wakeLocked(name, timeout);
            }
            default -> throw new IllegalSpriteStateException(name, rec.state(), "wake", remedyFor(rec.state()));
        }
    }

    private void unpause(String name, Duration timeout) {
        Instant start = clock.instant();
        transition(name, "unpause", SpriteState.PAUSED, SpriteState.PAUSED, SpriteState.RUNNING, SpriteState.PAUSED, "", timeout, () -> {
            runtime.unpause(name);
            return null;
        });
        bus.publish(new SpriteEvent.Woken(name, clock.instant(), SpriteState.PAUSED, Duration.between(start, clock.instant())));
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
     * Runs an operation that needs the sprite awake, waking it first. If the sprite fell
     * asleep between the wake and the call (another process put it to sleep), it is woken
     * once more.
     *
     * @param name      a sprite
     * @param operation the operation's name
     * @param timeout   limit for the call
     * @param call      the runtime call
     * @param <T>       the result type
     * @return the call's result
     */
    public <T> T awake(String name, String operation, Duration timeout, Supplier<T> call) {
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
        require(Capability.SNAPSHOT);
        Names.requireSnapshotLabel(label);
        return locked(name, defaultTimeout, () -> {
            wakeLocked(name, defaultTimeout);
            SnapshotId id = SnapshotId.random();
            Snapshot s = transition(name, "snapshot", SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING, SpriteState.RUNNING,
                    id.value() + " " + label, defaultTimeout, () -> runtime.snapshot(name, id, label));
            store.insertSnapshot(s);
            bus.publish(new SpriteEvent.Snapshotted(name, clock.instant(), s));
            return s;
        });
    }

    /** @param name a sprite @return its snapshots, oldest first */
    public List<Snapshot> snapshots(String name) {
        record(name);
        return store.snapshots(name);
    }

    /** @param name a sprite @param snapshot one of its snapshots @param timeout limit */
    public void restore(String name, Snapshot snapshot, Duration timeout) {
        require(Capability.SNAPSHOT);
        Snapshot known = known(name, snapshot);
        locked(name, timeout, () -> {
            Instant start = clock.instant();
            SpriteRecord rec = record(name);
            SpriteState from = rec.state();
            if (from != SpriteState.RUNNING && from != SpriteState.PAUSED && from != SpriteState.HIBERNATED) {
                throw new IllegalSpriteStateException(name, from, "restore", remedyFor(from));
            }
            transition(name, "restore", from, SpriteState.WAKING, SpriteState.RUNNING, from, known.id().value(), timeout, () -> {
                runtime.restore(name, known);
                return null;
            });
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
        SpriteSpec spec = record(name).spec().withName(newName);
        return locked(newName, timeout, () -> {
            Instant start = clock.instant();
            store.insertSprite(new SpriteRecord(newName, runtime.name(), SpriteState.CREATING, spec, start, start));
            transition(newName, "fork", SpriteState.CREATING, SpriteState.CREATING, SpriteState.RUNNING, SpriteState.DELETED,
                    "from " + known.id().value(), timeout, () -> runtime.fork(known, spec));
            awaitReady(newName, spec.readiness(), deadline(start, timeout), timeout);
            bus.publish(new SpriteEvent.Created(newName, clock.instant(), Duration.between(start, clock.instant())));
            return record(newName);
        });
    }

    /** @param name a sprite @param policy what goes with it @param timeout limit */
    public void delete(String name, DeletePolicy policy, Duration timeout) {
        locked(name, timeout, () -> {
            SpriteState from = record(name).state();
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
        long self = ProcessHandle.current().pid();
        Map<String, SpriteInfo> actual = new ConcurrentHashMap<>();
        for (SpriteInfo info : call(null, "list", defaultTimeout, runtime::list)) {
            actual.put(info.name(), info);
        }
        Set<String> busy = new HashSet<>();
        for (JournalEntry j : store.unfinished()) {
            boolean alive = j.pid() == self || ProcessHandle.of(j.pid()).map(ProcessHandle::isAlive).orElse(false);
            if (alive) {
                busy.add(j.sprite());
                continue;
            }
            SpriteInfo info = actual.get(j.sprite());
            if (info != null) {
                store.end(j.id(), info.state(), "reconciled: process " + j.pid() + " died during " + j.operation() + "; the runtime says " + info.state());
            } else if (Set.of("create", "fork", "delete").contains(j.operation())) {
                store.end(j.id(), SpriteState.DELETED, "reconciled: process " + j.pid() + " died during " + j.operation() + "; the runtime has no such sprite");
                store.removeSprite(j.sprite());
            } else {
                store.end(j.id(), SpriteState.FAILED, "reconciled: process " + j.pid() + " died during " + j.operation() + "; the runtime has no such sprite; kept for inspection");
            }
            LOG.warn("Repaired sprite {} after an interrupted {} (process {})", j.sprite(), j.operation(), j.pid());
        }
        Instant now = clock.instant();
        for (SpriteInfo info : actual.values()) {
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

    // ---- machinery ----

    /**
     * The journaled state change: begin (state = {@code during}), call the runtime, end
     * (state = {@code success}). A certain failure ends in {@code rollback} (DELETED removes the
     * record); an ambiguous one in FAILED.
     */
    private <T> T transition(String name, String operation, SpriteState from, SpriteState during, SpriteState success,
            SpriteState rollback, String detail, Duration timeout, Supplier<T> call) {
        long journal = store.begin(name, operation, from, during, detail);
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
            throw e;
        }
        store.end(journal, success, "ok");
        return result;
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
            throw new OperationInterruptedException(name, "waiting for readiness", e);
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

    /** @param operation an exec-like call's name @param timeout the request's own timeout @return the engine's limit for it */
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
            long j = store.begin(name, "reconcile", recorded, recorded, "store said " + recorded);
            store.end(j, actual, "the runtime says " + actual);
        }
        return actual;
    }

    private static String remedyFor(SpriteState state) {
        return switch (state) {
            case CREATING, HIBERNATING, WAKING, DELETING -> "Another operation is in progress (or was interrupted; reopening Puck repairs it). Retry in a moment.";
            case DELETED -> "The sprite was deleted; create it again.";
            case FAILED -> "An earlier operation left it in an uncertain state; wake() retries, or delete() it. Nothing was deleted.";
            default -> "Check sprite.state() first.";
        };
    }
}
