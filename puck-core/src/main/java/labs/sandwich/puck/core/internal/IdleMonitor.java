package labs.sandwich.puck.core.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.Why;
import labs.sandwich.puck.spi.Traffic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts idle sprites to sleep, tier by tier ({@link labs.sandwich.puck.api.SleepPolicy}). One
 * monitor acts per store at a time: each tick first takes or renews the store's
 * {@value #LEASE} lease, and a monitor that does not hold it does nothing, so two processes never
 * race to put the same sprite to sleep (and the loser of an engine claim backs off anyway).
 *
 * <p>A tick looks only at running and paused sprites and at hibernated ones whose archive tier
 * is due ({@link StateStore#sleepCandidates}); its runtime calls (one {@code traffic()} per
 * awake sprite) grow with those, not with all sprites. Network traffic of at least
 * {@value #TRAFFIC_THRESHOLD} bytes since the last counted traffic is activity; such traffic to a
 * paused sprite wakes it.
 */
public final class IdleMonitor implements AutoCloseable {
    /** The store lease the acting monitor holds. */
    public static final String LEASE = "idle-monitor";
    private static final Logger LOG = LoggerFactory.getLogger(IdleMonitor.class);
    /**
     * Bytes (in and out) since the last counted traffic that make activity. A network's own
     * chatter reaches every sprite, asleep or not: an ARP exchange is about 140 bytes every few
     * seconds; a TCP connection with a request is several hundred.
     */
    static final long TRAFFIC_THRESHOLD = 300;

    private final Engine engine;
    private final StateStore store;
    private final Duration interval;
    private final String holder = ProcessHandle.current().pid() + "@" + UUID.randomUUID();
    private final Map<String, Traffic> lastTraffic = new ConcurrentHashMap<>();
    private final Map<String, Instant> retryAt = new ConcurrentHashMap<>();
    private ScheduledExecutorService scheduler;

    /**
     * @param engine   the engine
     * @param interval time between ticks; the lease lasts three of them
     */
    public IdleMonitor(Engine engine, Duration interval) {
        this.engine = engine;
        this.store = engine.store();
        this.interval = interval;
    }

    /**
     * What one tick did.
     *
     * @param acting  whether this monitor held the lease
     * @param looked  the sprites it looked at
     * @param slept   the sprites it put to sleep, each with the state they went to
     * @param woken   paused sprites it woke because traffic reached them
     */
    public record Tick(boolean acting, int looked, Map<String, SpriteState> slept, Set<String> woken) {}

    /** Starts ticking on a daemon thread, every interval. */
    public synchronized void start() {
        if (scheduler == null) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "puck-idle-monitor");
                t.setDaemon(true);
                return t;
            });
            scheduler.scheduleWithFixedDelay(this::tickQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("Idle monitor tick failed; trying again in {}", interval, e);
        }
    }

    /** @return whether some monitor holds this store's lease now */
    public static boolean running(StateStore store) {
        return store.leaseHolder(LEASE).isPresent();
    }

    /**
     * Looks at every candidate sprite once and puts the idle ones to sleep.
     *
     * @return what it did
     */
    public Tick tick() {
        if (!store.tryAcquireLease(LEASE, holder, interval.multipliedBy(3))) {
            return new Tick(false, 0, Map.of(), Set.of());
        }
        Instant now = engine.clock().instant();
        List<SpriteRecord> candidates = store.sleepCandidates(now);
        Map<String, SpriteState> slept = new ConcurrentHashMap<>();
        Set<String> woken = new HashSet<>();
        Set<String> seen = new HashSet<>();
        for (SpriteRecord rec : candidates) {
            seen.add(rec.name());
            try {
                look(rec, now, slept, woken);
            } catch (PuckException e) {
                LOG.warn("Idle monitor: {} left as it is: {}", rec.name(), e.getMessage());
            }
        }
        lastTraffic.keySet().retainAll(seen);
        retryAt.keySet().retainAll(seen);
        engine.routing().ifPresent(r -> {
            try {
                Map<String, SpriteState> states = new java.util.HashMap<>();
                store.sprites().forEach(s -> states.put(s.name(), s.state()));
                r.sync(states);
            } catch (RuntimeException e) {
                LOG.warn("Idle monitor: could not sync the ingress's routes: {}", e.getMessage());
            }
        });
        return new Tick(true, candidates.size(), Map.copyOf(slept), Set.copyOf(woken));
    }

    private void look(SpriteRecord rec, Instant now, Map<String, SpriteState> slept, Set<String> woken) {
        String name = rec.name();
        if (rec.state() != SpriteState.HIBERNATED && trafficSince(name)) {
            if (rec.state() == SpriteState.PAUSED) {
                engine.wake(name, engine.defaultTimeout(), "idle monitor: traffic reached it");
                woken.add(name);
            }
            return;
        }
        if (now.isBefore(retryAt.getOrDefault(name, Instant.MIN)) || !store.holds(name).isEmpty()) {
            return;
        }
        Instant since = store.lastActivity(name).map(Why.Activity::at).orElse(rec.stateSince());
        Duration idle = Duration.between(since, now);
        Optional<SleepTiers.Tier> due = SleepTiers.due(SleepTiers.ahead(rec.state(), rec.spec().sleep(), engine.capabilities()), idle);
        if (due.isEmpty()) {
            return;
        }
        SleepTiers.Tier tier = due.get();
        String cause = "idle monitor: no activity since " + since + " (" + tier.rule() + ")";
        switch (engine.sleepIfIdle(name, tier.into(), cause, since)) {
            case YES -> slept.put(name, tier.into()); // a paused sprite's counters go on; a hibernated one leaves the candidates
            case CANCELLED -> retryAt.put(name, now.plus(tier.after())); // a pre-sleep hook failed: again after another idle period
            case NO -> { }
        }
    }

    /** Reads the sprite's counters; any change since the last tick is traffic, recorded as activity. */
    private boolean trafficSince(String name) {
        Optional<Traffic> now = engine.runtime().traffic(name);
        if (now.isEmpty()) {
            return false;
        }
        Traffic before = lastTraffic.get(name);
        if (before == null || now.get().total() < before.total()) {
            lastTraffic.put(name, now.get()); // a first reading, or counters that restarted with a wake
            return false;
        }
        if (now.get().total() - before.total() < TRAFFIC_THRESHOLD) {
            return false; // not yet: the small change stays counted until it adds up
        }
        lastTraffic.put(name, now.get());
        store.touch(name, Why.Kind.TRAFFIC, "received " + now.get().receivedBytes() + " B, sent " + now.get().sentBytes() + " B in all");
        return true;
    }

    /** Stops ticking and gives the lease up, so another process's monitor can take over at once. */
    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
        store.releaseLease(LEASE, holder);
    }
}
