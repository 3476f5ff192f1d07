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
 * A {@link RuntimeContext} for testing a runtime without the engine: settings from a map,
 * backend state in memory, published events collected for assertions. Thread-safe.
 */
public final class InMemoryRuntimeContext implements RuntimeContext {
    private final Clock clock;
    private final Path dataDirectory;
    private final Map<String, String> config;
    private final Map<String, Map<String, String>> state = new ConcurrentHashMap<>();
    private final List<SpriteEvent> events = new CopyOnWriteArrayList<>();

    /**
     * @param clock         the clock
     * @param dataDirectory a directory the runtime may use; created on first use
     * @param config        settings, by dotted key (e.g. {@code podman.socket})
     */
    public InMemoryRuntimeContext(Clock clock, Path dataDirectory, Map<String, String> config) {
        this.clock = clock;
        this.dataDirectory = dataDirectory;
        this.config = Map.copyOf(config);
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Path dataDirectory() {
        try {
            return Files.createDirectories(dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Optional<String> config(String key) {
        return Optional.ofNullable(config.get(key));
    }

    @Override
    public BackendState state() {
        return new BackendState() {
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
                state.getOrDefault(owner, new ConcurrentHashMap<>()).remove(key);
            }

            @Override
            public Map<String, String> all(String owner) {
                return new TreeMap<>(state.getOrDefault(owner, Map.of()));
            }
        };
    }

    @Override
    public void publish(SpriteEvent event) {
        events.add(event);
    }

    /** @return the events published so far, in order */
    public List<SpriteEvent> events() {
        return List.copyOf(events);
    }
}
