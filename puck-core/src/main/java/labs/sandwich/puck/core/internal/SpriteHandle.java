package labs.sandwich.puck.core.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.List;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Change;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.Exposure;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.KeepAlive;
import labs.sandwich.puck.api.Names;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.api.Why;
import labs.sandwich.puck.api.event.SpriteEvent;
import labs.sandwich.puck.spi.Endpoint;

/** The {@link Sprite} users hold: a name and the engine, nothing cached, so it is never stale. */
public final class SpriteHandle implements Sprite {
    private final Engine engine;
    private final EventBus bus;
    private final String name;
    private final BooleanSupplier monitorRunning;

    /**
     * @param engine         the engine
     * @param bus            the event bus
     * @param name           the sprite's name
     * @param monitorRunning whether an idle monitor serves the store, for why()
     */
    public SpriteHandle(Engine engine, EventBus bus, String name, BooleanSupplier monitorRunning) {
        this.engine = engine;
        this.bus = bus;
        this.name = name;
        this.monitorRunning = monitorRunning;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SpriteState state() {
        return engine.record(name).state();
    }

    @Override
    public SpriteInfo inspect() {
        return engine.inspect(name);
    }

    @Override
    public ExecResult exec(String... argv) {
        return exec(ExecRequest.of(argv));
    }

    @Override
    public ExecResult exec(ExecRequest request) {
        engine.require(Capability.EXEC);
        return engine.awake(name, Why.Kind.EXEC, String.join(" ", request.argv()), Engine.withGrace(request.timeout()),
                () -> engine.runtime().exec(name, request));
    }

    @Override
    public Console console() {
        return console(ConsoleRequest.DEFAULT);
    }

    @Override
    public Console console(ConsoleRequest request) {
        engine.require(Capability.CONSOLE);
        long hold = engine.store().hold(name, Why.Kind.CONSOLE, "console", null);
        try {
            Console console = engine.awakeHeld(name, "console", engine.defaultTimeout(), () -> engine.runtime().console(name, request));
            return new HeldConsole(console, () -> engine.store().release(hold));
        } catch (RuntimeException e) {
            engine.store().release(hold);
            throw e;
        }
    }

    /** A console that keeps its sprite awake until it is closed. */
    private record HeldConsole(Console delegate, Runnable release) implements Console {
        @Override
        public OutputStream input() {
            return delegate.input();
        }

        @Override
        public InputStream output() {
            return delegate.output();
        }

        @Override
        public void resize(int columns, int rows) {
            delegate.resize(columns, rows);
        }

        @Override
        public OptionalInt waitFor(Duration timeout) {
            return delegate.waitFor(timeout);
        }

        @Override
        public void close() {
            try {
                delegate.close();
            } finally {
                release.run(); // idempotent: a released hold is gone
            }
        }
    }

    @Override
    public void writeFile(String path, byte[] content) {
        write(path, new ByteArrayInputStream(content.clone()));
    }

    @Override
    public byte[] readFile(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        read(path, out);
        return out.toByteArray();
    }

    @Override
    public void copyIn(Path source, String path) {
        if (!Files.isRegularFile(source)) {
            throw new InvalidSpecException("source", "There is no regular file at " + source + " to copy into sprite '" + name + "'.",
                    "Pass the path of an existing regular file.");
        }
        try (InputStream in = Files.newInputStream(source)) {
            write(path, in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source, e);
        }
    }

    @Override
    public void copyOut(String path, Path target) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Path tmp = Files.createTempFile(dir, ".puck-copy-", ".part");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    read(path, out);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new BackendException("local", name, 0, "cannot write " + target + ": " + e.getMessage(),
                    "Check that " + dir + " exists and is writable, and that the disk is not full.", e);
        }
    }

    private void write(String path, InputStream in) {
        engine.require(Capability.FILES);
        requirePath(path);
        engine.awake(name, Why.Kind.FILES, "write " + path, engine.defaultTimeout(), () -> {
            engine.runtime().writeFile(name, path, in);
            return null;
        });
    }

    private void read(String path, OutputStream out) {
        engine.require(Capability.FILES);
        requirePath(path);
        engine.awake(name, Why.Kind.FILES, "read " + path, engine.defaultTimeout(), () -> {
            engine.runtime().readFile(name, path, out);
            return null;
        });
    }

    private static void requirePath(String path) {
        Names.requireText("path", path);
        if (!path.startsWith("/")) {
            throw new InvalidSpecException("path", "The path '" + path + "' is not absolute.", "Use an absolute path in the sprite, e.g. \"/root/notes.txt\".");
        }
    }

    @Override
    public void pause() {
        engine.pause(name, engine.defaultTimeout());
    }

    @Override
    public void hibernate() {
        hibernate(engine.defaultTimeout());
    }

    @Override
    public void hibernate(Duration timeout) {
        engine.hibernate(name, timeout);
    }

    @Override
    public void wake() {
        wake(engine.defaultTimeout());
    }

    @Override
    public void wake(Duration timeout) {
        engine.wake(name, timeout);
    }

    @Override
    public void deleteSnapshot(Snapshot snapshot) {
        engine.deleteSnapshot(name, snapshot);
    }

    @Override
    public List<Change> history(int limit) {
        engine.record(name);
        return engine.store().history(name, limit).stream().map(JournalEntry::change).toList();
    }

    @Override
    public void archive() {
        engine.archive(name, engine.defaultTimeout());
    }

    @Override
    public KeepAlive keepAlive(String reason, Duration duration) {
        Hold hold = engine.keepAlive(name, reason, duration);
        return new Lease(name, reason, hold.until(), hold.id(), engine.store());
    }

    /** A keep-alive: a hold in the store, released on close. */
    private record Lease(String sprite, String reason, Instant expiresAt, long id, StateStore store) implements KeepAlive {
        @Override
        public void close() {
            store.release(id);
        }

        @Override
        public String toString() {
            return "KeepAlive[" + sprite + ": " + reason + " until " + expiresAt + "]";
        }
    }

    @Override
    public Why why() {
        return engine.why(name, monitorRunning.getAsBoolean());
    }

    @Override
    public Snapshot snapshot(String label) {
        return engine.snapshot(name, label);
    }

    @Override
    public List<Snapshot> snapshots() {
        return engine.snapshots(name);
    }

    @Override
    public void restore(Snapshot snapshot) {
        engine.restore(name, snapshot, engine.defaultTimeout());
    }

    @Override
    public Snapshot snapshotForReset(String label) {
        return engine.snapshot(name, label, true);
    }

    @Override
    public void reset(Snapshot snapshot) {
        engine.restore(name, snapshot, engine.defaultTimeout(), true);
    }

    @Override
    public Sprite fork(Snapshot snapshot, String newName) {
        engine.fork(name, snapshot, newName, engine.defaultTimeout());
        return new SpriteHandle(engine, bus, newName, monitorRunning);
    }

    @Override
    public Exposure expose(int port) {
        return expose(port, ExposureMode.LOCAL);
    }

    @Override
    public Exposure expose(int port, ExposureMode mode) {
        engine.require(Capability.EXPOSE);
        labs.sandwich.puck.api.SpriteSpec.builder("x").port(port).build(); // validates the port
        URI url;
        Runnable withdraw;
        if (engine.routing().isPresent()) {
            url = engine.expose(name, port, mode);
            withdraw = () -> engine.unexpose(name, port);
        } else if (mode == ExposureMode.LOCAL) {
            // No ingress: the sprite's own address, reachable from this machine while it is awake.
            Endpoint target = engine.runtime().endpoint(name, port);
            url = URI.create("http://" + target.host() + ":" + target.port());
            withdraw = () -> { };
        } else {
            throw new UnsupportedCapabilityException(Capability.EXPOSE, engine.runtime().name(),
                    "exposing to " + mode.audience() + " needs an ingress (Tailscale), and none is configured");
        }
        bus.publish(new SpriteEvent.Exposed(name, engine.clock().instant(), port, url, mode));
        return new Published(name, port, url, mode, withdraw);
    }

    @Override
    public Exposure exposeTcp(int port) {
        return exposeTcp(port, 0, ExposureMode.LOCAL);
    }

    @Override
    public Exposure exposeTcp(int port, int hostPort, ExposureMode mode) {
        labs.sandwich.puck.api.SpriteSpec.builder("x").port(port).build(); // validates the port
        if (hostPort < 0 || hostPort > 65535) {
            throw new labs.sandwich.puck.api.InvalidSpecException("hostPort", "Invalid host port " + hostPort + ".", "Use 1-65535, or 0 for any free port.");
        }
        TcpForwarding tcp = engine.tcp().orElseThrow(() -> new UnsupportedCapabilityException(Capability.EXPOSE, engine.runtime().name(),
                "this Puck has no raw TCP forwarding"));
        URI url = tcp.expose(name, port, hostPort, mode);
        bus.publish(new SpriteEvent.Exposed(name, engine.clock().instant(), port, url, mode));
        return new Published(name, port, url, mode, () -> tcp.unexpose(name, port));
    }

    /** An exposed port; closing withdraws it (a direct address has nothing to withdraw). */
    private record Published(String sprite, int port, URI url, ExposureMode mode, Runnable withdraw) implements Exposure {
        @Override
        public void close() {
            withdraw.run();
        }
    }

    @Override
    public void delete() {
        delete(DeletePolicy.KEEP_VOLUMES);
    }

    @Override
    public void delete(DeletePolicy policy) {
        engine.delete(name, policy, engine.defaultTimeout());
    }

    /** @return {@code Sprite[name RUNNING on podman]}, readable in jshell */
    @Override
    public String toString() {
        String state;
        try {
            state = engine.record(name).state().toString();
        } catch (SpriteNotFoundException e) {
            state = "DELETED";
        }
        return "Sprite[" + name + " " + state + " on " + engine.runtime().name() + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpriteHandle h && h.name.equals(name) && h.engine == engine;
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
