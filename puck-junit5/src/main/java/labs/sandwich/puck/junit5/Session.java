package labs.sandwich.puck.junit5;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import org.jspecify.annotations.Nullable;

/**
 * One test session: its id, its directory under the sessions root (held by an exclusive file
 * lock while the JVM lives), one {@code Puck} per setting on a store in that directory, and the
 * sweep of dead sessions. Kept in JUnit's root store, so JUnit closes it when the run ends.
 */
final class Session implements AutoCloseable {
    private static final String LOCK = "session.lock";
    private static final String SETTINGS = "settings.properties";
    /**
     * Session directories whose lock this JVM holds (nested launchers, e.g. EngineTestKit, start
     * sessions of their own). The sweep must not even open their lock files: closing any
     * descriptor of a file drops the process's POSIX lock on it, and a live session would look dead.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final String id;
    private final Path root;
    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<Key, Opened> pucks = new ConcurrentHashMap<>();
    private final AtomicInteger names = new AtomicInteger();
    private final AtomicInteger stores = new AtomicInteger();

    /** What identifies a Puck of the session: the runtime and the settings. */
    record Key(String runtime, Map<String, String> config) {}

    /** A Puck, or why it could not be opened. */
    record Opened(@Nullable Puck puck, @Nullable PuckException failure) {}

    private Session(String id, Path root, Path dir, FileChannel lockChannel, FileLock lock) {
        this.id = id;
        this.root = root;
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Makes the session's directory, locks it, and sweeps what dead sessions left. */
    static Session start() {
        return start(root());
    }

    static Session start(Path root) {
        byte[] random = new byte[6];
        new java.security.SecureRandom().nextBytes(random);
        String id = HexFormat.of().formatHex(random);
        Path dir = root.resolve(id);
        try {
            Files.createDirectories(dir);
            FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.lock();
            HELD.add(dir);
            Files.writeString(dir.resolve("owner"), "pid " + ProcessHandle.current().pid() + "\n");
            Session s = new Session(id, root, dir, channel, lock);
            s.sweepDead();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("Puck's JUnit extension cannot make its session directory " + dir
                    + "; set -Dpuck.junit5.dir to a writable directory", e);
        }
    }

    static Path root() {
        String configured = System.getProperty("puck.junit5.dir", System.getenv("PUCK_JUNIT5_DIR"));
        return (configured != null && !configured.isBlank() ? Path.of(configured) : Path.of(System.getProperty("java.io.tmpdir"), "puck-junit5")).toAbsolutePath();
    }

    String id() {
        return id;
    }

    Path directory() {
        return dir;
    }

    /** @return a sprite name unique on this machine: the prefix, the session id, a number */
    String name(String prefix) {
        return prefix + "-" + id + "-" + names.incrementAndGet();
    }

    /** @return the session's Puck for these settings, opened on first use; a failure to open is kept and returned again */
    Opened open(Key key) {
        return pucks.computeIfAbsent(key, k -> {
            Path storeDir = dir.resolve("puck-" + stores.incrementAndGet());
            try {
                Files.createDirectories(storeDir);
                Properties p = new Properties();
                p.setProperty("runtime", k.runtime());
                k.config().forEach((name, value) -> p.setProperty("config." + name, value));
                try (Writer w = Files.newBufferedWriter(storeDir.resolve(SETTINGS))) {
                    p.store(w, "settings of this store's Puck, for the sweep");
                }
                return new Opened(build(k, storeDir), null);
            } catch (PuckException e) {
                return new Opened(null, e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static Puck build(Key key, Path storeDir) {
        Puck.Builder b = Puck.builder().store(storeDir.resolve("puck.db"));
        if (!key.runtime().isEmpty()) {
            b.runtime(key.runtime());
        }
        key.config().forEach(b::config);
        return b.build();
    }

    /** Deletes this session's sprites, closes its Pucks, sweeps dead sessions again, and removes its directory. */
    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (Opened o : pucks.values()) {
            if (o.puck() != null) {
                try (Puck puck = o.puck()) {
                    deleteSprites(puck, id);
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }
        }
        try {
            sweepDead();
        } catch (RuntimeException e) {
            failures.add(e);
        }
        try {
            lock.release();
            lockChannel.close();
            HELD.remove(dir);
            if (failures.isEmpty()) {
                deleteTree(dir);
            }
        } catch (IOException e) {
            failures.add(new UncheckedIOException(e));
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.getFirst();
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    /**
     * Removes what sessions whose JVM is gone left: a session directory whose lock can be taken
     * belongs to no live process. Its sprites are found through its own store (so only sprites
     * labelled with its id are deleted), then the directory goes. A store whose runtime cannot be
     * opened now is left for a later sweep.
     */
    void sweepDead() {
        List<Path> others = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            dirs.forEach(others::add);
        } catch (IOException e) {
            return;
        }
        for (Path other : others) {
            if (HELD.contains(other) || !Files.isRegularFile(other.resolve(LOCK))) {
                continue; // this JVM's own sessions
            }
            try (FileChannel ch = FileChannel.open(other.resolve(LOCK), StandardOpenOption.WRITE)) {
                FileLock l = ch.tryLock();
                if (l == null) {
                    continue; // alive
                }
                try {
                    if (sweep(other)) {
                        l.release();
                        deleteTree(other);
                    }
                } finally {
                    if (l.isValid()) {
                        l.release();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // another session sweeps it now, or it cannot be read: the next sweep tries again
            }
        }
    }

    /** @return whether every sprite of the dead session at {@code other} is gone */
    private static boolean sweep(Path other) throws IOException {
        String deadId = other.getFileName().toString();
        boolean clean = true;
        try (DirectoryStream<Path> stores = Files.newDirectoryStream(other, p -> Files.isRegularFile(p.resolve(SETTINGS)))) {
            for (Path store : stores) {
                if (!Files.isRegularFile(store.resolve("puck.db"))) {
                    continue; // the session died before it opened this store: nothing was made through it
                }
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(store.resolve(SETTINGS))) {
                    p.load(r);
                }
                Map<String, String> config = new TreeMap<>();
                p.stringPropertyNames().stream().filter(n -> n.startsWith("config.")).forEach(n -> config.put(n.substring(7), p.getProperty(n)));
                try (Puck puck = build(new Key(p.getProperty("runtime", ""), config), store)) {
                    deleteSprites(puck, deadId);
                } catch (PuckException e) {
                    clean = false;
                }
            }
        }
        return clean;
    }

    /** Deletes, with volumes and snapshots, each sprite of the store that carries this session's label; leaves any other. */
    private static void deleteSprites(Puck puck, String sessionId) {
        for (Sprite s : puck.list()) {
            String owner;
            try {
                owner = s.inspect().spec().labels().get(PuckExtension.SESSION_LABEL);
            } catch (labs.sandwich.puck.api.SpriteNotFoundException gone) {
                continue;
            }
            if (sessionId.equals(owner)) {
                for (Snapshot snap : s.snapshots()) {
                    s.deleteSnapshot(snap);
                }
                s.delete(DeletePolicy.PURGE);
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (var all = Files.walk(p)) {
                for (Path f : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
