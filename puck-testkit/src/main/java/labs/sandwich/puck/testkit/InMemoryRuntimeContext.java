package labs.sandwich.puck.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.spi.BackendState;
import labs.sandwich.puck.spi.RuntimeContext;

/**
 * A {@link RuntimeContext} for testing a runtime or ingress without the engine: the caller's
 * clock and data directory, settings from a map only (never from system properties or the
 * environment, so a test does not depend on the machine it runs on), backend state in memory,
 * and published events collected for assertions. Thread-safe.
 *
 * <pre>{@code
 * var context = new InMemoryRuntimeContext(TestClock.start(), tempDir, Map.of("podman.socket", "/run/podman/podman.sock"));
 * SpriteRuntime runtime = new PodmanRuntimeProvider().create(context);
 * }</pre>
 */
public final class InMemoryRuntimeContext implements RuntimeContext {
    private final Clock clock;
    private final Path dataDirectory;
    private final Map<String, String> config;
    private final Map<String, Map<String, String>> state = new ConcurrentHashMap<>();
    private final List<SpriteEvent> events = new CopyOnWriteArrayList<>();
    private final BackendState backendState = new BackendState() {
        @Override
        public Optional<String> get(String owner, String key) {
            return Optional.ofNullable(state.getOrDefault(owner, Map.of()).get(key));
        }

        @Override
        public void put(String owner, String key, String value) {
            state.computeIfAbsent(owner, o -> new ConcurrentHashMap<>()).put(key, value);
        }

        @Override
        public void remove(String owner, String key) {
            state.computeIfPresent(owner, (o, values) -> {
                values.remove(key);
                return values.isEmpty() ? null : values;
            });
        }

        @Override
        public Map<String, String> all(String owner) {
            return new TreeMap<>(state.getOrDefault(owner, Map.of()));
        }
    };

    /**
     * @param clock         the clock the runtime reads, e.g. a {@link TestClock}
     * @param dataDirectory a directory the runtime may keep files in, typically a JUnit {@code @TempDir};
     *                      created (with its parents) if absent
     * @param config        the settings, by dotted key (e.g. {@code podman.socket}); copied
     * @throws UncheckedIOException if the directory cannot be created
     */
    public InMemoryRuntimeContext(Clock clock, Path dataDirectory, Map<String, String> config) {
        this.clock = clock;
        this.config = Map.copyOf(config);
        try {
            this.dataDirectory = Files.createDirectories(dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDirectory, e);
        }
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Looks the key up in the map given to the constructor only. */
    @Override
    public Optional<String> config(String key) {
        return Optional.ofNullable(config.get(key));
    }

    @Override
    public BackendState state() {
        return backendState;
    }

    /** Records the event; see {@link #events()}. */
    @Override
    public void publish(SpriteEvent event) {
        events.add(event);
    }

    /** @return the events published so far, in order; a copy */
    public List<SpriteEvent> events() {
        return List.copyOf(events);
    }
}
