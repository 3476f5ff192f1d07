package labs.sandwich.puck.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.spi.BackendState;
import labs.sandwich.puck.spi.RuntimeContext;

/**
 * The {@link RuntimeContext} the engine lends runtimes. The store is opened lazily, so probing
 * runtimes (which happens before the store is touched) never creates files.
 */
public final class EngineContext implements RuntimeContext {
    private final Clock clock;
    private final Path dataDirectory;
    private final Config config;
    private final Supplier<StateStore> store;
    private final EventBus bus;

    /**
     * @param clock         the clock
     * @param dataDirectory where runtimes keep files; created on first use
     * @param config        settings
     * @param store         the store, opened on first use
     * @param bus           where events go
     */
    public EngineContext(Clock clock, Path dataDirectory, Config config, Supplier<StateStore> store, EventBus bus) {
        this.clock = clock;
        this.dataDirectory = dataDirectory;
        this.config = config;
        this.store = store;
        this.bus = bus;
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
            throw new UncheckedIOException("cannot create Puck's data directory " + dataDirectory, e);
        }
    }

    /** The store's hosts file for {@code <name>.internal}; made (naming localhost only) if absent, so that a new sprite can mount it. */
    @Override
    public Optional<Path> hostsFile() {
        Path file = dataDirectory().resolve("internal").resolve("hosts");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(file.getParent());
                Files.writeString(file, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
            }
            return Optional.of(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Puck's hosts file " + file, e);
        }
    }

    @Override
    public Optional<String> config(String key) {
        return config.get(key);
    }

    @Override
    public BackendState state() {
        return store.get().backendState();
    }

    @Override
    public void publish(SpriteEvent event) {
        bus.publish(event);
    }
}
